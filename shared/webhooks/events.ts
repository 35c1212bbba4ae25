import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { AuditInput } from '../ports/index.js';

/**
 * Event webhooks for retailers: the event types, the stored event and the payload. Payloads carry
 * ids and short codes only (never descriptions, names, media or links).
 *
 * Events are derived from the audit trail (see {@link eventFromAudit}): an event exists exactly when
 * the action it reports was recorded, and the mapping is the one place that decides which actions
 * a retailer hears about.
 */

export const WEBHOOK_EVENT_TYPES = [
  'evidence.published',
  /** data.code: the quarantine code (e.g. `verification-failed`, `media-corrupt`). */
  'evidence.quarantined',
  /** Evidence held for human review (data.code: the first review reason, or `tenant-reviews-all`). */
  'evidence.awaiting-review',
  'share.viewed',
  'share.expired',
  'share.revoked',
  /** An incident deleted because its retention ended (data.code `retention-ended`). */
  'incident.deleted',
] as const;
export const WebhookEventTypeSchema = z.enum(WEBHOOK_EVENT_TYPES);
export type WebhookEventType = z.infer<typeof WebhookEventTypeSchema>;

const id = z.string().regex(/^[\w-]{1,64}$/);
const code = z.string().regex(/^[a-z][a-z0-9._:-]{0,63}$/);

/** What an event says: ids and a code, nothing else. */
export const WebhookEventDataSchema = z.strictObject({
  incidentId: id.optional(),
  evidenceId: id.optional(),
  shareId: id.optional(),
  code: code.optional(),
});
export type WebhookEventData = z.infer<typeof WebhookEventDataSchema>;

export const WEBHOOK_EVENT_ID = /^evt_[0-9a-f]{32}$/;

/** A stored event (Cosmos container `webhook-events`, pk /tenantId; expires after {@link WEBHOOK_EVENT_TTL_SECONDS}). */
export const WebhookEventRecordSchema = z.strictObject({
  /** `evt_` + 32 hex; the Standard Webhooks `webhook-id` (receivers deduplicate on it). */
  id: z.string().regex(WEBHOOK_EVENT_ID),
  tenantId: id,
  type: WebhookEventTypeSchema,
  occurredAt: z.string(),
  data: WebhookEventDataSchema,
  /** Cosmos per-item TTL (seconds). */
  ttl: z.number().int().positive(),
});
export type WebhookEventRecord = z.infer<typeof WebhookEventRecordSchema>;

export const WEBHOOK_EVENT_TTL_SECONDS = 30 * 86400;

/** The JSON body a receiver gets (Standard Webhooks payload structure: type, timestamp, data). */
export const WebhookPayloadSchema = z.strictObject({
  type: WebhookEventTypeSchema,
  timestamp: z.string(),
  data: WebhookEventDataSchema,
});
export type WebhookPayload = z.infer<typeof WebhookPayloadSchema>;

export function webhookPayload(event: WebhookEventRecord): WebhookPayload {
  return { type: event.type, timestamp: event.occurredAt, data: event.data };
}

/**
 * Event ids. An event that can happen once per subject (published, quarantined, expired, revoked,
 * deleted) gets an id derived from tenant, type and subject, so a retried step that records its
 * audit event again produces the same event, which is stored and delivered once. A share view
 * is a new event each time.
 */
function eventId(tenantId: string, type: WebhookEventType, data: WebhookEventData, unique: boolean): string {
  if (unique) return `evt_${randomBytes(16).toString('hex')}`;
  const key = [tenantId, type, data.incidentId ?? '', data.evidenceId ?? '', data.shareId ?? ''].join('\0');
  return `evt_${createHash('sha256').update(`bystander/webhook-event/v1\0${key}`).digest('hex').slice(0, 32)}`;
}

const RETENTION_REASONS = new Set(['retention-ended', 'retention-ended-sweeper', 'nothing-left']);

/** The webhook event an audit event stands for, if any (ids and codes only). */
export function eventFromAudit(a: AuditInput, at: Date): WebhookEventRecord | undefined {
  const t = a.target;
  let type: WebhookEventType;
  let data: WebhookEventData;
  if (a.action === 'evidence.published' && a.outcome === 'succeeded') {
    type = 'evidence.published';
    data = { incidentId: t.incidentId, evidenceId: t.evidenceId };
  } else if (a.action === 'evidence.quarantined') {
    type = 'evidence.quarantined';
    data = { incidentId: t.incidentId, evidenceId: t.evidenceId, ...(a.reason ? { code: a.reason } : {}) };
  } else if (a.action === 'evidence.awaiting-review') {
    type = 'evidence.awaiting-review';
    data = { incidentId: t.incidentId, evidenceId: t.evidenceId, ...(a.reason ? { code: a.reason } : {}) };
  } else if (a.action === 'share.view' && a.outcome === 'allowed') {
    type = 'share.viewed';
    data = { incidentId: t.incidentId, shareId: t.shareId };
  } else if (a.action === 'share.expire' && a.outcome === 'succeeded') {
    type = 'share.expired';
    data = { incidentId: t.incidentId, shareId: t.shareId };
  } else if (a.action === 'share.revoke' && a.outcome === 'succeeded') {
    type = 'share.revoked';
    data = { incidentId: t.incidentId, shareId: t.shareId };
  } else if (a.action === 'retention.delete' && a.outcome === 'succeeded' && RETENTION_REASONS.has(a.reason ?? '')) {
    type = 'incident.deleted';
    data = { incidentId: t.incidentId, code: 'retention-ended' };
  } else {
    return undefined;
  }
  const clean = WebhookEventDataSchema.parse(Object.fromEntries(Object.entries(data).filter(([, v]) => v !== undefined)));
  return {
    id: eventId(a.tenantId, type, clean, type === 'share.viewed'),
    tenantId: a.tenantId,
    type,
    occurredAt: at.toISOString(),
    data: clean,
    ttl: WEBHOOK_EVENT_TTL_SECONDS,
  };
}

/** Queue message that fans an event out to the tenant's endpoints (ids only). */
export const WebhookEventMessageSchema = z.strictObject({ tenantId: id, eventId: z.string().regex(WEBHOOK_EVENT_ID) });
export type WebhookEventMessage = z.infer<typeof WebhookEventMessageSchema>;
export const WEBHOOK_EVENTS_QUEUE = 'webhook-events';
export const WEBHOOK_EVENTS_POISON_QUEUE = 'webhook-events-poison';
