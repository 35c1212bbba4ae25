import type { OrchestrationContext, OrchestrationHandler, Task } from 'durable-functions';
import type { DeletionItem } from '../../shared/domain/lifecycle.js';
import type { DeleteIncidentInput, DeletionPlan } from '../../shared/usecases/retention.js';
import { LIFECYCLE_ACTIVITIES as A } from '../activities/lifecycle-activities.js';
import { lifecycleRetry } from './retention-schedule.js';

export type DeletionOutcome = { status: 'deleted'; items: number } | { status: 'held' } | { status: 'not-due' };

export type DeleteIncidentStatus = { stage: 'planning' | 'shredding' | 'deleting' | 'certifying' | 'deleted' | 'held' | 'not-due' };

/**
 * The deletion steps, shared by `deleteIncident` and erasure requests: plan (hold and due date
 * re-checked) ▸ shred the wrapped data key FIRST ▸ blobs (+ snapshots, versions) ▸ shares, link
 * index, outbox ▸ export bundles ▸ record versions ▸ record ▸ orchestration histories ▸ deletion
 * certificate. Every activity is idempotent; the engine retries transient failures.
 */
export function* deletionSteps(context: OrchestrationContext, input: DeleteIncidentInput): Generator<Task, DeletionOutcome, unknown> {
  const ref = { tenantId: input.tenantId, incidentId: input.incidentId };
  const call = (name: string, arg: unknown): Task => context.df.callActivityWithRetry(name, lifecycleRetry, arg);
  type Items = { items: DeletionItem[] };

  const plan = (yield call(A.planDeletion, input)) as DeletionPlan;
  if (!plan.go) return { status: plan.reason === 'legal-hold' ? 'held' : 'not-due' };
  const shred = (yield call(A.shredKey, ref)) as Items & { held: boolean };
  if (shred.held) return { status: 'held' };
  const blobs = (yield call(A.deleteBlobs, { ref, hashes: plan.hashes })) as Items;
  const shares = (yield call(A.deleteShares, ref)) as Items & { instanceIds: string[] };
  const exports = (yield call(A.deleteExports, ref)) as Items;
  const versions = (yield call(A.deleteVersions, ref)) as Items;
  const record = (yield call(A.deleteRecord, ref)) as Items;
  const histories = (yield call(A.purgeOrchestrations, { ref, evidenceIds: plan.evidenceIds, instanceIds: shares.instanceIds })) as Items;
  const items = [...shred.items, ...blobs.items, ...shares.items, ...exports.items, ...versions.items, ...record.items, ...histories.items];
  const certified = (yield call(A.certify, { ...input, items })) as { items: number };
  return { status: 'deleted', items: certified.items };
}

/**
 * deleteIncident (instance `delete-{tenant}-{incident}`; started by the retention schedule, the
 * sweeper, or directly). When a legal hold (or a not-yet-due date) stops it, the retention schedule
 * is (re)started so the incident stays watched. Its own history is queued for purging.
 */
export const deleteIncidentOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<DeleteIncidentInput>();
  const status = (s: DeleteIncidentStatus) => context.df.setCustomStatus(s);
  status({ stage: 'planning' });
  let outcome: DeletionOutcome;
  try {
    outcome = yield* deletionSteps(context, input);
  } catch (err) {
    // Retries exhausted: alert and audit; the incident stays overdue and the sweeper tries again.
    yield context.df.callActivityWithRetry(A.reportFailure, lifecycleRetry, input);
    throw err;
  }
  status({ stage: outcome.status });
  if (outcome.status !== 'deleted') {
    yield context.df.callActivityWithRetry(A.ensureSchedule, lifecycleRetry, { tenantId: input.tenantId, incidentId: input.incidentId });
  }
  yield context.df.callActivityWithRetry(A.schedulePurge, lifecycleRetry, { instanceIds: [context.df.instanceId] });
  return outcome;
};
