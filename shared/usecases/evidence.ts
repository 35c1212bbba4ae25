import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { CONTAINERS, QUEUES, blobNames, type EvidenceRecord, type IncidentRecord } from '../domain/incident.js';
import { RedactionJobSchema, type RedactionJob, type RedactionResult } from '../domain/redaction.js';
import { ACCEPTED_VIDEO_HINT, SNIFF_BYTES, familyOf, sniff } from '../domain/sniff.js';
import { NotFoundError, type Orchestrations } from '../ports/index.js';
import { DecryptionError } from '../crypto/errors.js';
import { updateIncident } from './update-incident.js';
import type { Deps } from './deps.js';
import { incidentDataKey, sealingFor, sha256OfSealedBlob } from './sealed-media.js';
import type { ReadReviewRule, ReviewRule } from '../ports/review.js';

/** The only thing an orchestration carries: ids. */
export interface EvidenceRef {
  tenantId: string;
  incidentId: string;
  evidenceId: string;
  /** The item's trace (opaque W3C traceparent), carried so every step joins it. */
  traceparent?: string;
}

export const PROCESS_EVIDENCE = 'processEvidence';
export const REDACTION_RESULT_EVENT = 'RedactionResult';

const system = { type: 'system', id: 'pipeline' } as const;

async function sha256OfBlob(deps: Pick<Deps, 'blobs'>, container: string, name: string): Promise<{ sha256: string; size: number }> {
  const { stream } = await deps.blobs.download(container, name);
  const hash = createHash('sha256');
  let size = 0;
  await pipeline(
    stream,
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        size += chunk.length;
        cb();
      },
    }),
  );
  return { sha256: hash.digest('hex'), size };
}

function findEvidence(incident: IncidentRecord, evidenceId: string): EvidenceRecord | undefined {
  return incident.evidence.find((e) => e.id === evidenceId);
}

/** The stamp's review rule, for a tenant that has none (and for callers that read no tenant settings). */
export const defaultReviewRule = (config: Deps['config']): ReviewRule => ({ review: config.REVIEW_DEFAULT, deadlineHours: config.REVIEW_DEADLINE_HOURS });

/**
 * The orchestration input: ids plus the workflow's numbers and the tenant's review rule, fixed at
 * start so replays never see a changed setting.
 */
export function processEvidenceInput(deps: Pick<Deps, 'config'>, ref: EvidenceRef, rule: ReviewRule = defaultReviewRule(deps.config)) {
  return {
    tenantId: ref.tenantId,
    incidentId: ref.incidentId,
    evidenceId: ref.evidenceId,
    ...(ref.traceparent ? { traceparent: ref.traceparent } : {}),
    redactionTimeoutMinutes: deps.config.REDACTION_TIMEOUT_MINUTES,
    maxAttempts: deps.config.REDACTION_MAX_ATTEMPTS,
    review: rule.review,
    reviewDeadlineHours: rule.deadlineHours,
  };
}

export type UploadOutcome =
  | { outcome: 'started'; ref: EvidenceRef }
  | { outcome: 'duplicate'; ref: EvidenceRef }
  | { outcome: 'rejected'; reason: string };

/**
 * BlobCreated on `ingest/`: accept the blob only if it matches an open upload slot, hash it by
 * streaming, and start `processEvidence` with the evidence id as instance id (duplicate events
 * start nothing). A blob on no slot is deleted and the rejection audited.
 */
export async function acceptUpload(deps: Deps, orchestrations: Orchestrations, blobName: string, readReviewRule?: ReadReviewRule): Promise<UploadOutcome> {
  const input = async (ref: EvidenceRef) => processEvidenceInput(deps, ref, readReviewRule ? await readReviewRule(ref.tenantId) : defaultReviewRule(deps.config));
  const ref = blobNames.parseIngest(blobName);
  const reject = async (reason: string, tenantId?: string, target: Partial<EvidenceRef> = {}): Promise<UploadOutcome> => {
    await deps.blobs.delete(CONTAINERS.ingest, blobName);
    if (tenantId && target.incidentId && target.evidenceId) {
      const now = deps.clock.now().toISOString();
      await updateIncident(deps, tenantId, target.incidentId, (incident) => {
        const e = findEvidence(incident, target.evidenceId!);
        if (!e || e.status !== 'awaiting-upload') return undefined;
        e.status = 'rejected';
        e.quarantine = { code: 'upload-rejected', reason, at: now };
        e.updatedAt = now;
        return incident;
      });
    }
    deps.logger.warn('upload rejected', { reason, incidentId: target.incidentId, evidenceId: target.evidenceId });
    if (tenantId) {
      await deps.audit.record({ tenantId, actor: system, action: 'evidence.upload-rejected', target, outcome: 'denied', reason });
    }
    return { outcome: 'rejected', reason };
  };
  if (!ref) return reject('blob name does not match an upload slot');

  const found = await deps.incidents.get(ref.tenantId, ref.incidentId);
  const evidence = found && findEvidence(found.doc, ref.evidenceId);
  if (!found || !evidence) return reject('no upload slot for this blob', found ? ref.tenantId : undefined, ref);
  const traced: EvidenceRef = evidence.traceparent ? { ...ref, traceparent: evidence.traceparent } : ref;

  if (evidence.status !== 'awaiting-upload') {
    // A duplicate event (or a retry after a crash between the update and the start): make sure the
    // orchestration exists, start nothing new.
    if (evidence.status === 'processing') {
      const started = await orchestrations.start(PROCESS_EVIDENCE, ref.evidenceId, await input(traced));
      return { outcome: started === 'started' ? 'started' : 'duplicate', ref };
    }
    return { outcome: 'duplicate', ref };
  }
  const props = await deps.blobs.getProperties(CONTAINERS.ingest, blobName);
  if (!props) return { outcome: 'rejected', reason: 'blob vanished before it could be read' };
  const createdAt = props.createdOn?.getTime() ?? deps.clock.now().getTime();
  if (createdAt > Date.parse(evidence.uploadExpiresAt) + 60_000) return reject('upload slot had expired', ref.tenantId, ref);
  if (props.size === 0) return reject('the upload is empty (0 bytes)', ref.tenantId, ref);
  if (props.size > deps.config.MAX_UPLOAD_BYTES) return reject('the upload exceeds the size limit', ref.tenantId, ref);
  if (props.size !== evidence.declaredSizeBytes) {
    return reject(`size ${props.size} differs from the declared ${evidence.declaredSizeBytes} bytes`, ref.tenantId, ref);
  }

  const { sha256, size } = await sha256OfBlob(deps, CONTAINERS.ingest, blobName);
  if (evidence.declaredSha256 && evidence.declaredSha256 !== sha256) {
    return reject('SHA-256 differs from the declared hash', ref.tenantId, ref);
  }
  const now = deps.clock.now().toISOString();
  await updateIncident(deps, ref.tenantId, ref.incidentId, (incident) => {
    const e = findEvidence(incident, ref.evidenceId);
    if (!e || e.status !== 'awaiting-upload') return undefined;
    e.status = 'processing';
    e.original = { sha256, sizeBytes: size, receivedAt: now };
    e.updatedAt = now;
    return incident;
  });
  const started = await orchestrations.start(PROCESS_EVIDENCE, ref.evidenceId, await input(traced));
  return { outcome: started === 'started' ? 'started' : 'duplicate', ref };
}

export type InspectResult = { ok: true; mediaKind: 'video' | 'image' } | { ok: false; code: string; reason: string };

/** Content sniffing against the allowlist and the declared type; limits on size. */
export async function inspectEvidence(deps: Deps, ref: EvidenceRef): Promise<InspectResult> {
  const name = blobNames.ingest(ref.tenantId, ref.incidentId, ref.evidenceId);
  const found = await deps.incidents.get(ref.tenantId, ref.incidentId);
  const evidence = found && findEvidence(found.doc, ref.evidenceId);
  if (!evidence) return { ok: false, code: 'record-missing', reason: 'the evidence record no longer exists' };
  let head: Buffer;
  try {
    const { stream, properties } = await deps.blobs.download(CONTAINERS.ingest, name, { offset: 0, count: SNIFF_BYTES });
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    head = Buffer.concat(chunks);
    if (properties.size > deps.config.MAX_UPLOAD_BYTES) return { ok: false, code: 'media-too-large', reason: 'the upload exceeds the size limit' };
  } catch (err) {
    if (err instanceof NotFoundError) return { ok: false, code: 'original-missing', reason: 'the uploaded file is gone' };
    throw err;
  }
  if (head.length === 0) return { ok: false, code: 'media-empty', reason: 'the upload is empty' };
  const format = sniff(head);
  if (!format) return { ok: false, code: 'media-not-recognised', reason: `the file is not a video or image format Bystander accepts. ${ACCEPTED_VIDEO_HINT}` };
  if (familyOf(format) !== evidence.mediaKind) {
    return { ok: false, code: 'media-type-mismatch', reason: `declared ${evidence.contentType} but the content is ${format}` };
  }
  return { ok: true, mediaKind: evidence.mediaKind };
}

export function jobIdFor(ref: EvidenceRef, attempt: number): string {
  return `${ref.evidenceId}.a${attempt}`;
}

/** A review re-render's job id (edit version n): one job per version, so a redelivery is idempotent. */
export function reviewJobIdFor(ref: EvidenceRef, version: number): string {
  return `${ref.evidenceId}.r${version}`;
}

/**
 * Sends one redaction job (deterministic names per attempt) to the worker queue. `reviewable`: the
 * tenant reviews unsure renders (the worker returns them instead of failing). `reviewVersion`: a
 * review re-render applying that edit version, from the original sealed for review.
 */
export async function dispatchRedaction(deps: Deps, input: { ref: EvidenceRef; attempt: number; reviewable?: boolean; reviewVersion?: number }): Promise<{ jobId: string }> {
  const { ref, attempt } = input;
  const found = await deps.incidents.get(ref.tenantId, ref.incidentId);
  const evidence = found && findEvidence(found.doc, ref.evidenceId);
  if (!evidence?.original) throw new NotFoundError(`evidence ${ref.evidenceId} has no received original`);
  const review = input.reviewVersion !== undefined ? evidence.review : undefined;
  if (input.reviewVersion !== undefined && (!review?.original || review.edits?.version !== input.reviewVersion)) {
    throw new NotFoundError(`evidence ${ref.evidenceId} has no sealed original or no edits version ${input.reviewVersion}`);
  }
  const suffix = review ? `r${input.reviewVersion}` : `a${attempt}`;
  const jobId = review ? reviewJobIdFor(ref, input.reviewVersion!) : jobIdFor(ref, attempt);
  const base = blobNames.redacted(ref.tenantId, ref.incidentId, ref.evidenceId);
  const job: RedactionJob = RedactionJobSchema.parse({
    version: 1,
    jobId,
    tenantId: ref.tenantId,
    incidentId: ref.incidentId,
    evidenceId: ref.evidenceId,
    attempt,
    mediaKind: evidence.mediaKind,
    source: review?.original
      ? { container: CONTAINERS.evidence, name: review.original.blobName }
      : { container: CONTAINERS.ingest, name: blobNames.ingest(ref.tenantId, ref.incidentId, ref.evidenceId) },
    ...(review?.original ? { sourceSealed: true } : {}),
    sourceSha256: evidence.original.sha256,
    output: { container: CONTAINERS.evidence, name: `${base}.${suffix}` },
    report: { container: CONTAINERS.reports, name: `${blobNames.report(ref.tenantId, ref.incidentId, ref.evidenceId)}.${suffix}` },
    targets: ['faces', 'plates'],
    style: 'pixelate',
    subjects: evidence.subjectHints,
    ...(evidence.keepTracks?.length ? { keepTracks: evidence.keepTracks } : {}),
    ...(input.reviewable || review ? { reviewable: true } : {}),
    ...(review?.edits ? { edits: review.edits } : {}),
    keepAudio: false,
    ...(ref.traceparent ? { traceparent: ref.traceparent } : {}),
    encryption: await sealingFor(deps, ref.tenantId, ref.incidentId),
  });
  await deps.queue.send(QUEUES.jobs, job);
  return { jobId };
}

export type RecordResult = { ok: true } | { ok: false; code: string; reason: string };

type Redacted = NonNullable<EvidenceRecord['redacted']>;

/**
 * Checks a successful result against storage: it must answer this evidence item, and the output
 * blob, decrypted with the incident's key, must hash to what the worker reported.
 */
export async function measureRedactedOutput(
  deps: Pick<Deps, 'blobs' | 'incidents' | 'dataKeys'>,
  ref: EvidenceRef,
  result: Extract<RedactionResult, { outcome: 'succeeded' }>,
): Promise<{ ok: true; redacted: Redacted } | { ok: false; code: string; reason: string }> {
  if (result.tenantId !== ref.tenantId || result.evidenceId !== ref.evidenceId || result.incidentId !== ref.incidentId) {
    return { ok: false, code: 'result-mismatch', reason: 'the redaction result belongs to other evidence' };
  }
  let measured: { sha256: string; size: number; storedBytes: number };
  try {
    const key = await incidentDataKey(deps, ref.tenantId, ref.incidentId);
    measured = await sha256OfSealedBlob(deps.blobs, result.output.container, result.output.name, key);
  } catch (err) {
    if (err instanceof NotFoundError) return { ok: false, code: 'output-missing', reason: 'the redacted output was not found' };
    if (err instanceof DecryptionError) return { ok: false, code: 'output-unauthentic', reason: 'the redacted output failed authentication (not sealed with this incident key, or damaged)' };
    throw err;
  }
  if (measured.sha256 !== result.output.sha256 || measured.storedBytes !== result.output.storedBytes) {
    return { ok: false, code: 'output-hash-mismatch', reason: 'the redacted output does not match the hash the worker reported' };
  }
  return {
    ok: true,
    redacted: {
      blobName: result.output.name,
      sha256: measured.sha256,
      sizeBytes: measured.size,
      storedBytes: measured.storedBytes,
      contentType: result.output.contentType,
      reportBlobName: result.report.name,
    },
  };
}

/**
 * Records a successful redaction: re-hashes the output blob (it must match what the worker
 * reported), requires a passed verification — or, where the tenant reviews (`reviewable`), a render
 * the worker marked for review, which then can only be published by a reviewer's approval — and
 * stores hashes + summary (ETag concurrency).
 */
export async function recordRedaction(deps: Deps, input: { ref: EvidenceRef; result: RedactionResult; reviewable?: boolean }): Promise<RecordResult> {
  const { ref, result } = input;
  if (result.outcome !== 'succeeded') return { ok: false, code: result.code, reason: result.reason };
  if (result.summary.verification === 'failed' && !(input.reviewable && result.summary.review?.needed)) {
    return { ok: false, code: 'verification-failed', reason: 'independent verification found an unobscured face' };
  }
  const checked = await measureRedactedOutput(deps, ref, result);
  if (!checked.ok) return checked;
  const now = deps.clock.now().toISOString();
  await updateIncident(deps, ref.tenantId, ref.incidentId, (incident) => {
    const e = findEvidence(incident, ref.evidenceId);
    if (!e) throw new NotFoundError(`evidence ${ref.evidenceId} not found`);
    if (e.status !== 'processing') return undefined;
    e.redacted = checked.redacted;
    e.summary = result.summary;
    e.updatedAt = now;
    return incident;
  });
  return { ok: true };
}

/** Minimisation: once the redacted copy is recorded (or approved), the original upload — or its sealed review copy — is deleted. */
export async function discardOriginal(deps: Deps, ref: EvidenceRef): Promise<{ deleted: boolean }> {
  const deleted = await deps.blobs.delete(CONTAINERS.ingest, blobNames.ingest(ref.tenantId, ref.incidentId, ref.evidenceId));
  const sealed = await deps.blobs.delete(CONTAINERS.evidence, blobNames.sealedOriginal(ref.tenantId, ref.incidentId, ref.evidenceId));
  const now = deps.clock.now().toISOString();
  await updateIncident(deps, ref.tenantId, ref.incidentId, (incident) => {
    const e = findEvidence(incident, ref.evidenceId);
    if (!e || (e.originalDeletedAt && !e.review?.original)) return undefined;
    e.originalDeletedAt ??= now;
    if (e.review) delete e.review.original;
    return incident;
  });
  return { deleted: deleted || sealed };
}

/** Deletes outputs of attempts other than the recorded one (late or superseded results). */
async function removeOtherOutputs(deps: Deps, ref: EvidenceRef, keep: string | undefined): Promise<void> {
  const base = blobNames.redacted(ref.tenantId, ref.incidentId, ref.evidenceId);
  // Automatic attempts (`.a<n>`) and review renders (`.r<n>`); the sealed original is not under this prefix.
  for await (const b of deps.blobs.list(CONTAINERS.evidence, `${base}.`)) {
    if (b.name !== keep) await deps.blobs.delete(CONTAINERS.evidence, b.name);
  }
}

export async function publishEvidence(deps: Deps, ref: EvidenceRef): Promise<{ status: 'published' }> {
  const now = deps.clock.now().toISOString();
  const incident = await updateIncident(deps, ref.tenantId, ref.incidentId, (incident) => {
    const e = findEvidence(incident, ref.evidenceId);
    if (!e || (e.status !== 'processing' && e.status !== 'awaiting-review')) return undefined;
    if (!e.redacted || !e.originalDeletedAt) throw new Error('cannot publish evidence without a recorded redaction and a discarded original');
    // A render held for review is published only on a reviewer's approval of that very render; an
    // automatic render only when its verification did not fail.
    if (e.status === 'awaiting-review' ? e.review?.history.at(-1)?.kind !== 'approved' : (e.summary as { verification?: string } | undefined)?.verification === 'failed') {
      throw new Error('cannot publish a render that failed verification or awaits a reviewer\'s approval');
    }
    e.status = 'published';
    e.publishedAt = now;
    e.updatedAt = now;
    return incident;
  });
  await removeOtherOutputs(deps, ref, findEvidence(incident, ref.evidenceId)?.redacted?.blobName);
  await deps.audit.record({ tenantId: ref.tenantId, actor: system, action: 'evidence.published', target: { incidentId: ref.incidentId, evidenceId: ref.evidenceId }, outcome: 'succeeded' });
  return { status: 'published' };
}

/**
 * Failure never publishes: the original is moved out of `ingest/` into `quarantine/` (never served,
 * removed by the lifecycle rule), any redacted output is deleted, and the reason is recorded. An item
 * that was under review (rejected, deadline passed) has only its sealed original, which is deleted.
 */
export async function quarantineEvidence(deps: Deps, input: { ref: EvidenceRef; code: string; reason: string }): Promise<{ status: 'quarantined' }> {
  const { ref, code, reason } = input;
  const name = blobNames.ingest(ref.tenantId, ref.incidentId, ref.evidenceId);
  try {
    const { stream, properties } = await deps.blobs.download(CONTAINERS.ingest, name);
    await deps.blobs.upload(CONTAINERS.quarantine, name, stream, {
      metadata: { code: code.replace(/[^\w-]/g, '').slice(0, 64) },
      ...(properties.contentType ? { contentType: properties.contentType } : {}),
    });
    await deps.blobs.delete(CONTAINERS.ingest, name);
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
  await removeOtherOutputs(deps, ref, undefined);
  await deps.blobs.delete(CONTAINERS.evidence, blobNames.sealedOriginal(ref.tenantId, ref.incidentId, ref.evidenceId));
  const now = deps.clock.now().toISOString();
  await updateIncident(deps, ref.tenantId, ref.incidentId, (incident) => {
    const e = findEvidence(incident, ref.evidenceId);
    if (!e || e.status === 'quarantined') return undefined;
    e.status = 'quarantined';
    delete e.redacted;
    if (e.review) {
      delete e.review.original;
      e.review.state = 'decided';
      e.originalDeletedAt ??= now;
    }
    e.quarantine = { code, reason: reason.slice(0, 500), at: now };
    e.updatedAt = now;
    return incident;
  });
  deps.logger.error('evidence quarantined', { alert: 'evidence-quarantined', code, incidentId: ref.incidentId, evidenceId: ref.evidenceId });
  await deps.audit.record({ tenantId: ref.tenantId, actor: system, action: 'evidence.quarantined', target: { incidentId: ref.incidentId, evidenceId: ref.evidenceId }, outcome: 'failed', reason: code });
  return { status: 'quarantined' };
}
