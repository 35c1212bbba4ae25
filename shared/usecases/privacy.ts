/**
 * Privacy requests (admin): `access` exports the incidents' records, redacted media and the list of
 * recipients they were disclosed to (from shares) as a gzipped tar bundle, downloadable for 7 days;
 * `erasure` deletes the incidents exactly as retention does, unless a legal hold applies, in which
 * case that incident is refused with the reason. Both run as the `privacyRequest` orchestration;
 * the request document carries the status (and, once erased, only counts — no erased ids).
 */
import { createHash } from 'node:crypto';
import { PassThrough, Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { toIncidentView, type IncidentRecord } from '../domain/incident.js';
import {
  CreatePrivacyRequestSchema,
  EXPORTS_CONTAINER,
  EXPORT_TTL_DAYS,
  PRIVACY_REQUEST,
  privacyInstanceId,
  toPrivacyRequestView,
  type PrivacyRequestRecord,
} from '../domain/lifecycle.js';
import { effectiveStatus } from '../domain/share.js';
import { tarStream, type TarEntry } from '../domain/tar.js';
import { ProblemError, problems } from '../http/problem.js';
import { requireRole, type Principal } from '../auth/tokens.js';
import { ConflictError, NotFoundError, type Orchestrations } from '../ports/index.js';
import { streamRedactedMedia } from './incidents.js';
import { lifecycleOf } from './retention.js';
import type { Deps } from './deps.js';
import { recordUserAction } from './audit-actors.js';

const ID = /^[\w-]{1,64}$/;
const DAY_MS = 24 * 3600_000;
const system = { type: 'system' as const, id: 'privacy' };

/** Ids only: what the privacyRequest orchestration carries. */
export interface PrivacyRequestInput {
  tenantId: string;
  requestId: string;
  type: 'access' | 'erasure';
}

const problemGone = (detail: string) => ({ type: 'https://bystander.dev/problems/gone', title: 'Gone', status: 410, detail });

async function updateRequest(deps: Deps, tenantId: string, requestId: string, mutate: (r: PrivacyRequestRecord) => PrivacyRequestRecord | undefined): Promise<PrivacyRequestRecord> {
  const store = lifecycleOf(deps).privacyRequests;
  for (let attempt = 0; attempt < 10; attempt++) {
    const current = await store.get(tenantId, requestId);
    if (!current) throw new NotFoundError(`privacy request ${requestId} not found`);
    const next = mutate(structuredClone(current.doc));
    if (!next) return current.doc;
    next.updatedAt = deps.clock.now().toISOString();
    try {
      return (await store.replace(next, current.etag)).doc;
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
    }
  }
  throw new ConflictError(`privacy request ${requestId} is being changed concurrently`);
}

// ---------------------------------------------------------------- API ------------------------

/** POST /api/privacy-requests {type, incidentIds} (admin) → 202 with the request. */
export async function createPrivacyRequest(deps: Deps, orchestrations: Orchestrations, principal: Principal, body: unknown, origin?: string) {
  requireRole(principal, ['admin']);
  const parsed = CreatePrivacyRequestSchema.safeParse(body);
  if (!parsed.success) throw new ProblemError(problems.validation(parsed.error));
  const now = deps.clock.now().toISOString();
  const request: PrivacyRequestRecord = {
    id: deps.newId(),
    tenantId: principal.tenantId,
    type: parsed.data.type,
    status: 'pending',
    incidentIds: parsed.data.incidentIds,
    createdAt: now,
    createdBy: principal.subject,
    results: [],
    updatedAt: now,
  };
  await recordUserAction(deps.audit, principal, {
    action: request.type === 'access' ? 'privacy.access' : 'privacy.erasure',
    target: { requestId: request.id },
    outcome: 'allowed',
    reason: 'request-received',
  }, origin);
  await lifecycleOf(deps).privacyRequests.create(request);
  const input: PrivacyRequestInput = { tenantId: request.tenantId, requestId: request.id, type: request.type };
  await orchestrations.start(PRIVACY_REQUEST, privacyInstanceId(request.tenantId, request.id), input);
  return toPrivacyRequestView(request, deps.clock.now());
}

async function findRequest(deps: Deps, principal: Principal, requestId: string) {
  const found = ID.test(requestId) ? await lifecycleOf(deps).privacyRequests.get(principal.tenantId, requestId) : undefined;
  if (!found) throw new ProblemError(problems.notFound(`privacy request ${requestId.slice(0, 64)}`));
  return found.doc;
}

/** GET /api/privacy-requests/{id} (admin): status, results, download link while it lasts, progress. */
export async function getPrivacyRequest(deps: Deps, orchestrations: Orchestrations, principal: Principal, requestId: string) {
  requireRole(principal, ['admin']);
  const request = await findRequest(deps, principal, requestId);
  const running = request.status === 'pending' || request.status === 'running';
  const progress = running ? (await orchestrations.status(privacyInstanceId(request.tenantId, request.id)).catch(() => undefined))?.customStatus : undefined;
  return { ...toPrivacyRequestView(request, deps.clock.now()), ...(progress ? { progress } : {}) };
}

/**
 * GET /api/privacy-requests/{id}/download (admin): the export bundle until it expires. After the
 * expiry it is refused (410) and the bundle is deleted on the spot if the timer has not done it yet.
 */
export async function downloadPrivacyExport(deps: Deps, principal: Principal, requestId: string, origin?: string) {
  requireRole(principal, ['admin']);
  const request = await findRequest(deps, principal, requestId);
  const audit = (outcome: 'allowed' | 'denied', reason?: string) =>
    recordUserAction(deps.audit, principal, {
      action: 'privacy.access',
      target: { requestId: request.id },
      outcome,
      reason,
    }, origin);
  const bundle = request.export;
  if (request.type !== 'access' || !bundle || request.status !== 'completed') {
    await audit('denied', request.status === 'expired' ? 'export-expired' : 'export-not-ready');
    if (request.status === 'expired') throw new ProblemError(problemGone('the export has expired and was deleted'));
    throw new ProblemError(problems.conflict(`the export is not available (request ${request.status})`));
  }
  if (deps.clock.now().getTime() >= Date.parse(bundle.expiresAt)) {
    await audit('denied', 'export-expired');
    await expireExport(deps, { tenantId: request.tenantId, requestId: request.id });
    throw new ProblemError(problemGone('the export has expired and was deleted'));
  }
  await audit('allowed');
  const { stream } = await deps.blobs.download(EXPORTS_CONTAINER, bundle.blobName);
  return { stream, sizeBytes: bundle.sizeBytes, sha256: bundle.sha256, fileName: `privacy-export-${request.id}.tar.gz`, expiresAt: bundle.expiresAt };
}

// ---------------------------------------------------------------- activities -----------------

const EXTENSIONS: Record<string, string> = {
  'video/mp4': '.mp4',
  'video/quicktime': '.mov',
  'video/x-matroska': '.mkv',
  'video/x-msvideo': '.avi',
  'video/mp2t': '.ts',
  'video/webm': '.webm',
  'image/jpeg': '.jpg',
  'image/png': '.png',
  'image/webp': '.webp',
};

const jsonEntry = (name: string, value: unknown): TarEntry => {
  const body = Buffer.from(`${JSON.stringify(value, null, 2)}\n`, 'utf8');
  return { name, size: body.length, body };
};

/** Who the incident was disclosed to (shares), for the data subject. */
async function recipientsOf(deps: Deps, incident: IncidentRecord) {
  const now = deps.clock.now();
  const shares = await deps.sharing.shares.find(incident.tenantId, { incidentId: incident.id });
  return shares.map((s) => ({
    shareId: s.id,
    agency: s.recipient.agency,
    officerEmail: s.recipient.officerEmail,
    purpose: s.purpose,
    accessMode: s.accessMode,
    evidenceIds: s.evidenceIds,
    status: effectiveStatus(s, now),
    sharedAt: s.createdAt,
    expiresAt: s.expiresAt,
    revokedAt: s.revokedAt,
    access: s.access,
  }));
}

/**
 * Builds the access bundle `exports/{tenant}/{request}.tar.gz`: per incident `record.json` (the API
 * view: no internal blob names), `recipients.json` and the redacted media; plus `manifest.json`.
 */
export async function buildExport(deps: Deps, input: PrivacyRequestInput): Promise<{ status: 'completed' | 'gone'; expiresAt?: string }> {
  const store = lifecycleOf(deps).privacyRequests;
  const found = await store.get(input.tenantId, input.requestId);
  if (!found) return { status: 'gone' };
  const request = found.doc;
  await updateRequest(deps, input.tenantId, input.requestId, (r) => ({ ...r, status: 'running' }));
  const now = deps.clock.now();
  const incidents: IncidentRecord[] = [];
  const results: PrivacyRequestRecord['results'] = [];
  for (const incidentId of request.incidentIds) {
    const incident = (await deps.incidents.get(input.tenantId, incidentId))?.doc;
    if (!incident || incident.deletingAt) {
      results.push({ incidentId, outcome: 'not-found' });
      continue;
    }
    incidents.push(incident);
    results.push({ incidentId, outcome: 'exported' });
    await deps.audit.record({ tenantId: input.tenantId, actor: system, action: 'privacy.access', target: { incidentId, requestId: request.id }, outcome: 'succeeded', channel: 'orchestration' });
  }
  async function* entries(): AsyncGenerator<TarEntry> {
    const files: string[] = [];
    for (const incident of incidents) {
      const base = `incidents/${incident.id}`;
      files.push(`${base}/record.json`, `${base}/recipients.json`);
      yield { ...jsonEntry(`${base}/record.json`, toIncidentView(incident)), mtime: now };
      yield { ...jsonEntry(`${base}/recipients.json`, await recipientsOf(deps, incident)), mtime: now };
      for (const e of incident.evidence) {
        if (e.status !== 'published' || !e.redacted) continue;
        const media = await streamRedactedMedia(deps, e, () => undefined);
        const name = `${base}/media/${e.id}${EXTENSIONS[e.redacted.contentType] ?? '.bin'}`;
        files.push(name);
        yield { name, size: media.totalSize, body: media.stream as AsyncIterable<Buffer>, mtime: now };
      }
    }
    yield {
      ...jsonEntry('manifest.json', {
        requestId: request.id,
        type: 'access',
        createdAt: now.toISOString(),
        incidents: results,
        files,
        note: 'Redacted media only: bystanders are obscured. recipients.json lists who the evidence was shared with.',
      }),
      mtime: now,
    };
  }
  const blobName = `${input.tenantId}/${request.id}.tar.gz`;
  const hash = createHash('sha256');
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  const body = new PassThrough();
  const produced = pipeline(Readable.from(tarStream(entries())), createGzip(), meter, body);
  produced.catch((err: unknown) => body.destroy(err as Error));
  await Promise.all([deps.blobs.upload(EXPORTS_CONTAINER, blobName, body, { contentType: 'application/gzip' }), produced]);
  const expiresAt = new Date(now.getTime() + EXPORT_TTL_DAYS * DAY_MS).toISOString();
  const sha256 = hash.digest('hex');
  await updateRequest(deps, input.tenantId, input.requestId, (r) => ({
    ...r,
    status: 'completed',
    results,
    export: { blobName, sha256, sizeBytes: size, expiresAt },
    completedAt: deps.clock.now().toISOString(),
  }));
  await deps.audit.record({ tenantId: input.tenantId, actor: system, action: 'privacy.access', target: { requestId: request.id }, outcome: 'succeeded', channel: 'orchestration', reason: 'export-ready' });
  return { status: 'completed', expiresAt };
}

/** Deletes an export bundle once its download window has passed (timer, or a late download attempt). */
export async function expireExport(deps: Deps, input: { tenantId: string; requestId: string }): Promise<{ deleted: boolean }> {
  const found = await lifecycleOf(deps).privacyRequests.get(input.tenantId, input.requestId);
  const bundle = found?.doc.export;
  if (!found || !bundle) return { deleted: false };
  const deleted = await deps.blobs.delete(EXPORTS_CONTAINER, bundle.blobName);
  await updateRequest(deps, input.tenantId, input.requestId, (r) => {
    if (!r.export) return undefined;
    const { export: _gone, ...rest } = r;
    return { ...rest, status: 'expired', expiredAt: deps.clock.now().toISOString() };
  });
  return { deleted };
}

export interface ErasureCheck {
  erasable: string[];
  refused: Array<{ incidentId: string; reason: 'legal-hold' }>;
  notFound: string[];
}

/** Splits the request's incidents: erasable, refused under legal hold (audited with the reason), not found. */
export async function checkErasure(deps: Deps, input: PrivacyRequestInput): Promise<ErasureCheck> {
  const found = await lifecycleOf(deps).privacyRequests.get(input.tenantId, input.requestId);
  const check: ErasureCheck = { erasable: [], refused: [], notFound: [] };
  if (!found) return check;
  for (const incidentId of found.doc.incidentIds) {
    const incident = (await deps.incidents.get(input.tenantId, incidentId))?.doc;
    if (!incident) check.notFound.push(incidentId);
    else if (incident.legalHold && !incident.deletingAt) {
      await deps.audit.record({
        tenantId: input.tenantId,
        actor: system,
        action: 'privacy.erasure-refused',
        target: { incidentId, requestId: input.requestId },
        outcome: 'denied',
        channel: 'orchestration',
        reason: 'legal-hold',
      });
      check.refused.push({ incidentId, reason: 'legal-hold' });
    } else check.erasable.push(incidentId);
  }
  await updateRequest(deps, input.tenantId, input.requestId, (r) => ({
    ...r,
    status: 'running',
    results: [...check.refused.map((x) => ({ incidentId: x.incidentId, outcome: 'refused' as const, reason: x.reason })), ...check.notFound.map((incidentId) => ({ incidentId, outcome: 'not-found' as const }))],
  }));
  return check;
}

/** Records the outcome; erased incident ids are removed from the request (only a count remains). */
export async function completeErasure(deps: Deps, input: PrivacyRequestInput & { erased: string[]; refused: Array<{ incidentId: string; reason: 'legal-hold' }> }): Promise<{ status: string }> {
  const refusedIds = new Set(input.refused.map((r) => r.incidentId));
  const updated = await updateRequest(deps, input.tenantId, input.requestId, (r) => ({
    ...r,
    incidentIds: r.incidentIds.filter((id) => !input.erased.includes(id)),
    results: [
      ...r.results.filter((x) => !x.incidentId || !input.erased.includes(x.incidentId)).filter((x) => x.outcome !== 'refused' || refusedIds.has(x.incidentId ?? '')),
      ...input.refused.filter((x) => !r.results.some((y) => y.incidentId === x.incidentId)).map((x) => ({ incidentId: x.incidentId, outcome: 'refused' as const, reason: x.reason })),
    ],
    erasedCount: input.erased.length,
    status: input.refused.length === 0 ? 'completed' : input.erased.length === 0 ? 'refused' : 'partially-refused',
    completedAt: deps.clock.now().toISOString(),
  }));
  await deps.audit.record({
    tenantId: input.tenantId,
    actor: system,
    action: 'privacy.erasure',
    target: { requestId: input.requestId },
    outcome: input.erased.length > 0 || input.refused.length === 0 ? 'succeeded' : 'denied',
    channel: 'orchestration',
    ...(input.refused.length ? { reason: 'legal-hold' } : {}),
  });
  return { status: updated.status };
}

/** Marks a request failed (the orchestration gave up); no ids beyond the request's own. */
export async function failPrivacyRequest(deps: Deps, input: PrivacyRequestInput): Promise<void> {
  await updateRequest(deps, input.tenantId, input.requestId, (r) => ({ ...r, status: 'failed', completedAt: deps.clock.now().toISOString() })).catch(() => undefined);
}
