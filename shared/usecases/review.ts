/**
 * Human review before publishing (issue 13): the tenant's review rule, holding an item for review
 * (the original sealed with the incident's data key), reviewer edits applied by a re-render, approval,
 * rejection and the deadline. The orchestration (functions/orchestrators/process-evidence.ts) owns
 * the order of steps; these are its activities and the API's use cases.
 *
 * Nothing here ever serves an original: the reviewer sees the current review render (redacted, and
 * holding obscured whatever the verifier still found) and the report's track boxes.
 */
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import {
  CONTAINERS,
  RejectReasonSchema,
  blobNames,
  type EvidenceRecord,
  type EvidenceReview,
  type IncidentRecord,
  type ReviewMode,
} from '../domain/incident.js';
import { BoxSchema, RedactionEditsSchema, ReviewBoxSchema, type RedactionEdits, type RedactionResult, type ReviewReason } from '../domain/redaction.js';
import { TENANT_SETTINGS_ID, type TenantSettingsRecord, UpdateTenantSettingsSchema } from '../domain/tenant-settings.js';
import type { AuditSink, Clock, DocumentStore, Orchestrations } from '../ports/index.js';
import { NotFoundError } from '../ports/index.js';
import { ProblemError, problems } from '../http/problem.js';
import { requireRole, type Principal } from '../auth/tokens.js';
import { createEncryptStream } from '../crypto/segmented-aead.js';
import { recordUserAction, userActor } from './audit-actors.js';
import { findTenantIncident } from './incident-access.js';
import { updateIncident } from './update-incident.js';
import { incidentDataKey, sealingFor } from './sealed-media.js';
import { measureRedactedOutput, type EvidenceRef } from './evidence.js';
import type { Deps } from './deps.js';
import type { ReadReviewRule } from '../ports/review.js';
import { telemetryMetrics } from '../telemetry/metrics.js';

import { REVIEW_EVENT, type ReviewDecisionEvent } from './review-names.js';

// ---------------------------------------------------------------------------------------------
// The tenant's rule


export function makeReadReviewRule(
  settings: Pick<DocumentStore<TenantSettingsRecord>, 'get'>,
  defaults: { REVIEW_DEFAULT: ReviewMode; REVIEW_DEADLINE_HOURS: number },
): ReadReviewRule {
  return async (tenantId) => {
    const found = await settings.get(tenantId, TENANT_SETTINGS_ID);
    return { review: found?.doc.review ?? defaults.REVIEW_DEFAULT, deadlineHours: defaults.REVIEW_DEADLINE_HOURS };
  };
}

/** GET /api/settings (investigators and admins; audited as `config.read`). */
export function makeGetTenantSettings(readRule: ReadReviewRule, audit: AuditSink) {
  return async (principal: Principal, origin?: string) => {
    requireRole(principal, ['investigator', 'admin']);
    await recordUserAction(audit, principal, { action: 'config.read', target: { setting: 'review' }, outcome: 'allowed' }, origin);
    const rule = await readRule(principal.tenantId);
    return { review: rule.review, reviewDeadlineHours: rule.deadlineHours };
  };
}

/** PUT /api/settings (admins): validated, stored, audited as a configuration change. */
export function makeUpdateTenantSettings(
  settings: Pick<DocumentStore<TenantSettingsRecord>, 'get' | 'create' | 'replace'>,
  readRule: ReadReviewRule,
  audit: AuditSink,
  clock: Clock,
) {
  return async (principal: Principal, body: unknown, origin?: string) => {
    requireRole(principal, ['admin']);
    const parsed = UpdateTenantSettingsSchema.safeParse(body);
    if (!parsed.success) throw new ProblemError(problems.validation(parsed.error));
    const doc: TenantSettingsRecord = {
      id: TENANT_SETTINGS_ID,
      tenantId: principal.tenantId,
      review: parsed.data.review,
      updatedAt: clock.now().toISOString(),
      updatedBy: principal.subject.slice(0, 128),
    };
    await recordUserAction(audit, principal, { action: 'config.change', target: { setting: 'review' }, outcome: 'succeeded', reason: `review-${parsed.data.review}` }, origin);
    const current = await settings.get(principal.tenantId, TENANT_SETTINGS_ID);
    if (current) await settings.replace(doc, current.etag);
    else await settings.create(doc);
    const rule = await readRule(principal.tenantId);
    return { review: rule.review, reviewDeadlineHours: rule.deadlineHours };
  };
}

// ---------------------------------------------------------------------------------------------
// Activities of the orchestration

const system = { type: 'system', id: 'pipeline' } as const;

function evidenceOf(incident: IncidentRecord, evidenceId: string): EvidenceRecord | undefined {
  return incident.evidence.find((e) => e.id === evidenceId);
}

/**
 * Holds an item for review: the uploaded original is sealed with the incident's data key (segmented
 * AES-256-GCM, as the redacted media) into `evidence/<t>/<i>/<e>/original.sealed`, the plaintext
 * upload deleted, and the item marked `awaiting-review` with its reasons, since and deadline (both from
 * the orchestration's clock: deterministic, and exactly the review window apart). Idempotent: a retry after a crash finds the sealed copy and goes on.
 */
export async function enterReview(
  deps: Pick<Deps, 'blobs' | 'incidents' | 'dataKeys' | 'clock' | 'audit' | 'logger'>,
  input: { ref: EvidenceRef; reasons: ReviewReason[]; since: string; deadline: string },
): Promise<{ ok: true }> {
  const { ref } = input;
  const ingest = blobNames.ingest(ref.tenantId, ref.incidentId, ref.evidenceId);
  const sealedName = blobNames.sealedOriginal(ref.tenantId, ref.incidentId, ref.evidenceId);
  let sealed = await deps.blobs.getProperties(CONTAINERS.evidence, sealedName);
  if (!sealed) {
    const key = await incidentDataKey(deps, ref.tenantId, ref.incidentId);
    try {
      const { keyRef } = await sealingFor(deps, ref.tenantId, ref.incidentId);
      const { stream } = await deps.blobs.download(CONTAINERS.ingest, ingest);
      const encrypt = createEncryptStream({ key, keyRef });
      const upload = deps.blobs.upload(CONTAINERS.evidence, sealedName, encrypt, { contentType: 'application/octet-stream', createOnly: true });
      await Promise.all([pipeline(stream, encrypt), upload]);
    } finally {
      key.fill(0);
    }
    sealed = await deps.blobs.getProperties(CONTAINERS.evidence, sealedName);
    if (!sealed) throw new Error('the sealed original was not stored');
  }
  await deps.blobs.delete(CONTAINERS.ingest, ingest);
  const now = deps.clock.now().toISOString();
  const storedBytes = sealed.size;
  await updateIncident(deps, ref.tenantId, ref.incidentId, (incident) => {
    const e = evidenceOf(incident, ref.evidenceId);
    if (!e) throw new NotFoundError(`evidence ${ref.evidenceId} not found`);
    if (e.status !== 'processing') return undefined;
    e.status = 'awaiting-review';
    e.review = { reasons: input.reasons, since: input.since, deadline: input.deadline, state: 'ready', renderVersion: 0, history: [], original: { blobName: sealedName, storedBytes } };
    e.updatedAt = now;
    return incident;
  });
  telemetryMetrics.reviewHeld(input.reasons[0] ?? 'tenant-reviews-all');
  deps.logger.info('evidence awaiting review', { incidentId: ref.incidentId, evidenceId: ref.evidenceId, reasons: input.reasons.join(',') || 'tenant-reviews-all' });
  await deps.audit.record({
    tenantId: ref.tenantId,
    actor: system,
    action: 'evidence.awaiting-review',
    target: { incidentId: ref.incidentId, evidenceId: ref.evidenceId },
    outcome: 'succeeded',
    reason: input.reasons[0] ?? 'tenant-reviews-all',
  });
  return { ok: true };
}

/**
 * Records a review re-render (edits version `version`): the output is re-hashed under the incident's
 * key exactly as an automatic render, then becomes the render the reviewer sees; earlier renders are
 * deleted. A failed re-render leaves the previous render in place and notes the failure.
 */
export async function recordReviewRender(
  deps: Pick<Deps, 'blobs' | 'incidents' | 'dataKeys' | 'clock'>,
  input: { ref: EvidenceRef; version: number; result: RedactionResult | null },
): Promise<{ ok: boolean; code?: string }> {
  const { ref, version, result } = input;
  const now = deps.clock.now().toISOString();
  let failure: string | undefined;
  let measured: Awaited<ReturnType<typeof measureRedactedOutput>> | undefined;
  if (!result) failure = 'redaction-timeout';
  else if (result.outcome === 'failed') failure = result.code;
  else {
    measured = await measureRedactedOutput(deps, ref, result);
    if (!measured.ok) failure = measured.code;
  }
  let previous: string | undefined;
  try {
    await updateIncident(deps, ref.tenantId, ref.incidentId, (incident) => {
      const e = evidenceOf(incident, ref.evidenceId);
      if (!e?.review || e.status !== 'awaiting-review' || e.review.state !== 'rendering') return undefined;
      e.review.state = 'ready';
      if (failure || !measured?.ok || result?.outcome !== 'succeeded') {
        e.review.history.push({ version, kind: 'render-failed', by: 'system:pipeline', at: now, reason: (failure ?? 'failed').slice(0, 64) });
      } else {
        previous = e.redacted?.blobName;
        e.redacted = measured.redacted;
        e.summary = result.summary;
        e.review.renderVersion = version;
        e.review.reasons = result.summary.review?.reasons ?? [];
      }
      e.updatedAt = now;
      return incident;
    });
  } catch (err) {
    // The incident was deleted while the render ran (retention, erasure): nothing left to record,
    // and the render written after the deletion goes too.
    if (err instanceof NotFoundError) {
      if (result?.outcome === 'succeeded') {
        await deps.blobs.delete(result.output.container, result.output.name);
        await deps.blobs.delete(result.report.container, result.report.name);
      }
      return { ok: false, code: 'record-missing' };
    }
    throw err;
  }
  if (previous && measured?.ok && previous !== measured.redacted.blobName) await deps.blobs.delete(CONTAINERS.evidence, previous);
  return failure ? { ok: false, code: failure } : { ok: true };
}

// ---------------------------------------------------------------------------------------------
// The API

/** POST …/review/edits (the whole edit set, against the version it started from). */
export const ReviewEditsRequestSchema = z
  .object({
    baseVersion: z.number().int().min(0).max(1000),
    keepTracks: RedactionEditsSchema.shape.keepTracks,
    obscureTracks: RedactionEditsSchema.shape.obscureTracks,
    obscureBodies: RedactionEditsSchema.shape.obscureBodies,
    boxes: z.array(ReviewBoxSchema).max(64).optional(),
  })
  .strict();
/** POST …/review/approve */
export const ApproveReviewSchema = z.object({ version: z.number().int().min(0).max(1000) }).strict();
/** POST …/review/reject */
export const RejectReviewSchema = z.object({ reason: RejectReasonSchema }).strict();

/** The part of a redaction report the review shows (the report holds ids, numbers and boxes only). */
const ReportForReviewSchema = z.object({
  output: z.object({ contentType: z.string(), width: z.number(), height: z.number(), fps: z.number(), frames: z.number(), durationSeconds: z.number() }),
  tracks: z.array(
    z.object({
      id: z.number().int(),
      class: z.enum(['face', 'plate', 'person']),
      firstFrame: z.number().int(),
      lastFrame: z.number().int(),
      kept: z.boolean(),
      boxes: z.array(BoxSchema.extend({ frame: z.number().int() }).or(z.object({ frame: z.number(), x: z.number(), y: z.number(), w: z.number(), h: z.number() }))).optional(),
    }),
  ),
  verification: z.object({ failedFrames: z.array(z.number().int()).optional() }),
});
type ReportForReview = z.infer<typeof ReportForReviewSchema>;

export interface ReviewPorts {
  deps: Pick<Deps, 'incidents' | 'blobs' | 'audit' | 'clock' | 'dataKeys' | 'lifecycle'>;
  orchestrations: Pick<Orchestrations, 'raiseEvent'>;
}

interface ReviewTarget {
  incidentId: string;
  evidenceId: string;
}

async function loadUnderReview(ports: Pick<ReviewPorts, 'deps'>, principal: Principal, t: ReviewTarget, action: 'review.read' | 'review.edit' | 'review.approve' | 'review.reject', origin?: string) {
  requireRole(principal, ['investigator', 'admin']);
  const found = await findTenantIncident(ports.deps, principal.tenantId, t.incidentId);
  const evidence = found && evidenceOf(found.doc, t.evidenceId);
  if (!evidence) {
    await recordUserAction(ports.deps.audit, principal, { action, target: { incidentId: t.incidentId.slice(0, 64), evidenceId: t.evidenceId.slice(0, 64) }, outcome: 'denied', reason: 'not-found' }, origin);
    throw new ProblemError(problems.notFound(`evidence ${t.evidenceId.slice(0, 64)}`));
  }
  return { incident: found.doc, evidence };
}

async function readReport(deps: Pick<Deps, 'blobs'>, evidence: EvidenceRecord): Promise<ReportForReview | undefined> {
  if (!evidence.redacted) return undefined;
  try {
    const { stream } = await deps.blobs.download(CONTAINERS.reports, evidence.redacted.reportBlobName);
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    return ReportForReviewSchema.parse(JSON.parse(Buffer.concat(chunks).toString('utf8')));
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}

function reviewView(t: ReviewTarget, evidence: EvidenceRecord, review: EvidenceReview, report: ReportForReview | undefined) {
  return {
    evidenceId: evidence.id,
    status: evidence.status,
    state: review.state,
    reasons: review.reasons,
    since: review.since,
    deadline: review.deadline,
    render: report
      ? { version: review.renderVersion, contentType: report.output.contentType, width: report.output.width, height: report.output.height, fps: report.output.fps, frames: report.output.frames, durationSeconds: report.output.durationSeconds }
      : { version: review.renderVersion },
    tracks: (report?.tracks ?? []).map((tr) => ({ id: tr.id, class: tr.class, kept: tr.kept, firstFrame: tr.firstFrame, lastFrame: tr.lastFrame, boxes: (tr.boxes ?? []).map((b) => ({ frame: b.frame, x: b.x, y: b.y, w: b.w, h: b.h })) })),
    failedFrames: report?.verification.failedFrames ?? [],
    edits: review.edits ?? null,
    history: review.history.map((h) => ({ version: h.version, kind: h.kind, by: h.by, at: h.at, ...(h.reason ? { reason: h.reason } : {}) })),
    previewUrl: `/api/incidents/${encodeURIComponent(t.incidentId)}/evidence/${encodeURIComponent(t.evidenceId)}/preview`,
  };
}

/** GET …/review: the review state, the current render's tracks (boxes at keyframes) and the history. */
export async function getReview(ports: Pick<ReviewPorts, 'deps'>, principal: Principal, t: ReviewTarget, origin?: string) {
  const { evidence } = await loadUnderReview(ports, principal, t, 'review.read', origin);
  if (!evidence.review) throw await refused(ports, principal, t, 'review.read', origin, `evidence ${t.evidenceId} was never held for review (it is ${evidence.status})`, 'not-under-review');
  await recordUserAction(ports.deps.audit, principal, { action: 'review.read', target: { incidentId: t.incidentId, evidenceId: t.evidenceId, version: evidence.review.renderVersion }, outcome: 'allowed' }, origin);
  return reviewView(t, evidence, evidence.review, await readReport(ports.deps, evidence));
}

/** A refused review action: audited as denied with its code, answered 409 with the same code. */
async function refused(
  ports: Pick<ReviewPorts, 'deps'>,
  principal: Principal,
  t: ReviewTarget,
  action: 'review.read' | 'review.edit' | 'review.approve' | 'review.reject',
  origin: string | undefined,
  detail: string,
  code: string,
): Promise<ProblemError> {
  await recordUserAction(ports.deps.audit, principal, { action, target: { incidentId: t.incidentId, evidenceId: t.evidenceId }, outcome: 'denied', reason: code }, origin);
  return new ProblemError({ ...problems.conflict(detail), code });
}

/** The track ids an edit names must exist in the render the reviewer saw. */
function checkTrackIds(edits: Omit<RedactionEdits, 'version'>, report: ReportForReview | undefined): void {
  const ids = new Map((report?.tracks ?? []).map((tr) => [tr.id, tr.class]));
  const errors: Array<{ path: string; message: string }> = [];
  const check = (field: 'keepTracks' | 'obscureTracks' | 'obscureBodies', allowed: readonly string[]) => {
    for (const [i, id] of (edits[field] ?? []).entries()) {
      const cls = ids.get(id);
      if (cls === undefined) errors.push({ path: `${field}.${i}`, message: `track ${id} is not in the current render` });
      else if (!allowed.includes(cls)) errors.push({ path: `${field}.${i}`, message: `track ${id} is a ${cls} track; ${field} takes ${allowed.join(' or ')} tracks` });
    }
  };
  check('keepTracks', ['person', 'face']);
  check('obscureTracks', ['person', 'face', 'plate']);
  check('obscureBodies', ['person']);
  const both = (edits.keepTracks ?? []).filter((id) => (edits.obscureTracks ?? []).includes(id));
  for (const id of both) errors.push({ path: 'keepTracks', message: `track ${id} cannot be both kept and obscured` });
  if (errors.length) throw new ProblemError({ type: 'https://bystander.dev/problems/validation', title: 'Invalid review edits', status: 400, detail: errors.map((e) => `${e.path}: ${e.message}`).join('; '), errors });
}

/**
 * POST …/review/edits: the whole edit set, against the version the reviewer started from. Stored as
 * version n+1 (audited, with who and when), then the orchestration re-renders from the sealed
 * original and verifies again; the reviewer polls GET …/review until the state is `ready`.
 */
export async function submitReviewEdits(ports: ReviewPorts, principal: Principal, t: ReviewTarget, body: unknown, origin?: string) {
  const parsed = ReviewEditsRequestSchema.safeParse(body);
  if (!parsed.success) throw new ProblemError(problems.validation(parsed.error));
  const { incident, evidence } = await loadUnderReview(ports, principal, t, 'review.edit', origin);
  const review = evidence.review;
  const refuse = (detail: string, code: string) => refused(ports, principal, t, 'review.edit', origin, detail, code);
  if (evidence.status !== 'awaiting-review' || !review) throw await refuse(`evidence ${t.evidenceId} is not awaiting review (it is ${evidence.status})`, 'not-awaiting-review');
  if (review.state === 'rendering') throw await refuse('edits are being applied; wait until the new render is ready', 'render-in-progress');
  const current = review.edits?.version ?? 0;
  if (parsed.data.baseVersion !== current) throw await refuse(`the edits are based on version ${parsed.data.baseVersion} but version ${current} is current; reload the review`, 'stale-version');
  const { baseVersion: _base, ...set } = parsed.data;
  checkTrackIds(set, await readReport(ports.deps, evidence));
  const version = current + 1;
  const edits: RedactionEdits = RedactionEditsSchema.parse({ version, ...set });
  const now = ports.deps.clock.now().toISOString();
  const by = userActor(principal).id;
  let accepted = false;
  await updateIncident(ports.deps, incident.tenantId, incident.id, (doc) => {
    const e = evidenceOf(doc, t.evidenceId);
    if (!e?.review || e.status !== 'awaiting-review' || e.review.state !== 'ready' || (e.review.edits?.version ?? 0) !== current) return undefined;
    e.review.edits = edits;
    e.review.state = 'rendering';
    e.review.history.push({ version, kind: 'edits', by, at: now });
    accepted = true;
    return doc;
  }, { by });
  if (!accepted) throw await refuse('the review changed meanwhile; reload it', 'stale-version');
  await recordUserAction(ports.deps.audit, principal, { action: 'review.edit', target: { incidentId: t.incidentId, evidenceId: t.evidenceId, version }, outcome: 'succeeded' }, origin);
  await ports.orchestrations.raiseEvent(t.evidenceId, REVIEW_EVENT, { kind: 'edits', version } satisfies ReviewDecisionEvent);
  return { version, state: 'rendering' as const };
}

/** POST …/review/approve: publishes the render the reviewer saw (refused when a newer one exists or one is rendering). */
export async function approveReview(ports: ReviewPorts, principal: Principal, t: ReviewTarget, body: unknown, origin?: string) {
  const parsed = ApproveReviewSchema.safeParse(body);
  if (!parsed.success) throw new ProblemError(problems.validation(parsed.error));
  return decide(ports, principal, t, origin, 'approve', parsed.data.version, undefined);
}

/** POST …/review/reject: the original is deleted and the item quarantined (`review-rejected`, with the reason code). */
export async function rejectReview(ports: ReviewPorts, principal: Principal, t: ReviewTarget, body: unknown, origin?: string) {
  const parsed = RejectReviewSchema.safeParse(body);
  if (!parsed.success) throw new ProblemError(problems.validation(parsed.error));
  return decide(ports, principal, t, origin, 'reject', undefined, parsed.data.reason);
}

async function decide(ports: ReviewPorts, principal: Principal, t: ReviewTarget, origin: string | undefined, kind: 'approve' | 'reject', version: number | undefined, reason: string | undefined) {
  const action = kind === 'approve' ? 'review.approve' : 'review.reject';
  const { incident, evidence } = await loadUnderReview(ports, principal, t, action, origin);
  const review = evidence.review;
  const refuse = (detail: string, code: string) => refused(ports, principal, t, action, origin, detail, code);
  if (evidence.status !== 'awaiting-review' || !review) throw await refuse(`evidence ${t.evidenceId} is not awaiting review (it is ${evidence.status})`, 'not-awaiting-review');
  if (review.state === 'rendering') throw await refuse('edits are being applied; review the new render first', 'render-in-progress');
  if (review.state === 'decided') throw await refuse('a decision was already made', 'already-decided');
  if (kind === 'approve' && version !== review.renderVersion) throw await refuse(`render version ${version} is not the current one (${review.renderVersion}); review the current render`, 'stale-version');
  const now = ports.deps.clock.now().toISOString();
  const by = userActor(principal).id;
  let accepted = false;
  await updateIncident(ports.deps, incident.tenantId, incident.id, (doc) => {
    const e = evidenceOf(doc, t.evidenceId);
    if (!e?.review || e.status !== 'awaiting-review' || e.review.state !== 'ready' || e.review.renderVersion !== review.renderVersion) return undefined;
    e.review.state = 'decided';
    e.review.history.push({ version: review.renderVersion, kind: kind === 'approve' ? 'approved' : 'rejected', by, at: now, ...(reason ? { reason } : {}) });
    accepted = true;
    return doc;
  }, { by });
  if (!accepted) throw await refuse('the review changed meanwhile; reload it', 'stale-version');
  telemetryMetrics.reviewWait(kind === 'approve' ? 'approved' : 'rejected', (Date.parse(now) - Date.parse(review.since)) / 1000);
  await recordUserAction(ports.deps.audit, principal, { action, target: { incidentId: t.incidentId, evidenceId: t.evidenceId, version: review.renderVersion }, outcome: 'succeeded', ...(reason ? { reason } : {}) }, origin);
  const event: ReviewDecisionEvent = kind === 'approve' ? { kind: 'approve', version: review.renderVersion } : { kind: 'reject', reason: reason! };
  await ports.orchestrations.raiseEvent(t.evidenceId, REVIEW_EVENT, event);
  return kind === 'approve' ? { status: 'publishing' as const } : { status: 'quarantined' as const };
}

/** The deadline passed with no decision: noted in the history (the orchestration then quarantines). */
export async function reviewDeadlinePassed(deps: Pick<Deps, 'incidents' | 'clock'>, ref: EvidenceRef): Promise<{ ok: true }> {
  const now = deps.clock.now().toISOString();
  let since: string | undefined;
  await updateIncident(deps, ref.tenantId, ref.incidentId, (doc) => {
    const e = evidenceOf(doc, ref.evidenceId);
    if (!e?.review || e.review.state === 'decided') return undefined;
    e.review.state = 'decided';
    e.review.history.push({ version: e.review.renderVersion, kind: 'deadline', by: 'system:pipeline', at: now });
    since = e.review.since;
    return doc;
  });
  if (since) telemetryMetrics.reviewWait('deadline', (Date.parse(now) - Date.parse(since)) / 1000);
  return { ok: true };
}
