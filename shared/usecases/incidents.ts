import {
  ALLOWED_CONTENT_TYPES,
  CONTAINERS,
  CreateIncidentSchema,
  blobNames,
  toIncidentView,
  type EvidenceRecord,
  type IncidentRecord,
} from '../domain/incident.js';
import { ProblemError, problems } from '../http/problem.js';
import { requireRole, type Principal } from '../auth/tokens.js';
import type { Deps } from './deps.js';
import { recordUserAction } from './audit-actors.js';
import { findTenantIncident, readIncidentAudited } from './incident-access.js';
import { incidentDataKey, openSealedRange } from './sealed-media.js';
import type { Orchestrations } from '../ports/index.js';
import { deleteAfterFor, ensureRetentionSchedule, policyFor } from './retention.js';
import { retentionDays } from '../retention/policy.js';

/** How far in the future `occurredAt` may be (clocks of store systems drift). */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

export interface UploadSlot {
  evidenceId: string;
  fileName: string;
  method: 'PUT';
  url: string;
  headers: Record<string, string>;
  expiresAt: string;
}

/**
 * A retailer system declares an incident and its evidence; gets one create-only upload URL per item.
 * The strict schema rejects unknown fields; free text is screened for special-category terms.
 */
export async function createIncident(
  deps: Deps,
  principal: Principal,
  body: unknown,
  origin?: string,
  orchestrations?: Orchestrations,
  /** The trace each evidence item will belong to (an opaque traceparent from the HTTP binding). */
  traceFor?: (evidenceId: string) => string | undefined,
) {
  requireRole(principal, ['uploader', 'investigator', 'admin']);
  const parsed = CreateIncidentSchema.safeParse(body);
  if (!parsed.success) throw new ProblemError(problems.validation(parsed.error));
  const input = parsed.data;

  const hit = deps.screener.check(input.description);
  if (hit) throw new ProblemError(problems.screened('description', hit.phrase));
  for (const [i, e] of input.evidence.entries()) {
    const fileHit = deps.screener.check(e.fileName.replace(/[._-]+/g, ' '));
    if (fileHit) throw new ProblemError(problems.screened(`evidence.${i}.fileName`, fileHit.phrase));
    if (e.sizeBytes > deps.config.MAX_UPLOAD_BYTES) {
      throw new ProblemError(problems.tooLarge(`evidence.${i}.sizeBytes exceeds the limit of ${deps.config.MAX_UPLOAD_BYTES} bytes`));
    }
  }
  const now = deps.clock.now();
  const occurredAt = new Date(input.occurredAt);
  if (occurredAt.getTime() > now.getTime() + MAX_CLOCK_SKEW_MS) {
    throw new ProblemError(problems.badRequest(`occurredAt (${occurredAt.toISOString()}) is in the future; allowed clock skew is ${MAX_CLOCK_SKEW_MS / 60_000} minutes`));
  }
  // An incident whose lawful retention has already ended may not be stored at all: refuse it before
  // any key, record or upload slot exists, and leave the refusal in the audit trail.
  const subject = { tenantId: principal.tenantId, occurredAt: occurredAt.toISOString(), category: input.category, outcome: input.outcome ?? 'none' };
  const deleteAfter = deleteAfterFor(deps, subject);
  if (Date.parse(deleteAfter) <= now.getTime()) {
    await recordUserAction(deps.audit, principal, { action: 'incident.create', target: {}, outcome: 'denied', reason: 'retention-ended' }, origin);
    const days = retentionDays(policyFor(deps, principal.tenantId), subject.category, subject.outcome);
    throw new ProblemError(problems.retentionEnded({ category: subject.category, outcome: subject.outcome, days }, subject.occurredAt, deleteAfter));
  }

  const incidentId = deps.newId();
  const expiresAt = new Date(now.getTime() + deps.config.UPLOAD_URL_TTL_MINUTES * 60_000);
  const evidence: EvidenceRecord[] = input.evidence.map((e) => ({
    id: deps.newId(),
    tenantId: principal.tenantId,
    incidentId,
    fileName: e.fileName,
    contentType: e.contentType,
    mediaKind: ALLOWED_CONTENT_TYPES[e.contentType],
    declaredSizeBytes: e.sizeBytes,
    ...(e.sha256 ? { declaredSha256: e.sha256 } : {}),
    subjectHints: e.subjectHints ?? [],
    ...(e.keepTracks?.length ? { keepTracks: e.keepTracks } : {}),
    status: 'awaiting-upload',
    uploadExpiresAt: expiresAt.toISOString(),
    updatedAt: now.toISOString(),
  }));
  // Each item's trace: an opaque id from the HTTP binding (its spans are the binding's business).
  for (const e of evidence) {
    const traceparent = traceFor?.(e.id);
    if (traceparent) e.traceparent = traceparent;
  }
  // The incident's own data key, wrapped by the geography's KEK (fails closed if Key Vault is unusable).
  const { wrapped } = await deps.dataKeys.create({ tenantId: principal.tenantId, incidentId });
  const incident: IncidentRecord = {
    id: incidentId,
    tenantId: principal.tenantId,
    geography: deps.config.BYSTANDER_GEOGRAPHY,
    storeId: input.storeId,
    occurredAt: subject.occurredAt,
    category: input.category,
    outcome: subject.outcome,
    description: input.description,
    evidence,
    createdAt: now.toISOString(),
    createdBy: principal.subject,
    updatedAt: now.toISOString(),
    dataKey: wrapped,
  };
  // Retention: due date from the incident date (never from edits), watched by a per-incident schedule.
  incident.deleteAfter = deleteAfter;

  // Audit first: if the trail cannot be written, the action is refused.
  await recordUserAction(deps.audit, principal, {
    action: 'incident.create',
    target: { incidentId },
    outcome: 'succeeded',
  }, origin);
  await deps.incidents.create(incident);

  const uploads: UploadSlot[] = [];
  for (const e of evidence) {
    uploads.push({
      evidenceId: e.id,
      fileName: e.fileName,
      method: 'PUT',
      url: await deps.blobs.createUploadUrl(CONTAINERS.ingest, blobNames.ingest(principal.tenantId, incidentId, e.id), expiresAt),
      headers: { 'x-ms-blob-type': 'BlockBlob', 'content-type': e.contentType },
      expiresAt: expiresAt.toISOString(),
    });
  }
  if (orchestrations) await ensureRetentionSchedule(deps, orchestrations, { tenantId: incident.tenantId, incidentId });
  return { incident: toIncidentView(incident), uploads };
}

/** Tenant-scoped read: another tenant's incident is indistinguishable from a missing one. */
export async function getIncident(deps: Deps, principal: Principal, incidentId: string, origin?: string) {
  requireRole(principal, ['uploader', 'investigator', 'admin']);
  return toIncidentView(await readIncidentAudited(deps, principal, incidentId, 'incident.read', origin));
}

/**
 * Streams the redacted media of one evidence item to an investigator (tenant-scoped, audited):
 * `published` — the published render; `review` — the current review render of an item awaiting
 * review (GET …/preview). Anything else — processing, quarantined, rejected — is never served.
 */
export async function openRedactedEvidence(
  deps: Pick<Deps, 'incidents' | 'blobs' | 'audit' | 'dataKeys'>,
  principal: Principal,
  incidentId: string,
  evidenceId: string,
  /** Chooses the byte range once the size is known (HTTP Range); undefined for the whole file. */
  pickRange: (size: number) => { offset: number; count: number } | undefined,
  origin?: string,
  stage: 'published' | 'review' = 'published',
) {
  requireRole(principal, ['investigator', 'admin']);
  const found = await findTenantIncident(deps, principal.tenantId, incidentId);
  const evidence = found?.doc.evidence.find((e) => e.id === evidenceId);
  const servable = evidence?.status === (stage === 'published' ? 'published' : 'awaiting-review') && evidence.redacted;
  await recordUserAction(deps.audit, principal, {
    action: 'evidence.read',
    target: { incidentId: incidentId.slice(0, 64), evidenceId: evidenceId.slice(0, 64), ...(stage === 'review' && evidence?.review ? { version: evidence.review.renderVersion } : {}) },
    outcome: servable ? 'allowed' : 'denied',
    reason: servable ? (stage === 'review' ? 'review-preview' : undefined) : evidence ? `evidence is ${evidence.status}` : 'not found in tenant',
  }, origin);
  const what = stage === 'published' ? 'published evidence' : 'a review render of evidence';
  if (!evidence || !servable || !evidence.redacted) throw new ProblemError(problems.notFound(`${what} ${evidenceId.slice(0, 64)}`));
  return streamRedactedMedia(deps, evidence, pickRange, stage);
}

/**
 * The one way redacted media leaves storage (investigator API and police share page alike): only
 * for published evidence, by byte range. Callers do their own authorisation and auditing.
 */
export async function streamRedactedMedia(
  deps: Pick<Deps, 'blobs' | 'incidents' | 'dataKeys'>,
  evidence: EvidenceRecord,
  pickRange: (size: number) => { offset: number; count: number } | undefined,
  /** `review`: the current review render of an item awaiting review (reviewers only; see review.ts). */
  stage: 'published' | 'review' = 'published',
) {
  const redacted = evidence.status === (stage === 'published' ? 'published' : 'awaiting-review') ? evidence.redacted : undefined;
  if (!redacted) throw new ProblemError(problems.notFound(`published evidence ${evidence.id}`));
  const totalSize = redacted.sizeBytes;
  const range = pickRange(totalSize);
  const props = await deps.blobs.getProperties(CONTAINERS.evidence, redacted.blobName);
  // A stored blob that is not exactly what was recorded (truncated, replaced) is never served.
  if (!props || props.size !== redacted.storedBytes) throw new ProblemError(problems.notFound(`published evidence ${evidence.id}`));
  const key = await incidentDataKey(deps, evidence.tenantId, evidence.incidentId);
  const stream = openSealedRange(deps.blobs, CONTAINERS.evidence, redacted.blobName, redacted.storedBytes, key, range?.offset ?? 0, range?.count ?? totalSize);
  return { stream, range, totalSize, contentType: redacted.contentType, sha256: redacted.sha256 };
}
