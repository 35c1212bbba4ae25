import type { OrchestrationHandler } from 'durable-functions';
import type { App } from '../shared/composition.js';
import type { Deps } from '../shared/usecases/deps.js';
import { PROCESS_EVIDENCE } from '../shared/usecases/evidence.js';
import { activityHandlers } from './activities/index.js';
import { processEvidenceOrchestrator } from './orchestrators/process-evidence.js';
import { SHARE_LIFECYCLE } from '../shared/usecases/shares.js';
import { shareActivityHandlers } from './activities/share-activities.js';
import { shareLifecycleOrchestrator } from './orchestrators/share-lifecycle.js';

/** Orchestrators by name: registered with Durable Functions and run by the local runtime. */
export const orchestrators: Record<string, OrchestrationHandler> = {
  [PROCESS_EVIDENCE]: processEvidenceOrchestrator,
  [SHARE_LIFECYCLE]: shareLifecycleOrchestrator,
};

export function activities(app: () => Promise<App>) {
  const deps = async (): Promise<Deps> => (await app()).deps;
  return { ...activityHandlers(deps), ...shareActivityHandlers(deps) };
}

