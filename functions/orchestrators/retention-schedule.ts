import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler, Task } from 'durable-functions';
import { RETENTION_RECHECK_EVENT } from '../../shared/domain/lifecycle.js';
import type { RetentionCheck, RetentionScheduleInput } from '../../shared/usecases/retention.js';
import { LIFECYCLE_ACTIVITIES as A } from '../activities/lifecycle-activities.js';

export type RetentionScheduleStatus = {
  stage: 'checking' | 'waiting' | 'held' | 'deleting' | 'gone';
  dueAt?: string;
  nextWakeAt?: string;
  overdue?: boolean;
};

export type RetentionScheduleOutput = { status: 'gone' } | { status: 'deletion-started'; dueAt: string };

/** Storage or Cosmos hiccups are retried by the engine. */
export const lifecycleRetry = new df.RetryOptions(5_000, 5);
lifecycleRetry.backoffCoefficient = 2;

/**
 * retentionSchedule (one per incident, instance `retention-{tenant}-{incident}`): re-read the
 * incident and decide (activity) ▸ wait — a durable timer of at most 6 days, or the RetentionRecheck
 * event (hold lifted, category/outcome edited) — then continueAsNew (history stays one step long)
 * ▸ or start the incident's deletion orchestration and complete. Under legal hold the activity logs
 * the skip; the hold-lifted nudge makes an overdue incident go at once. Ids only in input and
 * history; time only from currentUtcDateTime.
 */
export const retentionScheduleOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<RetentionScheduleInput & { maxStepMs?: number }>();
  const ref = { tenantId: input.tenantId, incidentId: input.incidentId };
  const status = (s: RetentionScheduleStatus) => context.df.setCustomStatus(s);
  const call = (name: string, arg: unknown): Task => context.df.callActivityWithRetry(name, lifecycleRetry, arg);

  status({ stage: 'checking' });
  const check = (yield call(A.checkRetention, {
    ref,
    at: context.df.currentUtcDateTime.toISOString(),
    ...(input.maxStepMs ? { maxStepMs: input.maxStepMs } : {}),
  })) as RetentionCheck;

  if (check.kind === 'gone') {
    status({ stage: 'gone' });
    return { status: 'gone' } satisfies RetentionScheduleOutput;
  }
  if (check.kind === 'delete') {
    status({ stage: 'deleting', dueAt: check.dueAt });
    yield call(A.startDeletion, { ...ref, cause: 'retention' });
    return { status: 'deletion-started', dueAt: check.dueAt } satisfies RetentionScheduleOutput;
  }

  status(
    check.kind === 'held'
      ? { stage: 'held', dueAt: check.dueAt, overdue: check.overdue, nextWakeAt: check.fireAt }
      : { stage: 'waiting', dueAt: check.dueAt, nextWakeAt: check.fireAt },
  );
  const timer = context.df.createTimer(new Date(check.fireAt));
  const recheck = context.df.waitForExternalEvent(RETENTION_RECHECK_EVENT);
  const winner = yield context.df.Task.any([timer, recheck]);
  if (winner !== timer && !timer.isCompleted) timer.cancel();
  context.df.continueAsNew(input);
  return undefined;
};
