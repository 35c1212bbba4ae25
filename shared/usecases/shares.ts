import { Readable } from 'node:stream';
import {
  CreateShareSchema,
  MAX_TIMER_DAYS,
  evaluateShare,
  effectiveStatus,
  hashShareToken,
  isExpired,
  isShareable,
  isTokenShaped,
  linkPartition,
  newShareToken,
  sameHash,
  shareExpiry,
  toShareView,
  webhookUrlProblem,
  type ShareDenial,
  type ShareLinkRecord,
  type ShareRecord,
} from '../domain/share.js';
import type { EvidenceRecord, IncidentRecord } from '../domain/incident.js';
import { ProblemError, problems } from '../http/problem.js';
import { requireRole, type Principal } from '../auth/tokens.js';
import { ConflictError, NotFoundError, type AuditInput, type DocumentStore, type Orchestrations } from '../ports/index.js';
import type { Notifier } from '../ports/notifier.js';
import { streamRedactedMedia } from './incidents.js';
import type { AccessCoalescer, DenialCoalescer, DenialNote, DenialRecord, InvalidAttemptLimiter } from './share-guards.js';
import type { Deps } from './deps.js';
import { recordUserAction, withOrigin } from './audit-actors.js';
import { findTenantIncident, readIncidentAudited } from './incident-access.js';

/** What sharing needs besides the common dependencies (built by the composition root). */
export type { SharingDeps } from '../ports/sharing.js';
export { SHARE_LIFECYCLE, SHARE_REVOKED_EVENT, shareInstanceId, type ShareRef } from './share-names.js';
import { SHARE_LIFECYCLE, SHARE_REVOKED_EVENT, shareInstanceId, type ShareRef } from './share-names.js';

export function shareLifecycleInput(share: Pick<ShareRecord, 'tenantId' | 'incidentId' | 'id' | 'expiresAt'>) {
  return { tenantId: share.tenantId, incidentId: share.incidentId, shareId: share.id, expiresAt: share.expiresAt, maxTimerDays: MAX_TIMER_DAYS };
}
export type ShareLifecycleInput = ReturnType<typeof shareLifecycleInput>;

const ID = /^[\w-]{1,64}$/;
const system = { type: 'system', id: 'share-lifecycle' } as const;

/** Read-modify-write of one share with ETag concurrency (as updateIncident). */
export async function updateShare(
  deps: Pick<Deps, 'sharing' | 'clock'>,
  tenantId: string,
  shareId: string,
  mutate: (share: ShareRecord) => ShareRecord | undefined,
): Promise<ShareRecord> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const current = await deps.sharing.shares.get(tenantId, shareId);
    if (!current) throw new NotFoundError(`share ${shareId} not found`);
    const next = mutate(structuredClone(current.doc));
    if (!next) return current.doc;
    next.updatedAt = deps.clock.now().toISOString();
    try {
      return (await deps.sharing.shares.replace(next, current.etag)).doc;
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
    }
  }
  throw new ConflictError(`share ${shareId} is being changed concurrently; try again`);
}

// ---------------------------------------------------------------- sharer (API) ----------------

/**
 * An investigator shares published evidence of an incident with a police officer. The share starts
 * `pending`; the shareLifecycle orchestration issues the link, notifies, and expires it. The token is
 * never part of the response (it exists only in the notification).
 */
export async function createShare(deps: Deps, orchestrations: Orchestrations, principal: Principal, incidentId: string, body: unknown, origin?: string) {
  requireRole(principal, ['investigator', 'admin']);
  const parsed = CreateShareSchema.safeParse(body);
  if (!parsed.success) throw new ProblemError(problems.validation(parsed.error));
  const input = parsed.data;
  const hit = deps.screener.check(input.recipient.agency);
  if (hit) throw new ProblemError(problems.screened('recipient.agency', hit.phrase));
  if (input.recipient.webhookUrl) {
    if (!deps.sharing.webhooks) {
      throw new ProblemError({ ...problems.badRequest('this stamp cannot sign agency webhooks (no webhook secret is configured)'), status: 422 });
    }
    const problem = webhookUrlProblem(input.recipient.webhookUrl, deps.config.BYSTANDER_MODE === 'local');
    if (problem) throw new ProblemError({ ...problems.badRequest(`recipient.webhookUrl: webhook URLs ${problem}`), status: 422 });
  }

  const found = await findTenantIncident(deps, principal.tenantId, incidentId);
  const deny = async (reason: string) =>
    recordUserAction(deps.audit, principal, {
      action: 'share.create',
      target: { incidentId: incidentId.slice(0, 64) },
      outcome: 'denied',
      reason,
    }, origin);
  if (!found) {
    await deny('incident-not-found');
    throw new ProblemError(problems.notFound(`incident ${incidentId.slice(0, 64)}`));
  }
  const refused = input.evidenceIds
    .map((id) => ({ id, evidence: found.doc.evidence.find((e) => e.id === id) }))
    .filter((x) => !isShareable(x.evidence))
    .map((x) => ({ evidenceId: x.id, status: x.evidence?.status ?? 'not-found' }));
  if (refused.length) {
    await deny(refused.some((r) => r.status === 'quarantined') ? 'evidence-quarantined' : 'evidence-not-published');
    throw new ProblemError({
      type: 'https://bystander.dev/problems/evidence-not-shareable',
      title: 'Only published (redacted) evidence can be shared',
      status: 422,
      detail: refused.map((r) => `${r.evidenceId} is ${r.status}`).join('; '),
      refused,
    });
  }

  const now = deps.clock.now();
  const share: ShareRecord = {
    id: deps.newId(),
    tenantId: principal.tenantId,
    incidentId: found.doc.id,
    evidenceIds: input.evidenceIds,
    recipient: input.recipient,
    purpose: input.purpose,
    accessMode: input.accessMode,
    status: 'pending',
    createdAt: now.toISOString(),
    createdBy: principal.subject,
    ...(input.notifySharerEmail ? { notifySharerEmail: input.notifySharerEmail } : {}),
    expiresAt: shareExpiry(now, input.expiresInHours).toISOString(),
    access: { views: 0, media: 0, downloads: 0, denied: 0 },
    updatedAt: now.toISOString(),
  };
  // Audit first: if the trail cannot be written, the share is not created.
  await recordUserAction(deps.audit, principal, {
    action: 'share.create',
    target: { incidentId: share.incidentId, shareId: share.id },
    outcome: 'succeeded',
  }, origin);
  await deps.sharing.shares.create(share);
  try {
    await orchestrations.start(SHARE_LIFECYCLE, shareInstanceId(share.id), shareLifecycleInput(share));
  } catch (err) {
    await updateShare(deps, share.tenantId, share.id, (s) => ({ ...s, status: 'failed', endedAt: deps.clock.now().toISOString() }));
    throw err;
  }
  deps.logger.info('share created', { shareId: share.id, incidentId: share.incidentId, evidence: share.evidenceIds.length });
  return toShareView(share, now);
}

/** The shares of one incident, with status and access counts (tenant-scoped). */
export async function listShares(deps: Deps, principal: Principal, incidentId: string, origin?: string) {
  requireRole(principal, ['investigator', 'admin']);
  const incident = await readIncidentAudited(deps, principal, incidentId, 'share.list', origin);
  await deps.sharing.denials.idle(); // this instance's denial counts are written before they are shown
  const now = deps.clock.now();
  const shares = await deps.sharing.shares.find(principal.tenantId, { incidentId: incident.id });
  shares.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  return { incidentId: incident.id, shares: shares.map((s) => toShareView(s, now)) };
}

/** Revokes with immediate effect (every request checks the record); ends the orchestration early. */
export async function revokeShare(deps: Deps, orchestrations: Orchestrations, principal: Principal, shareId: string, origin?: string) {
  requireRole(principal, ['investigator', 'admin']);
  const found = ID.test(shareId) ? await deps.sharing.shares.get(principal.tenantId, shareId) : undefined;
  if (!found) throw new ProblemError(problems.notFound(`share ${shareId.slice(0, 64)}`));
  const now = deps.clock.now();
  const status = effectiveStatus(found.doc, now);
  if (status !== 'active' && status !== 'pending') return toShareView(found.doc, now); // already ended: idempotent
  await recordUserAction(deps.audit, principal, {
    action: 'share.revoke',
    target: { incidentId: found.doc.incidentId, shareId },
    outcome: 'succeeded',
  }, origin);
  const updated = await updateShare(deps, principal.tenantId, shareId, (s) => {
    if (s.status !== 'active' && s.status !== 'pending') return undefined;
    return { ...s, status: 'revoked', revokedAt: now.toISOString(), revokedBy: principal.subject, endedAt: now.toISOString() };
  });
  try {
    await orchestrations.raiseEvent(shareInstanceId(shareId), SHARE_REVOKED_EVENT, { shareId });
  } catch (err) {
    // The record already says revoked, and every request checks it; the orchestration only ends early.
    deps.logger.warn('could not signal the share orchestration', { shareId, error: err instanceof Error ? err.message : String(err) });
  }
  deps.logger.info('share revoked', { shareId });
  return toShareView(updated, now);
}

// ---------------------------------------------------------------- police (share page) ---------

/** Who is asking, as the HTTP layer sees it. */
export interface ShareClient {
  /** Rate-limit key (client address). */
  key: string;
  /** Request origin for the audit trail. */
  origin?: string;
  /** Coalescing key for media audits (see sessionKeyOf). */
  session: string;
}

export type ShareAccess =
  | { ok: true; share: ShareRecord; incident: IncidentRecord; evidence: EvidenceRecord[] }
  /** 404: the neutral page — identical for unknown, expired, revoked, superseded and dead links. */
  | { ok: false; status: 404 }
  | { ok: false; status: 429; retryAfterSeconds: number };

async function bump(deps: Deps, share: Pick<ShareRecord, 'tenantId' | 'id'>, field: keyof ShareRecord['access']): Promise<void> {
  try {
    await updateShare(deps, share.tenantId, share.id, (s) => ({ ...s, access: { ...s.access, [field]: s.access[field] + 1 } }));
  } catch (err) {
    deps.logger.warn('share access count not updated', { shareId: share.id, error: err instanceof Error ? err.message : String(err) });
  }
}

/** Writes one (coalesced) denial: the audit event, then the share's `denied` count. Never throws. */
async function writeDenial(deps: Deps, d: DenialRecord): Promise<void> {
  try {
    await deps.audit.record({
      tenantId: d.tenantId,
      actor: { type: 'police-link', id: d.shareId },
      action: 'share.denied',
      target: { incidentId: d.incidentId, shareId: d.shareId, ...(d.evidenceId ? { evidenceId: d.evidenceId } : {}), ...(d.attempts > 1 ? { attempts: d.attempts } : {}) },
      outcome: 'denied',
      reason: d.reason,
      ...withOrigin(d.origin),
    });
  } catch (err) {
    // Nothing was served; the denial could not be audited. Alert, as for any failed audit write.
    deps.logger.error('share denial not audited', { alert: 'audit-write-failed', shareId: d.shareId, error: err instanceof Error ? err.name : 'error' });
    return;
  }
  await bump(deps, { tenantId: d.tenantId, id: d.shareId }, 'denied');
}

/** Writes the summaries of closed denial windows (all windows with `all`, e.g. at shutdown) and waits for every pending denial write. */
export async function flushShareDenials(deps: Deps, all = false): Promise<void> {
  for (const d of deps.sharing.denials.drain(all)) deps.sharing.denials.track(() => writeDenial(deps, d));
  await deps.sharing.denials.idle();
}

/**
 * A denial on a link that exists. Synchronous on purpose: the audit event and the counter update
 * are written after the response (coalesced per share and window), so a dead link answers in the
 * same time as a link that never existed.
 */
function denyKnown(deps: Deps, share: ShareRecord, client: ShareClient, reason: ShareDenial | 'evidence-not-shared' | 'download-not-allowed', evidenceId?: string): void {
  deps.sharing.limiter.fail(client.key);
  const note: DenialNote = {
    tenantId: share.tenantId,
    incidentId: share.incidentId,
    shareId: share.id,
    reason,
    ...(evidenceId ? { evidenceId: evidenceId.slice(0, 64) } : {}),
    ...(client.origin ? { origin: client.origin } : {}),
  };
  for (const d of deps.sharing.denials.note(note)) deps.sharing.denials.track(() => writeDenial(deps, d));
  deps.sharing.denials.armSweep(() => void flushShareDenials(deps));
}

/** Point reads that find nothing: the work a link that never existed costs, so every 404 costs the same. */
const NOTHING = { tenantId: 'none', shareId: 'none', incidentId: 'none' } as const;
/** Longest string hashed for a malformed token (a URL segment is short anyway). */
const MAX_TOKEN_CHARS = 256;

/**
 * Resolves a link token to a live share. The rate limit is checked before any lookup. Then every
 * link, well-formed or not, known or not, costs the same work before the answer: hash, link index
 * point read, share point read, incident point read (the reads a link that never existed makes
 * miss). The share's hash is compared in constant time, then status and expiry (against the clock,
 * fail closed) and the evidence still existing. Every failure looks the same to the caller, and a
 * known link's denial is recorded after the response (denyKnown).
 */
export async function resolveShare(deps: Deps, token: string, client: ShareClient): Promise<ShareAccess> {
  const wait = deps.sharing.limiter.retryAfterSeconds(client.key);
  if (wait > 0) {
    deps.logger.warn('share link rate-limited', { retryAfterSeconds: wait });
    return { ok: false, status: 429, retryAfterSeconds: wait };
  }
  const shaped = isTokenShaped(token);
  const hash = hashShareToken(token.slice(0, MAX_TOKEN_CHARS));
  const link = await deps.sharing.links.get(linkPartition(hash), hash);
  const found = await deps.sharing.shares.get(link?.doc.shareTenantId ?? NOTHING.tenantId, link?.doc.shareId ?? NOTHING.shareId);
  const share = shaped && link ? found?.doc : undefined;
  const current = !!share && sameHash(share.tokenHash, hash);
  const now = deps.clock.now();
  const live = current && effectiveStatus(share, now) === 'active';
  const incident = await deps.incidents.get(live ? share.tenantId : NOTHING.tenantId, live ? share.incidentId : NOTHING.incidentId);

  const denied = (why: string): ShareAccess => {
    deps.logger.warn('share link denied', { reason: why }); // never the token
    return { ok: false, status: 404 };
  };
  if (!share) {
    deps.sharing.limiter.fail(client.key);
    return denied(!shaped ? 'malformed' : link ? 'share-deleted' : 'unknown');
  }
  if (!current) {
    denyKnown(deps, share, client, 'share-superseded');
    return denied('share-superseded');
  }
  const verdict = evaluateShare(share, live ? incident?.doc : undefined, now);
  if (!verdict.ok) {
    denyKnown(deps, share, client, verdict.reason);
    return denied(verdict.reason);
  }
  return { ok: true, share, incident: incident!.doc, evidence: verdict.evidence };
}

/** GET /s/{token}: a page view, audited (write-ahead) and counted. */
export async function openSharePage(deps: Deps, token: string, client: ShareClient): Promise<ShareAccess> {
  const access = await resolveShare(deps, token, client);
  if (!access.ok) return access;
  await deps.audit.record({
    tenantId: access.share.tenantId,
    actor: { type: 'police-link', id: access.share.id },
    action: 'share.view',
    target: { incidentId: access.share.incidentId, shareId: access.share.id },
    outcome: 'allowed',
    ...withOrigin(client.origin),
  });
  await bump(deps, access.share, 'views');
  return access;
}

/** How often a running media stream re-reads its share (revocation mid-stream). */
export const STREAM_RECHECK_MS = 2_000;

/**
 * Stops a stream as soon as its share is no longer live: expiry is checked on every chunk against
 * the clock, revocation by re-reading the record at most every STREAM_RECHECK_MS.
 */
export function guardShareStream(deps: Pick<Deps, 'clock' | 'sharing' | 'logger'>, share: ShareRecord, source: Readable, recheckMs = STREAM_RECHECK_MS): Readable {
  const ended = () => new Error('the share ended during the transfer');
  async function* guarded() {
    let checkedAt = deps.clock.now().getTime();
    try {
      for await (const chunk of source) {
        const now = deps.clock.now();
        if (isExpired(share, now)) throw ended();
        if (now.getTime() - checkedAt >= recheckMs) {
          const current = await deps.sharing.shares.get(share.tenantId, share.id);
          if (!current || effectiveStatus(current.doc, now) !== 'active' || !sameHash(current.doc.tokenHash, share.tokenHash ?? '')) throw ended();
          checkedAt = now.getTime();
        }
        yield chunk as Buffer;
      }
    } catch (err) {
      deps.logger.info('share media stream stopped', { shareId: share.id, reason: err instanceof Error ? err.message : 'error' });
      throw err;
    } finally {
      source.destroy();
    }
  }
  return Readable.from(guarded(), { objectMode: false });
}

export type ShareMediaResult =
  | { ok: false; access: Exclude<ShareAccess, { ok: true }> }
  | { ok: true; share: ShareRecord; evidence: EvidenceRecord; media: Awaited<ReturnType<typeof streamRedactedMedia>> };

/**
 * GET /s/{token}/media/{evidenceId} (inline) or …/download/{evidenceId} (attachment, only in
 * view+download mode). Re-checks everything on every request; streams through the one media path
 * (streamRedactedMedia), guarded so that a share ending mid-transfer stops it.
 */
export async function openShareMedia(
  deps: Deps,
  token: string,
  evidenceId: string,
  disposition: 'inline' | 'download',
  client: ShareClient,
  pickRange: (size: number) => { offset: number; count: number } | undefined,
): Promise<ShareMediaResult> {
  const access = await resolveShare(deps, token, client);
  if (!access.ok) return { ok: false, access };
  const { share } = access;
  const evidence = share.evidenceIds.includes(evidenceId) ? access.evidence.find((e) => e.id === evidenceId) : undefined;
  if (!evidence) {
    denyKnown(deps, share, client, 'evidence-not-shared', evidenceId);
    return { ok: false, access: { ok: false, status: 404 } };
  }
  if (disposition === 'download' && share.accessMode !== 'view-download') {
    denyKnown(deps, share, client, 'download-not-allowed', evidenceId);
    return { ok: false, access: { ok: false, status: 404 } };
  }
  if (deps.sharing.mediaAudit.shouldRecord(`${share.id}:${evidence.id}:${disposition}:${client.session}`)) {
    await deps.audit.record({
      tenantId: share.tenantId,
      actor: { type: 'police-link', id: share.id },
      action: 'share.media',
      target: { incidentId: share.incidentId, shareId: share.id, evidenceId: evidence.id },
      outcome: 'allowed',
      ...(disposition === 'download' ? { reason: 'download' } : {}),
      ...withOrigin(client.origin),
    });
    await bump(deps, share, disposition === 'download' ? 'downloads' : 'media');
  }
  const media = await streamRedactedMedia(deps, evidence, pickRange);
  return { ok: true, share, evidence, media: { ...media, stream: guardShareStream(deps, share, media.stream) } };
}

// ---------------------------------------------------------------- lifecycle (activities) ------

export type IssueLinkResult = { sent: true } | { sent: false; reason: 'share-gone' | 'share-ended' | 'share-expired' };

/**
 * Activity: issues a fresh link token and sends it. The token is generated here, its hash indexed
 * and recorded, and the link handed to the notifier; nothing returned or logged carries it. A retry
 * issues a new token and retires the previous one (a link from a half-delivered attempt stops working).
 */
export async function issueShareLink(deps: Deps, ref: ShareRef): Promise<IssueLinkResult> {
  const found = await deps.sharing.shares.get(ref.tenantId, ref.shareId);
  if (!found) return { sent: false, reason: 'share-gone' };
  const now = deps.clock.now();
  if (found.doc.status !== 'pending' && found.doc.status !== 'active') return { sent: false, reason: 'share-ended' };
  if (isExpired(found.doc, now)) return { sent: false, reason: 'share-expired' };

  const token = newShareToken();
  const hash = hashShareToken(token);
  await deps.sharing.links.create({ id: hash, tenantId: linkPartition(hash), shareTenantId: ref.tenantId, shareId: ref.shareId, createdAt: now.toISOString() });
  let previous: string | undefined;
  const updated = await updateShare(deps, ref.tenantId, ref.shareId, (s) => {
    if (s.status !== 'pending' && s.status !== 'active') return undefined;
    previous = s.tokenHash;
    return { ...s, status: 'active', tokenHash: hash, linkIssuedAt: now.toISOString() };
  });
  if (updated.tokenHash !== hash) {
    await deps.sharing.links.delete(linkPartition(hash), hash);
    return { sent: false, reason: 'share-ended' };
  }
  if (previous && previous !== hash) await deps.sharing.links.delete(linkPartition(previous), previous);

  await deps.sharing.notifier.send({
    kind: 'share-link',
    tenantId: ref.tenantId,
    shareId: ref.shareId,
    incidentRef: ref.incidentId,
    link: `${deps.sharing.publicBaseUrl().replace(/\/+$/, '')}/s/${token}`,
    expiresAt: updated.expiresAt,
    to: { email: updated.recipient.officerEmail, ...(updated.recipient.webhookUrl ? { webhookUrl: updated.recipient.webhookUrl } : {}) },
  });
  await updateShare(deps, ref.tenantId, ref.shareId, (s) => ({ ...s, notifiedAt: deps.clock.now().toISOString() }));
  deps.logger.info('share link sent', { shareId: ref.shareId });
  return { sent: true };
}

const endAudit = (ref: ShareRef, action: AuditInput['action'], outcome: AuditInput['outcome'], reason: string): AuditInput => ({
  tenantId: ref.tenantId,
  actor: system,
  action,
  target: { incidentId: ref.incidentId, shareId: ref.shareId },
  outcome,
  reason,
});

/** Activity: the expiry timer fired. Marks the share expired (unless it already ended). */
export async function expireShare(deps: Deps, ref: ShareRef): Promise<{ expired: boolean }> {
  const found = await deps.sharing.shares.get(ref.tenantId, ref.shareId);
  if (!found || (found.doc.status !== 'active' && found.doc.status !== 'pending')) return { expired: false };
  await deps.audit.record(endAudit(ref, 'share.expire', 'succeeded', 'share-expired'));
  const now = deps.clock.now().toISOString();
  const updated = await updateShare(deps, ref.tenantId, ref.shareId, (s) =>
    s.status === 'active' || s.status === 'pending' ? { ...s, status: 'expired', endedAt: now } : undefined,
  );
  return { expired: updated.status === 'expired' };
}

/** Activity: the link could not be delivered after every retry. The share can never be used. */
export async function failShare(deps: Deps, ref: ShareRef): Promise<{ failed: boolean }> {
  const found = await deps.sharing.shares.get(ref.tenantId, ref.shareId);
  if (!found || (found.doc.status !== 'active' && found.doc.status !== 'pending')) return { failed: false };
  await deps.audit.record(endAudit(ref, 'share.create', 'failed', 'notification-failed'));
  const now = deps.clock.now().toISOString();
  await updateShare(deps, ref.tenantId, ref.shareId, (s) =>
    s.status === 'active' || s.status === 'pending' ? { ...s, status: 'failed', endedAt: now } : undefined,
  );
  deps.logger.error('share notification failed', { alert: 'share-notification-failed', shareId: ref.shareId });
  return { failed: true };
}

/** Activity: tells the sharer that their share ended (expired, or never delivered). */
export async function notifySharer(deps: Deps, input: { ref: ShareRef; reason: 'expired' | 'notification-failed' }): Promise<{ notified: boolean }> {
  const found = await deps.sharing.shares.get(input.ref.tenantId, input.ref.shareId);
  if (!found) return { notified: false };
  await deps.sharing.notifier.send({
    kind: 'share-ended',
    tenantId: input.ref.tenantId,
    shareId: input.ref.shareId,
    incidentRef: input.ref.incidentId,
    reason: input.reason,
    at: found.doc.endedAt ?? deps.clock.now().toISOString(),
    to: { sharerId: found.doc.createdBy, ...(found.doc.notifySharerEmail ? { email: found.doc.notifySharerEmail } : {}) },
  });
  return { notified: true };
}
