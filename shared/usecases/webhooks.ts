import type { Principal } from '../auth/tokens.js';
import { requireRole } from '../auth/tokens.js';
import { ProblemError, problems } from '../http/problem.js';
import { ConflictError, type AuditInput, type AuditSink, type Clock, type DocumentStore, type Logger, type MessageQueue, type Orchestrations } from '../ports/index.js';
import { WebhookTransportError, type SecretStore, type WebhookSender, type WebhookUrlGuard } from '../ports/webhooks.js';
import {
  CreateWebhookSchema,
  MAX_WEBHOOKS_PER_TENANT,
  secretNameFor,
  toWebhookView,
  type WebhookEndpointRecord,
} from '../webhooks/endpoint.js';
import {
  eventFromAudit,
  WEBHOOK_EVENTS_QUEUE,
  WebhookEventMessageSchema,
  webhookPayload,
  type WebhookEventMessage,
  type WebhookEventRecord,
} from '../webhooks/events.js';
import { newWebhookSecret, standardWebhookHeaders } from '../webhooks/signing.js';
import { recordUserAction } from './audit-actors.js';

/**
 * Event webhooks for retailers: a tenant admin registers endpoints; events (derived from the audit
 * trail) are stored, fanned out to the tenant's subscribed endpoints, and delivered by the
 * `deliverWebhook` orchestration, signed per Standard Webhooks, one audited attempt at a time.
 */

export const DELIVER_WEBHOOK = 'deliverWebhook';
export const deliveryInstanceId = (endpointId: string, eventId: string) => `webhook-${endpointId}-${eventId}`;

/** Ids only: what the delivery orchestration carries. */
export interface DeliveryRef {
  tenantId: string;
  endpointId: string;
  eventId: string;
}

const ID = /^[\w-]{1,64}$/;
/** Audit target naming an endpoint (the audit target has no webhook field: `setting` names the configuration item). */
const endpointTarget = (endpointId: string) => ({ setting: `webhook:${endpointId.toLowerCase()}` });

// ---------------------------------------------------------------- registration (admin) -------

export interface WebhookAdminPorts {
  endpoints: DocumentStore<WebhookEndpointRecord>;
  secrets: SecretStore;
  guard: WebhookUrlGuard;
  audit: AuditSink;
  clock: Clock;
  newId: () => string;
}

/** POST /api/webhooks: validates, audits, keeps the secret in the secret store, returns it once. */
export async function registerWebhook(p: WebhookAdminPorts, principal: Principal, body: unknown, origin?: string) {
  requireRole(principal, ['admin']);
  const parsed = CreateWebhookSchema.safeParse(body);
  if (!parsed.success) throw new ProblemError(problems.validation(parsed.error));
  const urlProblem = await p.guard.problem(parsed.data.url);
  if (urlProblem) throw new ProblemError({ ...problems.badRequest(`"url" ${urlProblem}`), type: 'https://bystander.dev/problems/webhook-url', title: 'The webhook URL is not acceptable' });
  const existing = await p.endpoints.find(principal.tenantId);
  if (existing.length >= MAX_WEBHOOKS_PER_TENANT) throw new ProblemError(problems.conflict(`a tenant has at most ${MAX_WEBHOOKS_PER_TENANT} webhook endpoints`));
  const id = p.newId().toLowerCase();
  const secret = newWebhookSecret();
  await recordUserAction(p.audit, principal, { action: 'webhook.register', target: endpointTarget(id), outcome: 'succeeded' }, origin);
  await p.secrets.set(secretNameFor(id), secret);
  const record: WebhookEndpointRecord = {
    id,
    tenantId: principal.tenantId,
    url: parsed.data.url,
    events: parsed.data.events,
    createdAt: p.clock.now().toISOString(),
    createdBy: principal.subject,
  };
  await p.endpoints.create(record);
  return { ...toWebhookView(record), secret };
}

/** GET /api/webhooks: the tenant's endpoints (never their secrets). */
export async function listWebhooks(p: Pick<WebhookAdminPorts, 'endpoints' | 'audit'>, principal: Principal, origin?: string) {
  requireRole(principal, ['admin']);
  await recordUserAction(p.audit, principal, { action: 'webhook.list', target: {}, outcome: 'allowed' }, origin);
  const list = await p.endpoints.find(principal.tenantId);
  list.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  return { webhooks: list.map(toWebhookView) };
}

/** DELETE /api/webhooks/{id}: removes the endpoint and its secret; deliveries in flight stop at their next attempt. */
export async function deleteWebhook(p: Pick<WebhookAdminPorts, 'endpoints' | 'secrets' | 'audit'>, principal: Principal, endpointId: string, origin?: string) {
  requireRole(principal, ['admin']);
  const found = ID.test(endpointId) ? await p.endpoints.get(principal.tenantId, endpointId) : undefined;
  if (!found) throw new ProblemError(problems.notFound(`webhook ${endpointId.slice(0, 64)}`));
  await recordUserAction(p.audit, principal, { action: 'webhook.delete', target: endpointTarget(endpointId), outcome: 'succeeded' }, origin);
  await p.endpoints.delete(principal.tenantId, endpointId);
  await p.secrets.delete(secretNameFor(endpointId));
}

// ---------------------------------------------------------------- events ---------------------

export interface EventPorts {
  events: DocumentStore<WebhookEventRecord>;
  endpoints: Pick<DocumentStore<WebhookEndpointRecord>, 'find'>;
  queue: MessageQueue;
}

/**
 * Stores an event (once per id) and queues it for fan-out. Re-publishing the same id queues it again
 * (fan-out is idempotent). Minimisation: nothing is stored or queued when no endpoint of the tenant
 * subscribes to the event's type (a deleted incident leaves no event record behind for nobody).
 */
export async function publishWebhookEvent(p: EventPorts, event: WebhookEventRecord): Promise<'published' | 'no-subscriber'> {
  const subscribed = (await p.endpoints.find(event.tenantId)).some((e) => e.events.includes(event.type));
  if (!subscribed) return 'no-subscriber';
  try {
    await p.events.create(event);
  } catch (err) {
    if (!(err instanceof ConflictError)) throw err;
  }
  const message: WebhookEventMessage = { tenantId: event.tenantId, eventId: event.id };
  await p.queue.send(WEBHOOK_EVENTS_QUEUE, message);
  return 'published';
}

/**
 * The audit sink that also publishes webhook events: the audit event is written first (so an
 * action that was refused for want of an audit trail raises no event); publishing never fails
 * the action — a lost event is logged as an alert, ids only.
 */
export function webhookEventAudit(inner: AuditSink, p: EventPorts & { clock: Clock; logger: Logger }): AuditSink {
  return {
    async record(event: AuditInput) {
      await inner.record(event);
      const webhookEvent = eventFromAudit(event, p.clock.now());
      if (!webhookEvent) return;
      try {
        await publishWebhookEvent(p, webhookEvent);
      } catch (err) {
        p.logger.error('webhook event not published', { alert: 'webhook-event-lost', tenantId: event.tenantId, type: webhookEvent.type, eventId: webhookEvent.id, error: err instanceof Error ? err.name : 'error' });
      }
    },
  };
}

/** Queue trigger: starts one delivery per subscribed endpoint of the event's tenant (instance id = endpoint + event: duplicates start nothing). */
export async function fanOutWebhookEvent(
  p: { events: DocumentStore<WebhookEventRecord>; endpoints: DocumentStore<WebhookEndpointRecord> },
  orchestrations: Orchestrations,
  message: unknown,
): Promise<{ started: number }> {
  const msg = WebhookEventMessageSchema.parse(message);
  const event = await p.events.get(msg.tenantId, msg.eventId);
  if (!event) return { started: 0 };
  const endpoints = (await p.endpoints.find(msg.tenantId)).filter((e) => e.events.includes(event.doc.type));
  let started = 0;
  for (const e of endpoints) {
    const ref: DeliveryRef = { tenantId: msg.tenantId, endpointId: e.id, eventId: msg.eventId };
    if ((await orchestrations.start(DELIVER_WEBHOOK, deliveryInstanceId(e.id, msg.eventId), ref)) === 'started') started++;
  }
  return { started };
}

// ---------------------------------------------------------------- delivery -------------------

export interface DeliveryPorts {
  endpoints: DocumentStore<WebhookEndpointRecord>;
  events: DocumentStore<WebhookEventRecord>;
  secrets: SecretStore;
  sender: WebhookSender;
  audit: AuditSink;
  clock: Clock;
  logger: Logger;
}

export type DeliveryAttemptInput = DeliveryRef & { attempt: number; final: boolean };
export type DeliveryAttemptResult = { outcome: 'delivered' | 'failed' | 'gone'; code: string };

/**
 * Activity: one delivery attempt. Signs the stored event per Standard Webhooks (fresh timestamp,
 * same `webhook-id` every attempt), POSTs it, and audits the attempt with its result code. 2xx is
 * delivered; 410 Gone, a deleted endpoint or an expired event end the delivery; anything else is a
 * failure the orchestration retries after its backoff.
 */
export async function attemptWebhookDelivery(p: DeliveryPorts, input: DeliveryAttemptInput): Promise<DeliveryAttemptResult> {
  const endpoint = await p.endpoints.get(input.tenantId, input.endpointId);
  const event = await p.events.get(input.tenantId, input.eventId);
  const secret = endpoint ? await p.secrets.get(secretNameFor(input.endpointId)) : undefined;
  let result: DeliveryAttemptResult;
  if (!endpoint || !event || !secret) {
    result = { outcome: 'gone', code: !endpoint || !secret ? 'endpoint-deleted' : 'event-expired' };
  } else {
    const body = JSON.stringify(webhookPayload(event.doc));
    try {
      const { status } = await p.sender.post(endpoint.doc.url, standardWebhookHeaders(secret, event.doc.id, p.clock.now(), body), body);
      result = status >= 200 && status < 300 ? { outcome: 'delivered', code: `http-${status}` } : { outcome: status === 410 ? 'gone' : 'failed', code: `http-${status}` };
    } catch (err) {
      result = { outcome: 'failed', code: err instanceof WebhookTransportError ? err.code : 'error' };
    }
  }
  const data = event?.doc.data;
  await p.audit.record({
    tenantId: input.tenantId,
    actor: { type: 'system', id: 'webhook-delivery' },
    action: 'webhook.delivery',
    target: {
      ...endpointTarget(input.endpointId),
      ...(data?.incidentId ? { incidentId: data.incidentId } : {}),
      ...(data?.evidenceId ? { evidenceId: data.evidenceId } : {}),
      ...(data?.shareId ? { shareId: data.shareId } : {}),
    },
    outcome: result.outcome === 'delivered' ? 'succeeded' : 'failed',
    channel: 'orchestration',
    reason: `attempt-${input.attempt}.${result.code}`,
  });
  if (result.outcome === 'failed' && input.final) {
    p.logger.error('webhook delivery failed after every attempt', { alert: 'webhook-delivery-failed', tenantId: input.tenantId, endpointId: input.endpointId, eventId: input.eventId, code: result.code });
  }
  return result;
}
