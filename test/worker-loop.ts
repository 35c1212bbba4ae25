import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Stack } from '../local/stack.js';
import { silentLogger } from '../shared/adapters/console-logger.js';
import { runWorkerLoop } from '../worker/loop.js';

/** A healthy redaction worker loop on the stack's storage and keys, until `stop()`. */
export async function startWorkerLoop(stack: Stack): Promise<{ tmpDir: string; stop: () => Promise<void> }> {
  const aborter = new AbortController();
  const tmpDir = join(stack.config.BYSTANDER_DATA_DIR, 'tmp');
  await mkdir(tmpDir, { recursive: true });
  const done = runWorkerLoop({
    queue: stack.app.deps.queue,
    blobs: stack.app.deps.blobs,
    dataKeys: stack.app.deps.dataKeys,
    tmpDir,
    signal: aborter.signal,
    logger: silentLogger,
    idlePollMs: 200,
  });
  return {
    tmpDir,
    stop: async () => {
      aborter.abort();
      await done;
    },
  };
}
