import type { InvocationContext } from '@azure/functions';
import { sweepRetention, type SweepResult } from '../../shared/usecases/retention.js';
import type { HandlerEnv } from '../http/api.js';

/**
 * Hourly safety net behind the per-incident retention schedules: overdue incidents whose schedule is
 * not running are deleted now (held ones get their schedule back), and terminal orchestrations queued
 * for purging are purged. Hourly rather than daily: the query is a cheap index range scan, and it
 * bounds how long a finished deletion's own history (ids only) waits to be purged.
 */
export const RETENTION_SWEEP_SCHEDULE = '0 17 * * * *';

export async function retentionSweeper(_ctx: InvocationContext | undefined, env: HandlerEnv): Promise<SweepResult> {
  return sweepRetention(env.app.deps, env.orchestrations());
}
