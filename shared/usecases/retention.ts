/**
 * Retention and deletion use cases: the steps the `retentionSchedule` and `deleteIncident`
 * orchestrations run as activities, and the safety-net sweeper.
 *
 * Scheduler (decision): one durable `retentionSchedule` orchestration per incident, started when the
 * incident is created. Each wake-up re-reads the incident and applies the pure `retentionDecision`
 * (shared/retention/policy.ts): wait (durable timer, ≤ 6 days), held (log the skip, wait for the
 * hold to be lifted or ≤ 6 days) or delete (start `deleteIncident`). It `continueAsNew`s after every
 * wake-up, so its history never holds more than one step. An hourly timer-triggered sweeper queries
 * the `deleteAfter` index across tenants and starts deletion for any overdue incident whose schedule
 * is not running (lost, failed, or created before schedules existed), and drains the purge queue.
 *
 * Deletion order (crypto-shredding first): plan (re-check hold and due date) ▸ destroy the wrapped
 * data key (the record keeps nothing readable) ▸ blobs with snapshots and versions ▸ shares, link
 * index and notification outbox ▸ export bundles ▸ record versions ▸ the record ▸ orchestration
 * histories ▸ one deletion certificate in the audit trail ▸ queue the purge of its own history.
 * Every step is idempotent, so a retried or repeated deletion converges.
 */
import { CONTAINERS, blobNames, type IncidentRecord } from '../domain/incident.js';
import {
  DELETE_INCIDENT,
  EXPORTS_CONTAINER,
  PURGE_QUEUE,
  RETENTION_RECHECK_EVENT,
  RETENTION_SCHEDULE,
  deletionInstanceId,
  retentionInstanceId,
  type DeletionCause,
  type DeletionItem,
  type IncidentRef,
  type IncidentVersion,
  type PrivacyRequestRecord,
} from '../domain/lifecycle.js';
import { linkPartition } from '../domain/share.js';
import { DEFAULT_RETENTION_POLICY, deletionDueAt, retentionDecision, type RetentionPolicy, type RetentionSubject } from '../retention/policy.js';
import { cryptoShred } from '../crypto/shredding.js';
import { ConflictError, NotFoundError, type AuditInput, type DocumentStore, type Orchestrations } from '../ports/index.js';
import { SHARE_REVOKED_EVENT, shareInstanceId } from './share-names.js';
import { REVIEW_EVENT, type ReviewDecisionEvent } from './review-names.js';
import { updateIncident } from './update-incident.js';
import type { Deps } from './deps.js';

import { lifecycleOf } from '../ports/lifecycle.js';
export { lifecycleOf, type DueIndex, type LifecycleDeps } from '../ports/lifecycle.js';

export const policyFor = (deps: Pick<Deps, 'lifecycle'>, tenantId: string): RetentionPolicy =>
  deps.lifecycle?.retentionPolicy(tenantId) ?? DEFAULT_RETENTION_POLICY;

export const retentionSubject = (incident: IncidentRecord): RetentionSubject => ({
  occurredAt: incident.occurredAt,
  category: incident.category,
  outcome: incident.outcome,
  onLegalHold: !!incident.legalHold,
});

/** The incident's due date under its tenant's policy: from `occurredAt`, never from an edit. */
export function deleteAfterFor(deps: Pick<Deps, 'lifecycle'>, incident: Pick<IncidentRecord, 'tenantId' | 'occurredAt' | 'category' | 'outcome'>): string {
  return deletionDueAt(incident, policyFor(deps, incident.tenantId)).toISOString();
}

const TERMINAL = new Set(['Completed', 'Failed', 'Terminated', 'Canceled']);
const isTerminal = (s: { runtimeStatus: string } | undefined) => !!s && TERMINAL.has(s.runtimeStatus);
const system = (component: string) => ({ type: 'system' as const, id: component });

export interface RetentionScheduleInput {
  tenantId: string;
  incidentId: string;
}

/**
 * Starts the incident's retention schedule, or nudges a running one to decide again now (hold
 * lifted, category or outcome changed). Never throws: the hourly sweeper is the safety net.
 */
export async function ensureRetentionSchedule(deps: Pick<Deps, 'logger'>, orchestrations: Orchestrations, ref: IncidentRef): Promise<'started' | 'nudged' | 'failed'> {
  const id = retentionInstanceId(ref.tenantId, ref.incidentId);
  const input: RetentionScheduleInput = { tenantId: ref.tenantId, incidentId: ref.incidentId };
  try {
    if ((await orchestrations.start(RETENTION_SCHEDULE, id, input)) === 'started') return 'started';
    const status = await orchestrations.status(id);
    if (isTerminal(status) && orchestrations.purge) {
      await orchestrations.purge(id);
      await orchestrations.start(RETENTION_SCHEDULE, id, input);
      return 'started';
    }
    await orchestrations.raiseEvent(id, RETENTION_RECHECK_EVENT, {});
    return 'nudged';
  } catch (err) {
    deps.logger.warn('retention schedule could not be started or nudged; the sweeper will catch up', { ...ref, error: (err as Error).name });
    return 'failed';
  }
}

// ---------------------------------------------------------------- schedule step --------------

export type RetentionCheck =
  | { kind: 'gone' }
  | { kind: 'delete'; dueAt: string }
  | { kind: 'wait'; dueAt: string; fireAt: string }
  | { kind: 'held'; dueAt: string; overdue: boolean; fireAt: string };

/**
 * One wake-up of a retention schedule: re-reads the incident and decides at the orchestration's
 * time `at`. An overdue incident under legal hold is skipped and the skip is audited.
 */
export async function checkRetention(deps: Deps, input: { ref: IncidentRef; at: string; maxStepMs?: number }): Promise<RetentionCheck> {
  const { ref } = input;
  const found = await deps.incidents.get(ref.tenantId, ref.incidentId);
  if (!found) return { kind: 'gone' };
  const incident = found.doc;
  const decision = retentionDecision(retentionSubject(incident), policyFor(deps, ref.tenantId), new Date(input.at), input.maxStepMs);
  const dueAt = decision.dueAt.toISOString();
  if (incident.deleteAfter !== dueAt) {
    // Self-healing index for the sweeper (records created before the index, or a policy change).
    await updateIncident(deps, ref.tenantId, ref.incidentId, (i) => (i.deleteAfter === dueAt ? undefined : { ...i, deleteAfter: dueAt }), { by: 'system:retention' });
  }
  if (incident.deletingAt) return { kind: 'delete', dueAt };
  switch (decision.kind) {
    case 'delete':
      return { kind: 'delete', dueAt };
    case 'wait':
      return { kind: 'wait', dueAt, fireAt: decision.fireAt.toISOString() };
    case 'held':
      if (decision.overdue) await auditSkip(deps, ref, 'retention');
      return { kind: 'held', dueAt, overdue: decision.overdue, fireAt: decision.fireAt.toISOString() };
  }
}

async function auditSkip(deps: Pick<Deps, 'audit'>, ref: IncidentRef, component: string): Promise<void> {
  await deps.audit.record({
    tenantId: ref.tenantId,
    actor: system(component),
    action: 'retention.skip-held',
    target: { incidentId: ref.incidentId },
    outcome: 'denied',
    channel: 'orchestration',
    reason: 'legal-hold',
  });
}

// ---------------------------------------------------------------- deletion -------------------

export interface DeleteIncidentInput {
  tenantId: string;
  incidentId: string;
  cause: DeletionCause;
  /** Privacy request that asked for the erasure. */
  requestId?: string;
}

/**
 * Starts the incident's deletion orchestration (one instance id per incident: a second start starts
 * nothing). A terminal earlier run (e.g. one that found a legal hold) is purged and started again.
 */
export async function startDeletion(orchestrations: Orchestrations, input: DeleteIncidentInput): Promise<'started' | 'exists'> {
  const id = deletionInstanceId(input.tenantId, input.incidentId);
  const first = await orchestrations.start(DELETE_INCIDENT, id, input);
  if (first === 'started') return first;
  const status = await orchestrations.status(id);
  if (isTerminal(status) && orchestrations.purge && (await orchestrations.purge(id))) return orchestrations.start(DELETE_INCIDENT, id, input);
  return 'exists';
}

export type DeletionPlan =
  | { go: false; reason: 'legal-hold' | 'not-due' }
  | {
      go: true;
      /** False when the record is already gone (a repeated run still sweeps leftovers). */
      recordExists: boolean;
      evidenceIds: string[];
      /** Content hashes by item id (e.g. `evidence/t/i/e/redacted.a1`), for the certificate. */
      hashes: Record<string, string>;
    };

/**
 * First deletion step: re-reads the incident. Refuses under legal hold (audited) and, unless the
 * cause is an erasure request, when retention has not actually ended (defence against a stale index).
 */
export async function planDeletion(deps: Deps, input: DeleteIncidentInput): Promise<DeletionPlan> {
  const ref = { tenantId: input.tenantId, incidentId: input.incidentId };
  const found = await deps.incidents.get(ref.tenantId, ref.incidentId);
  const incident = found?.doc;
  if (incident && !incident.deletingAt) {
    if (incident.legalHold) {
      await auditSkip(deps, ref, input.cause === 'erasure' ? 'privacy' : 'retention');
      return { go: false, reason: 'legal-hold' };
    }
    if (input.cause !== 'erasure' && deps.clock.now().getTime() < deletionDueAt(incident, policyFor(deps, ref.tenantId)).getTime()) {
      return { go: false, reason: 'not-due' };
    }
  }
  const hashes: Record<string, string> = {};
  for (const e of incident?.evidence ?? []) {
    if (e.redacted) hashes[`${CONTAINERS.evidence}/${e.redacted.blobName}`] = e.redacted.sha256;
    if (e.original) {
      const name = blobNames.ingest(ref.tenantId, ref.incidentId, e.id);
      hashes[`${CONTAINERS.ingest}/${name}`] = e.original.sha256;
      hashes[`${CONTAINERS.quarantine}/${name}`] = e.original.sha256;
    }
  }
  return { go: true, recordExists: !!incident, evidenceIds: incident?.evidence.map((e) => e.id) ?? [], hashes };
}

/**
 * Crypto-shredding, before anything else is deleted: the record is replaced without its wrapped data
 * key (and without the sealed free text, which nothing can read any more), and cached copies of the
 * key are forgotten. From here on every ciphertext of the incident — blobs, their versions and
 * snapshots, restored copies, record versions — is unreadable. A hold placed meanwhile wins.
 */
export async function shredIncidentKey(deps: Deps, ref: IncidentRef): Promise<{ held: boolean; items: DeletionItem[] }> {
  let held = false;
  let hadKey = false;
  const now = deps.clock.now().toISOString();
  try {
    await cryptoShred(ref, {
      dataKeys: deps.dataKeys,
      destroyWrappedKey: async () => {
        await updateIncident(
          deps,
          ref.tenantId,
          ref.incidentId,
          (incident) => {
            if (incident.legalHold && !incident.deletingAt) {
              held = true;
              return undefined;
            }
            hadKey = !!incident.dataKey;
            if (!incident.dataKey && incident.deletingAt) return undefined;
            const { dataKey: _destroyed, ...rest } = incident;
            return { ...rest, description: '', evidence: incident.evidence.map((e) => ({ ...e, subjectHints: [] })), deletingAt: incident.deletingAt ?? now };
          },
          { by: 'system:deletion' },
        );
      },
    });
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
  if (held) await auditSkip(deps, ref, 'deletion');
  return { held, items: hadKey ? [{ kind: 'wrapped-key', id: `incidents/${ref.tenantId}/${ref.incidentId}/dataKey` }] : [] };
}

/** Every blob under the incident's prefix in ingest, evidence, quarantine and reports (with versions and snapshots). */
export async function deleteIncidentBlobs(deps: Pick<Deps, 'blobs'>, input: { ref: IncidentRef; hashes: Record<string, string> }): Promise<{ items: DeletionItem[] }> {
  const prefix = `${input.ref.tenantId}/${input.ref.incidentId}/`;
  const items: DeletionItem[] = [];
  for (const container of [CONTAINERS.ingest, CONTAINERS.evidence, CONTAINERS.quarantine, CONTAINERS.reports]) {
    for (const removed of await deleteTree(deps, container, prefix)) {
      const id = `${container}/${removed.name}`;
      const sha256 = removed.versionId ? undefined : input.hashes[id];
      items.push({
        kind: removed.versionId ? 'blob-version' : container === CONTAINERS.reports ? 'report' : 'blob',
        id: removed.versionId ? `${id}:version:${removed.versionId}` : id,
        ...(sha256 ? { sha256 } : {}),
      });
    }
  }
  return { items };
}

async function deleteTree(deps: Pick<Deps, 'blobs'>, container: string, prefix: string) {
  if (deps.blobs.deleteTree) return deps.blobs.deleteTree(container, prefix);
  const removed: Array<{ name: string; versionId?: string }> = [];
  const names: string[] = [];
  for await (const b of deps.blobs.list(container, prefix)) names.push(b.name);
  for (const name of names) if (await deps.blobs.delete(container, name)) removed.push({ name });
  return removed;
}

/**
 * Shares of the incident: revokes their lifecycle orchestrations (so they end at once), deletes the
 * link index entry, the notification outbox entries and the share record. Returns the share
 * orchestration ids to purge once they have ended.
 */
export async function deleteIncidentShares(deps: Deps, orchestrations: Orchestrations | undefined, ref: IncidentRef): Promise<{ items: DeletionItem[]; instanceIds: string[] }> {
  const items: DeletionItem[] = [];
  const instanceIds: string[] = [];
  const shares = await deps.sharing.shares.find(ref.tenantId, { incidentId: ref.incidentId });
  for (const share of shares) {
    const instanceId = shareInstanceId(share.id);
    instanceIds.push(instanceId);
    if (orchestrations && (share.status === 'active' || share.status === 'pending')) {
      await orchestrations.raiseEvent(instanceId, SHARE_REVOKED_EVENT, { reason: 'incident-deleted' }).catch(() => undefined);
    }
    if (share.tokenHash && (await deps.sharing.links.delete(linkPartition(share.tokenHash), share.tokenHash))) {
      items.push({ kind: 'share', id: `share-links/${share.tokenHash}` });
    }
    const outbox = (await deps.sharing.notifier.forget?.(ref.tenantId, share.id)) ?? 0;
    if (outbox > 0) items.push({ kind: 'outbox', id: `outbox/${ref.tenantId}/${share.id}` });
    if (await deps.sharing.shares.delete(ref.tenantId, share.id)) items.push({ kind: 'share', id: `shares/${ref.tenantId}/${share.id}` });
  }
  return { items, instanceIds };
}

/**
 * Privacy-request export bundles that contain the incident are deleted (derived copies), and the
 * incident id is removed from the requests that named it.
 */
export async function deleteIncidentExports(deps: Deps, ref: IncidentRef): Promise<{ items: DeletionItem[] }> {
  const store = deps.lifecycle?.privacyRequests;
  if (!store) return { items: [] };
  const items: DeletionItem[] = [];
  for (const request of await store.find(ref.tenantId)) {
    if (!request.incidentIds.includes(ref.incidentId) && !request.results.some((r) => r.incidentId === ref.incidentId)) continue;
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await store.get(ref.tenantId, request.id);
      if (!current) break;
      const doc = current.doc;
      if (doc.export && (await deps.blobs.delete(EXPORTS_CONTAINER, doc.export.blobName))) {
        items.push({ kind: 'blob', id: `${EXPORTS_CONTAINER}/${doc.export.blobName}`, sha256: doc.export.sha256 });
      }
      const { export: _bundle, ...rest } = doc;
      const next: PrivacyRequestRecord = {
        ...rest,
        incidentIds: doc.incidentIds.filter((i) => i !== ref.incidentId),
        results: doc.results.filter((r) => r.incidentId !== ref.incidentId),
        ...(doc.export && doc.status === 'completed' ? { status: 'expired' as const, expiredAt: deps.clock.now().toISOString() } : {}),
        updatedAt: deps.clock.now().toISOString(),
      };
      try {
        await store.replace(next, current.etag);
        break;
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
      }
    }
  }
  return { items };
}

export async function deleteIncidentVersions(deps: Deps, ref: IncidentRef): Promise<{ items: DeletionItem[] }> {
  const store = deps.lifecycle?.versions;
  if (!store) return { items: [] };
  const items: DeletionItem[] = [];
  for (const v of await store.find(ref.tenantId, { incidentId: ref.incidentId })) {
    if (await store.delete(ref.tenantId, v.id)) items.push({ kind: 'record-version', id: `incidentVersions/${ref.tenantId}/${v.id}` });
  }
  return { items };
}

export async function deleteIncidentRecord(deps: Deps, ref: IncidentRef): Promise<{ items: DeletionItem[] }> {
  const deleted = await deps.incidents.delete(ref.tenantId, ref.incidentId);
  return { items: deleted ? [{ kind: 'record', id: `incidents/${ref.tenantId}/${ref.incidentId}` }] : [] };
}

/**
 * Purges the histories of the incident's orchestrations (evidence processing — instance id = evidence
 * id —, its retention schedule, its shares). Instances still running are queued for the sweeper,
 * which purges them once they have ended.
 */
export async function purgeIncidentOrchestrations(
  deps: Deps,
  orchestrations: Orchestrations,
  input: { ref: IncidentRef; evidenceIds: string[]; instanceIds: string[] },
): Promise<{ items: DeletionItem[]; queued: number }> {
  const { ref } = input;
  const items: DeletionItem[] = [];
  const later: string[] = [];
  const schedule = retentionInstanceId(ref.tenantId, ref.incidentId);
  for (const id of [...new Set([...input.evidenceIds, schedule, ...input.instanceIds])]) {
    const status = await orchestrations.status(id);
    if (!status) continue;
    if (isTerminal(status) && orchestrations.purge && (await orchestrations.purge(id))) {
      items.push({ kind: 'orchestration', id });
      continue;
    }
    // A schedule still sleeping is told to decide again: it finds the incident gone and completes.
    if (id === schedule) await orchestrations.raiseEvent(id, RETENTION_RECHECK_EVENT, {}).catch(() => undefined);
    // An item still waiting for its review (up to the review deadline) is withdrawn: it ends at once
    // (during a review render: once the render's result, which finds no record, is handled).
    const stage = (status.customStatus as { stage?: string } | undefined)?.stage;
    if (input.evidenceIds.includes(id) && (stage === 'awaiting-review' || stage === 'review-rendering')) {
      await orchestrations.raiseEvent(id, REVIEW_EVENT, { kind: 'withdrawn' } satisfies ReviewDecisionEvent).catch(() => undefined);
    }
    later.push(id);
  }
  await schedulePurge(deps, { instanceIds: later });
  return { items, queued: later.length };
}

/** The deletion certificate: ids, hashes and time, nothing else (chunks of ≤ 1000 items). */
export async function certifyDeletion(deps: Pick<Deps, 'audit' | 'logger'>, input: DeleteIncidentInput & { items: DeletionItem[] }): Promise<{ items: number }> {
  const seen = new Set<string>();
  const items = input.items.filter((i) => (seen.has(`${i.kind}:${i.id}`) ? false : (seen.add(`${i.kind}:${i.id}`), true)));
  const base: AuditInput = {
    tenantId: input.tenantId,
    actor: system(input.cause === 'erasure' ? 'privacy' : 'retention'),
    action: input.cause === 'erasure' ? 'privacy.erasure' : 'retention.delete',
    target: { incidentId: input.incidentId, ...(input.requestId ? { requestId: input.requestId } : {}) },
    outcome: 'succeeded',
    channel: 'orchestration',
    reason: input.cause === 'erasure' ? 'erasure-request' : input.cause === 'sweeper' ? 'retention-ended-sweeper' : 'retention-ended',
  };
  if (items.length === 0) {
    await deps.audit.record({ ...base, reason: 'nothing-left' });
  } else {
    for (let i = 0; i < items.length; i += 1000) await deps.audit.record({ ...base, deleted: items.slice(i, i + 1000) });
  }
  // One line per deleted incident (ids only), so an operator can see why a record disappeared.
  deps.logger.info(input.cause === 'erasure' ? 'incident erased on request' : 'incident deleted: retention ended', {
    tenantId: input.tenantId,
    incidentId: input.incidentId,
    cause: input.cause,
    items: items.length,
  });
  return { items: items.length };
}

/**
 * A deletion that failed after the engine's retries: alert operators and leave an audit event. The
 * incident stays overdue, so the hourly sweeper starts the deletion again.
 */
export async function reportDeletionFailure(deps: Pick<Deps, 'audit' | 'logger'>, input: DeleteIncidentInput): Promise<void> {
  deps.logger.error('incident deletion failed', { alert: 'deletion-failed', tenantId: input.tenantId, incidentId: input.incidentId, cause: input.cause });
  await deps.audit.record({
    tenantId: input.tenantId,
    actor: system(input.cause === 'erasure' ? 'privacy' : 'retention'),
    action: input.cause === 'erasure' ? 'privacy.erasure' : 'retention.delete',
    target: { incidentId: input.incidentId, ...(input.requestId ? { requestId: input.requestId } : {}) },
    outcome: 'failed',
    channel: 'orchestration',
    reason: 'deletion-step-failed',
  });
}

// ---------------------------------------------------------------- purge queue + sweeper ------

/** Queues orchestration instances for purging once terminal (e.g. a deletion's own history). */
export async function schedulePurge(deps: Pick<Deps, 'queue'>, input: { instanceIds: string[] }): Promise<{ queued: number }> {
  for (const instanceId of input.instanceIds) await deps.queue.send(PURGE_QUEUE, { instanceId });
  return { queued: input.instanceIds.length };
}

/** Purges queued instances that have ended; running ones stay queued (they reappear after 5 minutes). */
export async function drainPurgeQueue(deps: Pick<Deps, 'queue' | 'logger'>, orchestrations: Orchestrations, maxBatches = 20): Promise<{ purged: number; waiting: number }> {
  let purged = 0;
  let waiting = 0;
  if (!orchestrations.purge) return { purged, waiting };
  for (let batch = 0; batch < maxBatches; batch++) {
    const messages = await deps.queue.receive(PURGE_QUEUE, { max: 32, visibilityTimeoutSeconds: 300 });
    if (messages.length === 0) break;
    for (const m of messages) {
      let instanceId: unknown;
      try {
        instanceId = (JSON.parse(m.body) as { instanceId?: unknown }).instanceId;
      } catch {
        instanceId = undefined;
      }
      if (typeof instanceId !== 'string') {
        await deps.queue.delete(PURGE_QUEUE, m);
        continue;
      }
      const status = await orchestrations.status(instanceId);
      if (status && !isTerminal(status)) {
        waiting++;
        continue;
      }
      if (status && (await orchestrations.purge(instanceId))) purged++;
      await deps.queue.delete(PURGE_QUEUE, m);
    }
  }
  return { purged, waiting };
}

export interface SweepResult {
  due: number;
  deletionsStarted: number;
  schedulesNudged: number;
  held: number;
  notDue: number;
  purged: number;
}

/**
 * The safety net (timer trigger, hourly): every incident whose `deleteAfter` has passed is re-read;
 * under hold its schedule is (re)started so the skip is logged and the lift noticed; if its schedule
 * runs, the schedule is nudged; otherwise deletion starts now. Then the purge queue is drained.
 */
export async function sweepRetention(deps: Deps, orchestrations: Orchestrations, limit = 500): Promise<SweepResult> {
  const now = deps.clock.now();
  const result: SweepResult = { due: 0, deletionsStarted: 0, schedulesNudged: 0, held: 0, notDue: 0, purged: 0 };
  for (const ref of await lifecycleOf(deps).dueIndex.findDue(now, limit)) {
    result.due++;
    try {
      const found = await deps.incidents.get(ref.tenantId, ref.incidentId);
      if (!found) continue;
      const decision = retentionDecision(retentionSubject(found.doc), policyFor(deps, ref.tenantId), now);
      const scheduleId = retentionInstanceId(ref.tenantId, ref.incidentId);
      const schedule = await orchestrations.status(scheduleId);
      const scheduleRuns = !!schedule && !isTerminal(schedule);
      if (decision.kind === 'held') {
        // The schedule logs each skip and notices the lift; start it only if it is not running.
        result.held++;
        if (!scheduleRuns) await ensureRetentionSchedule(deps, orchestrations, ref);
        continue;
      }
      if (decision.kind === 'wait' && !found.doc.deletingAt) {
        // Stale index (e.g. the outcome changed): repair it, and let the schedule handle the rest.
        result.notDue++;
        await updateIncident(deps, ref.tenantId, ref.incidentId, (i) => ({ ...i, deleteAfter: decision.dueAt.toISOString() }), { by: 'system:sweeper' });
        continue;
      }
      if (scheduleRuns) {
        await orchestrations.raiseEvent(scheduleId, RETENTION_RECHECK_EVENT, {});
        result.schedulesNudged++;
        continue;
      }
      if ((await startDeletion(orchestrations, { ...ref, cause: 'sweeper' })) === 'started') result.deletionsStarted++;
    } catch (err) {
      deps.logger.error('retention sweep failed for an incident', { ...ref, error: (err as Error).name });
    }
  }
  result.purged = (await drainPurgeQueue(deps, orchestrations)).purged;
  if (result.due > 0 || result.purged > 0) deps.logger.info('retention sweep', { ...result });
  return result;
}
