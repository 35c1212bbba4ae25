// Bootstrap for engine worker threads when the engine runs from its TypeScript sources (tsx, vitest):
// a worker thread starts without the parent's loader, so register tsx here, then load the entry.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
