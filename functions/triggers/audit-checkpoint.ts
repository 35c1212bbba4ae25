import { checkpointChains, CHECKPOINT_SCHEDULE } from '../../shared/audit/checkpoint.js';
import type { HandlerEnv } from '../http/api.js';

/** Every 5 minutes: the head of every tenant's audit chain that moved is copied to the immutable checkpoint container. */
export const AUDIT_CHECKPOINT_SCHEDULE = CHECKPOINT_SCHEDULE;

export async function auditCheckpoint(env: Pick<HandlerEnv, 'app'>): Promise<number> {
  const { auditTrail, deps } = env.app;
  return (await checkpointChains(auditTrail.store, auditTrail.checkpoints, deps.clock, deps.logger)).length;
}
