import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { z } from 'zod';
import type { EvidenceRecord, IncidentRecord } from './incident.js';

/**
 * Sharing redacted evidence with police: the share record, its input schema and the pure rules
 * (token format, expiry, who may see what). As for incidents, the schemas are the minimisation
 * policy: strict objects, only the fields a share needs.
 *
 * The link token is 32 bytes from the CSPRNG (256 bits), base64url (43 characters). It exists in
 * clear only in the memory of the activity that sends the notification and in the notification
 * itself; records hold its SHA-256 only.
 */

export const SHARE_PURPOSES = ['investigation', 'prosecution', 'court-disclosure'] as const;
export const SharePurposeSchema = z.enum(SHARE_PURPOSES);

export const SHARE_ACCESS_MODES = ['view', 'view-download'] as const;
export const ShareAccessModeSchema = z.enum(SHARE_ACCESS_MODES);
export type ShareAccessMode = z.infer<typeof ShareAccessModeSchema>;

export const DEFAULT_SHARE_HOURS = 72;
export const MAX_SHARE_HOURS = 7 * 24;
/** Durable timers are chained in steps of at most this many days. */
export const MAX_TIMER_DAYS = 6;

/**
 * pending: created, link not yet sent · active: link sent, usable until expiresAt · revoked ·
 * expired · failed: the notification could not be delivered (the link was never usable).
 */
export const SHARE_STATUSES = ['pending', 'active', 'revoked', 'expired', 'failed'] as const;
export const ShareStatusSchema = z.enum(SHARE_STATUSES);
export type ShareStatus = z.infer<typeof ShareStatusSchema>;

const id = z.string().regex(/^[\w-]{1,64}$/, 'an id');
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);
/** An agency's display name: printable text, no markup characters. */
const agencyName = z
  .string()
  .trim()
  .min(2)
  .max(100)
  .regex(/^[\p{L}\p{N} .,'&()/-]+$/u, "letters, digits, spaces and . , ' & ( ) / - only");

export const ShareRecipientSchema = z
  .object({
    agency: agencyName,
    officerEmail: z.email().max(254),
    /** Optional agency integration endpoint; receives an HMAC-signed JSON notification. */
    webhookUrl: z.url({ protocol: /^https?$/ }).max(2048).optional(),
  })
  .strict();

export const CreateShareSchema = z
  .object({
    recipient: ShareRecipientSchema,
    purpose: SharePurposeSchema,
    evidenceIds: z
      .array(id)
      .min(1)
      .max(20)
      .refine((ids) => new Set(ids).size === ids.length, 'evidence ids must be unique'),
    accessMode: ShareAccessModeSchema,
    /** Hours until the link expires: default 72, at most 168 (7 days). */
    expiresInHours: z.number().int().min(1).max(MAX_SHARE_HOURS).default(DEFAULT_SHARE_HOURS),
    /** Optional address to tell the sharer when the share ends (expiry, failed delivery). */
    notifySharerEmail: z.email().max(254).optional(),
  })
  .strict();
export type CreateShareInput = z.infer<typeof CreateShareSchema>;

export const ShareAccessCountsSchema = z
  .object({
    views: z.number().int().min(0),
    media: z.number().int().min(0),
    downloads: z.number().int().min(0),
    denied: z.number().int().min(0),
  })
  .strict();

export const ShareRecordSchema = z
  .object({
    id,
    tenantId: id,
    incidentId: id,
    evidenceIds: z.array(id).min(1),
    recipient: ShareRecipientSchema,
    purpose: SharePurposeSchema,
    accessMode: ShareAccessModeSchema,
    status: ShareStatusSchema,
    /** SHA-256 of the current link token (absent until the link is issued). Never the token. */
    tokenHash: sha256Hex.optional(),
    createdAt: z.string(),
    /** Opaque subject id of the sharer. */
    createdBy: z.string(),
    notifySharerEmail: z.email().optional(),
    expiresAt: z.string(),
    linkIssuedAt: z.string().optional(),
    notifiedAt: z.string().optional(),
    revokedAt: z.string().optional(),
    revokedBy: z.string().optional(),
    endedAt: z.string().optional(),
    access: ShareAccessCountsSchema,
    updatedAt: z.string(),
  })
  .strict();
export type ShareRecord = z.infer<typeof ShareRecordSchema>;

/**
 * Token → share index. Police requests carry no tenant, so the index is looked up by the token's
 * hash alone (a point read). Its partition key value is derived from the hash (256 buckets), not a
 * tenant: the documents hold a hash and ids only.
 */
export const ShareLinkRecordSchema = z
  .object({
    id: sha256Hex,
    tenantId: z.string().regex(/^links-[0-9a-f]{2}$/),
    shareTenantId: id,
    shareId: id,
    createdAt: z.string(),
  })
  .strict();
export type ShareLinkRecord = z.infer<typeof ShareLinkRecordSchema>;

export const linkPartition = (tokenHash: string) => `links-${tokenHash.slice(0, 2)}`;

// --- agency webhooks ---

/** Private, loopback and link-local address literals: never webhook targets in production. */
function isInternalHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost') || h.endsWith('.internal')) return true;
  const kind = isIP(h);
  if (kind === 4) return /^(10\.|127\.|0\.|169\.254\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/.test(h);
  if (kind === 6) return h === '::1' || h === '::' || /^(fc|fd|fe80)/.test(h) || h.startsWith('::ffff:');
  return false;
}

/**
 * Why an agency webhook URL is not acceptable (undefined when it is): https only, no internal
 * hosts, no credentials. `allowInsecure` (local stack and tests) lifts the first two.
 */
export function webhookUrlProblem(url: string, allowInsecure = false): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'must be absolute URLs';
  }
  if (!allowInsecure && u.protocol !== 'https:') return 'must use https';
  if (!allowInsecure && isInternalHost(u.hostname)) return 'must not point at internal addresses';
  if (u.username || u.password) return 'must not carry credentials';
  return undefined;
}

// --- tokens ---

export const TOKEN_BYTES = 32;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** A new link token: 256 bits from the CSPRNG, base64url. */
export function newShareToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

/** Well-formed token (shape only): anything else is rejected before any lookup. */
export function isTokenShaped(token: string): boolean {
  return TOKEN_PATTERN.test(token);
}

export function hashShareToken(token: string): string {
  return createHash('sha256').update(`bystander/share-token/v1\0${token}`).digest('hex');
}

/** Constant-time comparison of two SHA-256 hex digests. */
export function sameHash(a: string | undefined, b: string): boolean {
  if (!a || a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));
}

// --- rules ---

export function shareExpiry(now: Date, hours: number = DEFAULT_SHARE_HOURS): Date {
  return new Date(now.getTime() + Math.min(hours, MAX_SHARE_HOURS) * 3600_000);
}

/** Expired at and after `expiresAt` (fail closed at the boundary). */
export function isExpired(share: Pick<ShareRecord, 'expiresAt'>, now: Date): boolean {
  return now.getTime() >= Date.parse(share.expiresAt);
}

/** The status a reader should see: an active share past its expiry is expired, timer or not. */
export function effectiveStatus(share: ShareRecord, now: Date): ShareStatus {
  if ((share.status === 'active' || share.status === 'pending') && isExpired(share, now)) return 'expired';
  return share.status;
}

/** Published evidence with a recorded redacted copy: the only thing a share can ever serve. */
export function isShareable(e: EvidenceRecord | undefined): e is EvidenceRecord & { redacted: NonNullable<EvidenceRecord['redacted']> } {
  return !!e && e.status === 'published' && !!e.redacted;
}

export type ShareDenial =
  | 'share-unknown'
  | 'share-superseded'
  | 'share-pending'
  | 'share-revoked'
  | 'share-expired'
  | 'share-failed'
  | 'evidence-deleted';

/**
 * Whether a share may serve now, and which of its evidence. Evidence deleted by retention or
 * erasure (or no longer published) is never served; a share left with none is dead.
 */
export function evaluateShare(
  share: ShareRecord,
  incident: IncidentRecord | undefined,
  now: Date,
): { ok: true; evidence: EvidenceRecord[] } | { ok: false; reason: ShareDenial } {
  const status = effectiveStatus(share, now);
  if (status !== 'active') return { ok: false, reason: `share-${status}` as ShareDenial };
  if (!incident || incident.id !== share.incidentId || incident.tenantId !== share.tenantId) return { ok: false, reason: 'evidence-deleted' };
  const evidence = share.evidenceIds.map((eid) => incident.evidence.find((e) => e.id === eid)).filter(isShareable);
  if (evidence.length === 0) return { ok: false, reason: 'evidence-deleted' };
  return { ok: true, evidence };
}

/** What the sharer sees (API): never the token or its hash. */
export function toShareView(share: ShareRecord, now: Date) {
  return {
    id: share.id,
    incidentId: share.incidentId,
    evidenceIds: share.evidenceIds,
    recipient: { agency: share.recipient.agency, officerEmail: share.recipient.officerEmail, webhook: !!share.recipient.webhookUrl },
    purpose: share.purpose,
    accessMode: share.accessMode,
    status: effectiveStatus(share, now),
    createdAt: share.createdAt,
    createdBy: share.createdBy,
    expiresAt: share.expiresAt,
    notifiedAt: share.notifiedAt,
    revokedAt: share.revokedAt,
    endedAt: share.endedAt,
    access: share.access,
  };
}
export type ShareView = ReturnType<typeof toShareView>;
