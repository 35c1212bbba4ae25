/**
 * Audit events: append-only, hash-chained per tenant, ids only.
 *
 * Minimisation is a schema property: every field is an opaque id, an enum, a short code, a time or
 * a hash. Opaque ids cannot contain whitespace or "@", so names and e-mail addresses are rejected
 * at write time; free text (hold reasons, notes) belongs in the (encrypted) record, never here.
 *
 * Chain: event n carries `prevHash` = hash of event n−1 (event 1 carries {@link GENESIS_HASH}) and
 * `hash` = SHA-256 over the canonical JSON of the event without `hash` (so including `prevHash`,
 * `seq` and `tenantId`). `id` is derived from `seq`, so a store that enforces unique ids per tenant
 * also enforces one event per sequence number (no forks).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';

/** Every auditable action. Extend deliberately; verification accepts only known actions. */
export const AUDIT_ACTIONS = [
  'incident.create',
  'incident.read',
  /** A tenant's incident list (GET /api/incidents, filters and paging). */
  'incident.list',
  'incident.update',
  'incident.versions.list',
  'incident.revert',
  'evidence.upload-slot',
  'evidence.upload-rejected',
  'evidence.published',
  'evidence.quarantined',
  /** Held for human review (reason: the first review reason, or `tenant-reviews-all`). */
  'evidence.awaiting-review',
  'evidence.read',
  'evidence.deleted',
  'share.create',
  'share.list',
  'share.revoke',
  'share.expire',
  'share.view',
  'share.media',
  'share.denied',
  'hold.place',
  'hold.lift',
  'retention.skip-held',
  'retention.delete',
  'privacy.access',
  'privacy.erasure',
  'privacy.erasure-refused',
  'config.change',
  /** A tenant's settings read (GET /api/settings; target.setting names them). */
  'config.read',
  'key.rewrap',
  'key.unavailable',
  'auth.denied',
  /** An incident's audit trail read through the API (the console's incident page). */
  'audit.read',
  // Retailer event webhooks (shared/usecases/webhooks.ts): target.setting names the endpoint (`webhook:<id>`).
  'webhook.register',
  'webhook.list',
  'webhook.delete',
  /** One delivery attempt; reason `attempt-<n>.<result code>`. */
  'webhook.delivery',
  // Review before publishing (shared/usecases/review.ts): target.version = the edit/render version.
  'review.read',
  'review.edit',
  'review.approve',
  'review.reject',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** Chain predecessor of the first event of a tenant. */
export const GENESIS_HASH = '0'.repeat(64);
/** Version of the event format (hashed, so it cannot be changed afterwards). */
export const AUDIT_EVENT_VERSION = 1;

/** Opaque identifier: no whitespace, no "@", ≤ 128 chars. */
export const OpaqueId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'must be an opaque id (no spaces, no @)');
/** Short machine code (roles, reasons, settings): lowercase, ≤ 64 chars. */
export const Code = z.string().regex(/^[a-z][a-z0-9._:-]{0,63}$/, 'must be a short lowercase code');
const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be a lowercase hex SHA-256');
/** UTC ISO-8601 timestamp with milliseconds, as produced by Date#toISOString. */
export const UtcIso = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/, 'must be UTC ISO-8601 with milliseconds')
  .refine((s) => !Number.isNaN(Date.parse(s)) && new Date(s).toISOString() === s, 'must be a valid instant');

export const AuditActorSchema = z.strictObject({
  type: z.enum(['user', 'service', 'police-link', 'system']),
  /** Opaque subject id (e.g. Entra object id, share id, service name). Never a name or e-mail. */
  id: OpaqueId,
  role: Code.optional(),
});

export const AuditTargetSchema = z.strictObject({
  incidentId: OpaqueId.optional(),
  evidenceId: OpaqueId.optional(),
  shareId: OpaqueId.optional(),
  requestId: OpaqueId.optional(),
  holdId: OpaqueId.optional(),
  /** Record version (incident.update / incident.revert; ≥ 1), or a review's render/edit version (review.*; 0 = the automatic render). */
  version: z.number().int().min(0).optional(),
  /** Configuration setting changed (config.change), e.g. "retention-policy". */
  setting: Code.optional(),
  /** Denied requests one coalesced `share.denied` event stands for (absent = 1). */
  attempts: z.number().int().min(2).optional(),
});

/**
 * Where the request came from. The client IP is never stored: only a keyed, truncated HMAC of it
 * (see origin.ts), plus the id of the HMAC key so keys can rotate.
 */
export const AuditOriginSchema = z.strictObject({
  channel: z.enum(['api', 'share-page', 'queue', 'orchestration', 'timer', 'cli', 'worker', 'internal']),
  ip: z
    .strictObject({
      hmac: z.string().regex(/^[A-Za-z0-9_-]{22}$/),
      keyId: OpaqueId,
    })
    .optional(),
});

/** One item of a deletion certificate: what was removed, by id, with its content hash if any. */
export const DeletionItemSchema = z.strictObject({
  kind: z.enum(['blob', 'blob-version', 'record', 'record-version', 'share', 'outbox', 'wrapped-key', 'orchestration', 'report']),
  /** Ids or storage paths built from ids (e.g. "evidence/t-1/inc-1/ev-1"). */
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,255}$/),
  sha256: Sha256Hex.optional(),
});

const CERTIFICATE_ACTIONS: ReadonlySet<AuditAction> = new Set(['retention.delete', 'privacy.erasure', 'evidence.deleted']);

const auditEventShape = {
  v: z.literal(AUDIT_EVENT_VERSION),
  id: z.string().regex(/^ae-\d{12}$/),
  tenantId: OpaqueId,
  seq: z.number().int().min(1).max(999_999_999_999),
  at: UtcIso,
  actor: AuditActorSchema,
  action: z.enum(AUDIT_ACTIONS),
  target: AuditTargetSchema,
  outcome: z.enum(['allowed', 'denied', 'succeeded', 'failed']),
  origin: AuditOriginSchema,
  /** Short machine code explaining a denial, failure or skip (e.g. "legal-hold", "share-expired"). */
  reason: Code.optional(),
  /** Deletion certificate (retention.delete, privacy.erasure, evidence.deleted only). */
  deleted: z.array(DeletionItemSchema).min(1).max(1000).optional(),
  prevHash: Sha256Hex,
  hash: Sha256Hex,
};

/** A stored audit event (strict: unknown fields are rejected). */
export const AuditEventSchema = z.strictObject(auditEventShape).superRefine((e, ctx) => {
  if (e.deleted && !CERTIFICATE_ACTIONS.has(e.action)) {
    ctx.addIssue({ code: 'custom', path: ['deleted'], message: 'a deletion certificate is only allowed on deletion actions' });
  }
  if (e.id !== auditEventId(e.seq)) ctx.addIssue({ code: 'custom', path: ['id'], message: 'id must be derived from seq' });
});
export type AuditEvent = z.infer<typeof AuditEventSchema>;

/** What a caller supplies to record an event; the log adds v, id, seq, at, prevHash and hash. */
export const AuditInputSchema = z
  .strictObject({
    tenantId: auditEventShape.tenantId,
    actor: auditEventShape.actor,
    action: auditEventShape.action,
    target: auditEventShape.target,
    outcome: auditEventShape.outcome,
    origin: auditEventShape.origin,
    reason: auditEventShape.reason,
    deleted: auditEventShape.deleted,
  })
  .superRefine((e, ctx) => {
    if (e.deleted && !CERTIFICATE_ACTIONS.has(e.action)) {
      ctx.addIssue({ code: 'custom', path: ['deleted'], message: 'a deletion certificate is only allowed on deletion actions' });
    }
  });
export type AuditInput = z.infer<typeof AuditInputSchema>;

/** The event id for a sequence number: `ae-` + 12 digits. */
export function auditEventId(seq: number): string {
  return `ae-${String(seq).padStart(12, '0')}`;
}

/**
 * Canonical JSON (RFC 8785-style for the value types audit events use): object keys sorted by
 * UTF-16 code units, no whitespace, `undefined` members omitted, only finite numbers.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('canonicalJson: non-finite number');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) throw new TypeError('canonicalJson: only plain objects');
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  throw new TypeError(`canonicalJson: unsupported type ${typeof value}`);
}

/** SHA-256 (hex) over the canonical JSON of the event without its `hash` member. */
export function computeEventHash(event: Omit<AuditEvent, 'hash'> & { hash?: string }): string {
  const { hash: _ignored, ...rest } = event;
  return createHash('sha256').update(canonicalJson(rest), 'utf8').digest('hex');
}
