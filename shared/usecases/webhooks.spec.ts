import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditLog, InMemoryAuditStore } from '../audit/index.js';
import { createChainedAuditSink } from '../adapters/azure/audit-sink.js';
import { LocalSecretStore } from '../adapters/local-keys/local-secret-store.js';
import { httpWebhookSender, webhookUrlGuard } from '../adapters/webhooks/http-sender.js';
import { AuthError, type Principal } from '../auth/tokens.js';
import { ProblemError } from '../http/problem.js';
import { WebhookEndpointRecordSchema, secretNameFor, type WebhookEndpointRecord } from '../webhooks/endpoint.js';
import { WEBHOOK_EVENTS_QUEUE, WEBHOOK_EVENT_TYPES, WebhookEventRecordSchema, type WebhookEventRecord } from '../webhooks/events.js';
import { signWebhookPayload } from '../webhooks/signing.js';
import {
  DELIVER_WEBHOOK,
  deleteWebhook,
  deliveryInstanceId,
  fanOutWebhookEvent,
  listWebhooks,
  registerWebhook,
  webhookEventAudit,
  type DeliveryPorts,
} from './webhooks.js';
import { deliverWebhookOrchestrator, WEBHOOK_BACKOFF_SECONDS } from '../../functions/orchestrators/deliver-webhook.js';
import { webhookActivityHandlers } from '../../functions/activities/webhook-activities.js';
import { LocalOrchestrationRuntime } from '../../local/orchestration-runtime.js';
import { silentLogger } from '../adapters/console-logger.js';
import { FakeOrchestrations, ManualClock, MemoryDocumentStore, RecordingLogger } from '../../test/shares/fakes.js';
import { MemoryQueue, manualTimers } from '../../test/lifecycle/fakes.js';

const T0 = new Date('2026-11-20T09:00:00.000Z');
const admin: Principal = { tenantId: 't1', subject: 'user-admin', roles: ['admin'] };
const otherAdmin: Principal = { tenantId: 't2', subject: 'user-other', roles: ['admin'] };
const investigator: Principal = { tenantId: 't1', subject: 'user-inv', roles: ['investigator', 'uploader'] };

/** A real HTTP receiver on loopback that answers each delivery with the next scripted status. */
async function receiver(statuses: number[]) {
  const hits: { headers: IncomingHttpHeaders; body: string }[] = [];
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    hits.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
    res.writeHead(statuses[Math.min(hits.length - 1, statuses.length - 1)]!).end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hooks`;
  return { url, hits, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function setup(strict = false) {
  const clock = new ManualClock(T0.getTime());
  const dir = await mkdtemp(join(tmpdir(), 'webhook-secrets-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const auditStore = new InMemoryAuditStore();
  const logger = new RecordingLogger();
  const endpoints = new MemoryDocumentStore<WebhookEndpointRecord>(WebhookEndpointRecordSchema);
  const events = new MemoryDocumentStore<WebhookEventRecord>(WebhookEventRecordSchema);
  const queue = new MemoryQueue(clock);
  // The real chained audit trail (strict schema: ids and codes only) behind the webhook-event decorator.
  const chained = createChainedAuditSink(new AuditLog(auditStore, { clock, logger }), { id: 'k1', key: randomBytes(32) });
  const audit = webhookEventAudit(chained, { events, endpoints, queue, clock, logger });
  const secrets = new LocalSecretStore(join(dir, 'keys', 'webhooks'));
  let n = 0;
  const admin_ = { endpoints, secrets, guard: webhookUrlGuard(strict), audit, clock, newId: () => `0000000${++n}-aaaa-4bbb-8ccc-${randomUUID().slice(-12)}` };
  const delivery: DeliveryPorts = { endpoints, events, secrets, sender: httpWebhookSender({ strict }), audit, clock, logger };
  const auditEvents = async (tenantId = 't1') => (await auditStore.list(tenantId, 1, 1000)).events;
  return { clock, dir, endpoints, events, queue, audit, secrets, admin: admin_, delivery, auditEvents, logger };
}

/** The deliverWebhook orchestrator in the durable-functions replay engine (local runtime), timers on the test's clock. */
function runtimeFor(s: Awaited<ReturnType<typeof setup>>) {
  const timers = manualTimers(s.clock);
  const rt = new LocalOrchestrationRuntime({ [DELIVER_WEBHOOK]: deliverWebhookOrchestrator }, webhookActivityHandlers(async () => s.delivery), s.clock, silentLogger, timers.scheduler, 0);
  return { rt, timers };
}

describe('webhook endpoints (tenant admin)', () => {
  it('registers, lists and deletes; the whsec_ secret is returned once and kept in the local key folder (0600), never in the record', async () => {
    const s = await setup();
    const created = await registerWebhook(s.admin, admin, { url: 'http://127.0.0.1:9/hooks', events: ['evidence.published', 'evidence.quarantined'] });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const file = join(s.dir, 'keys', 'webhooks', `${secretNameFor(created.id)}.secret`);
    expect((await stat(file)).mode & 0o077).toBe(0);
    expect(await s.secrets.get(secretNameFor(created.id))).toBe(created.secret);
    const stored = (await s.endpoints.get('t1', created.id))!.doc;
    expect(JSON.stringify(stored)).not.toContain(created.secret.slice(6));
    const list = await listWebhooks(s.admin, admin);
    expect(list).toEqual({ webhooks: [{ id: created.id, url: 'http://127.0.0.1:9/hooks', events: ['evidence.published', 'evidence.quarantined'], createdAt: T0.toISOString() }] });
    expect(JSON.stringify(list)).not.toContain('whsec_');
    await deleteWebhook(s.admin, admin, created.id);
    expect((await listWebhooks(s.admin, admin)).webhooks).toEqual([]);
    expect(await s.secrets.get(secretNameFor(created.id))).toBeUndefined();
    const actions = (await s.auditEvents()).map((e) => `${e.action}:${e.target.setting ?? ''}`);
    expect(actions).toEqual([`webhook.register:webhook:${created.id}`, 'webhook.list:', `webhook.delete:webhook:${created.id}`, 'webhook.list:']);
  });

  it('isolates tenants: another tenant neither sees nor deletes the endpoint, and its events are not delivered there', async () => {
    const s = await setup();
    const created = await registerWebhook(s.admin, admin, { url: 'http://127.0.0.1:9/hooks', events: ['share.revoked'] });
    expect((await listWebhooks(s.admin, otherAdmin)).webhooks).toEqual([]);
    await expect(deleteWebhook(s.admin, otherAdmin, created.id)).rejects.toMatchObject({ problem: { status: 404 } });
    expect(await s.endpoints.get('t1', created.id)).toBeDefined();
    // t2 revokes a share: the event is t2's, and t1's endpoint gets nothing.
    await s.audit.record({ tenantId: 't2', actor: { type: 'user', id: 'u2' }, action: 'share.revoke', target: { incidentId: 'inc-9', shareId: 'sh-9' }, outcome: 'succeeded' });
    // t2 has no endpoint: its event is neither stored nor queued (t1's subscription does not count).
    expect(await s.events.find('t2')).toEqual([]);
    expect(await s.queue.receive(WEBHOOK_EVENTS_QUEUE, { max: 10, visibilityTimeoutSeconds: 30 })).toEqual([]);
    const orchestrations = new FakeOrchestrations();
    // The same event type in t1 reaches t1's endpoint.
    await s.audit.record({ tenantId: 't1', actor: { type: 'user', id: 'u1' }, action: 'share.revoke', target: { incidentId: 'inc-1', shareId: 'sh-1' }, outcome: 'succeeded' });
    const [msg1] = await s.queue.receive(WEBHOOK_EVENTS_QUEUE, { max: 10, visibilityTimeoutSeconds: 30 });
    expect(await fanOutWebhookEvent({ events: s.events, endpoints: s.endpoints }, orchestrations, JSON.parse(msg1!.body))).toEqual({ started: 1 });
    expect(orchestrations.started[0]).toMatchObject({ name: DELIVER_WEBHOOK, input: { tenantId: 't1', endpointId: created.id } });
  });

  it('needs the admin role', async () => {
    const s = await setup();
    await expect(registerWebhook(s.admin, investigator, { url: 'https://hooks.example/x', events: ['share.viewed'] })).rejects.toBeInstanceOf(AuthError);
    await expect(listWebhooks(s.admin, investigator)).rejects.toMatchObject({ status: 403 });
    await expect(deleteWebhook(s.admin, investigator, 'x')).rejects.toMatchObject({ status: 403 });
  });

  it('refuses bad input with a clear 400 and stores nothing: unknown fields, unknown or repeated events, bad URLs', async () => {
    const s = await setup();
    const bad = async (body: unknown) => {
      const err = await registerWebhook(s.admin, admin, body).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ProblemError);
      return (err as ProblemError).problem;
    };
    expect(await bad({ url: 'https://hooks.example/x', events: ['share.viewed'], secret: 'mine' })).toMatchObject({ status: 400, unknownFields: ['secret'] });
    expect((await bad({ url: 'https://hooks.example/x', events: ['share.created'] })).detail).toMatch(/events\.0/);
    expect((await bad({ url: 'https://hooks.example/x', events: ['share.viewed', 'share.viewed'] })).detail).toMatch(/unique/);
    expect((await bad({ url: 'https://hooks.example/x', events: [] })).status).toBe(400);
    expect((await bad({ url: 'ftp://hooks.example/x', events: ['share.viewed'] })).status).toBe(400);
    expect((await bad({ url: 'https://user:pw@hooks.example/x', events: ['share.viewed'] })).detail).toMatch(/credentials/);
    expect(await s.endpoints.find('t1')).toEqual([]);
    expect(await s.auditEvents()).toEqual([]);
  });

  it('in Azure mode: https only, and no host that resolves to loopback, private or link-local addresses', async () => {
    const s = await setup(true);
    const refused = async (url: string) => ((await registerWebhook(s.admin, admin, { url, events: ['share.viewed'] }).catch((e: ProblemError) => e)) as ProblemError).problem.detail;
    expect(await refused('http://hooks.example/x')).toMatch(/https/);
    for (const url of ['https://127.0.0.1/x', 'https://10.1.2.3/x', 'https://192.168.0.10/x', 'https://172.20.0.1/x', 'https://169.254.169.254/latest', 'https://[::1]/x', 'https://[fd00::1]/x', 'https://[::ffff:127.0.0.1]/x', 'https://100.64.0.1/x']) {
      expect(await refused(url), url).toMatch(/loopback, private or link-local/);
    }
    // A name, not an address literal: refused because of what it resolves to (here via /etc/hosts).
    expect(await refused('https://localhost:8443/x')).toMatch(/loopback, private or link-local/);
    expect(await refused('https://does-not-exist.invalid/x')).toMatch(/resolves/);
    // The sender refuses too, at connection time (a name re-pointed after registration).
    await expect(httpWebhookSender({ strict: true }).post('https://localhost:1/x', {}, '{}')).rejects.toMatchObject({ code: 'refused-address' });
    await expect(httpWebhookSender({ strict: true }).post('https://127.0.0.1:1/x', {}, '{}')).rejects.toMatchObject({ code: 'refused-address' });
    expect(await s.endpoints.find('t1')).toEqual([]);
  });
});

describe('events from the audit trail', () => {
  it('stores and queues nothing when no endpoint of the tenant subscribes to the type (no record outlives a deleted incident for nobody)', async () => {
    const s = await setup();
    const system = { type: 'system' as const, id: 'pipeline' };
    await s.audit.record({ tenantId: 't1', actor: system, action: 'evidence.published', target: { incidentId: 'inc-1', evidenceId: 'ev-2' }, outcome: 'succeeded' });
    await registerWebhook(s.admin, admin, { url: 'http://127.0.0.1:9/hooks', events: ['evidence.quarantined'] });
    await s.audit.record({ tenantId: 't1', actor: system, action: 'retention.delete', target: { incidentId: 'inc-1' }, outcome: 'succeeded', reason: 'retention-ended', deleted: [{ kind: 'record', id: 'inc-1' }] });
    expect(await s.events.find('t1')).toEqual([]);
    expect(await s.queue.receive(WEBHOOK_EVENTS_QUEUE, { max: 20, visibilityTimeoutSeconds: 30 })).toEqual([]);
    await s.audit.record({ tenantId: 't1', actor: system, action: 'evidence.quarantined', target: { incidentId: 'inc-1', evidenceId: 'ev-1' }, outcome: 'failed', reason: 'verification-failed' });
    expect((await s.events.find('t1')).map((e) => e.type)).toEqual(['evidence.quarantined']);
  });

  it('quarantine, review, publish, share view/expiry/revocation and retention deletion become ids-and-codes events; a repeated step is one event', async () => {
    const s = await setup();
    await registerWebhook(s.admin, admin, { url: 'http://127.0.0.1:9/hooks', events: [...WEBHOOK_EVENT_TYPES] });
    const system = { type: 'system' as const, id: 'pipeline' };
    await s.audit.record({ tenantId: 't1', actor: system, action: 'evidence.quarantined', target: { incidentId: 'inc-1', evidenceId: 'ev-1' }, outcome: 'failed', reason: 'verification-failed' });
    await s.audit.record({ tenantId: 't1', actor: system, action: 'evidence.quarantined', target: { incidentId: 'inc-1', evidenceId: 'ev-1' }, outcome: 'failed', reason: 'verification-failed' });
    await s.audit.record({ tenantId: 't1', actor: system, action: 'evidence.awaiting-review', target: { incidentId: 'inc-1', evidenceId: 'ev-2' }, outcome: 'succeeded', reason: 'subject-ambiguous' });
    await s.audit.record({ tenantId: 't1', actor: system, action: 'evidence.published', target: { incidentId: 'inc-1', evidenceId: 'ev-2' }, outcome: 'succeeded' });
    await s.audit.record({ tenantId: 't1', actor: { type: 'police-link', id: 'sh-1' }, action: 'share.view', target: { incidentId: 'inc-1', shareId: 'sh-1' }, outcome: 'allowed', origin: '203.0.113.9' });
    await s.audit.record({ tenantId: 't1', actor: system, action: 'share.expire', target: { incidentId: 'inc-1', shareId: 'sh-1' }, outcome: 'succeeded', reason: 'share-expired' });
    await s.audit.record({ tenantId: 't1', actor: system, action: 'retention.delete', target: { incidentId: 'inc-1' }, outcome: 'succeeded', reason: 'retention-ended', deleted: [{ kind: 'record', id: 'inc-1' }] });
    // Not events: a denied view, an erasure, a read.
    await s.audit.record({ tenantId: 't1', actor: { type: 'police-link', id: 'sh-1' }, action: 'share.denied', target: { shareId: 'sh-1' }, outcome: 'denied', reason: 'share-expired' });
    await s.audit.record({ tenantId: 't1', actor: system, action: 'privacy.erasure', target: { incidentId: 'inc-2' }, outcome: 'succeeded', reason: 'erasure-request' });
    const stored = await s.events.find('t1');
    expect(stored.map((e) => [e.type, e.data])).toEqual([
      ['evidence.quarantined', { incidentId: 'inc-1', evidenceId: 'ev-1', code: 'verification-failed' }],
      ['evidence.awaiting-review', { incidentId: 'inc-1', evidenceId: 'ev-2', code: 'subject-ambiguous' }],
      ['evidence.published', { incidentId: 'inc-1', evidenceId: 'ev-2' }],
      ['share.viewed', { incidentId: 'inc-1', shareId: 'sh-1' }],
      ['share.expired', { incidentId: 'inc-1', shareId: 'sh-1' }],
      ['incident.deleted', { incidentId: 'inc-1', code: 'retention-ended' }],
    ]);
    // The repeated quarantine queued its (same) event twice; fan-out is idempotent on the instance id.
    const messages = (await s.queue.receive(WEBHOOK_EVENTS_QUEUE, { max: 20, visibilityTimeoutSeconds: 30 })).map((m) => JSON.parse(m.body) as { eventId: string });
    expect(messages).toHaveLength(7);
    expect(messages[0]!.eventId).toBe(messages[1]!.eventId);
  });

  it('an action whose audit write fails raises no event; a lost event never fails the action (alert, ids only)', async () => {
    const s = await setup();
    await registerWebhook(s.admin, admin, { url: 'http://127.0.0.1:9/hooks', events: ['evidence.published'] });
    const failing = webhookEventAudit({ record: async () => Promise.reject(new Error('audit down')) }, { events: s.events, endpoints: s.endpoints, queue: s.queue, clock: s.clock, logger: s.logger });
    await expect(failing.record({ tenantId: 't1', actor: { type: 'system', id: 'p' }, action: 'evidence.published', target: { incidentId: 'i', evidenceId: 'e' }, outcome: 'succeeded' })).rejects.toThrow(/audit down/);
    expect(await s.events.find('t1')).toEqual([]);
    const brokenQueue = { ...s.queue, send: async () => Promise.reject(new Error('queue down')) } as unknown as MemoryQueue;
    const lossy = webhookEventAudit({ record: async () => undefined }, { events: s.events, endpoints: s.endpoints, queue: brokenQueue, clock: s.clock, logger: s.logger });
    await lossy.record({ tenantId: 't1', actor: { type: 'system', id: 'p' }, action: 'evidence.published', target: { incidentId: 'i', evidenceId: 'e' }, outcome: 'succeeded' });
    expect(s.logger.lines.at(-1)).toMatch(/"alert":"webhook-event-lost"/);
  });
});

describe('delivery (deliverWebhook orchestration, real loopback receiver)', () => {
  it('signs per Standard Webhooks (verified by the standardwebhooks package) and retries 503s with backoff, each attempt audited', async () => {
    const s = await setup();
    const hook = await receiver([503, 503, 204]);
    cleanups.push(hook.close);
    const { id: endpointId, secret } = await registerWebhook(s.admin, admin, { url: hook.url, events: ['evidence.quarantined'] });
    await s.audit.record({ tenantId: 't1', actor: { type: 'system', id: 'pipeline' }, action: 'evidence.quarantined', target: { incidentId: 'inc-1', evidenceId: 'ev-1' }, outcome: 'failed', reason: 'media-corrupt' });
    const { rt, timers } = runtimeFor(s);
    const [msg] = await s.queue.receive(WEBHOOK_EVENTS_QUEUE, { max: 1, visibilityTimeoutSeconds: 30 });
    expect(await fanOutWebhookEvent({ events: s.events, endpoints: s.endpoints }, rt, JSON.parse(msg!.body))).toEqual({ started: 1 });
    await rt.quiesce();
    expect(hook.hits).toHaveLength(1);
    expect(timers.lengths).toEqual([WEBHOOK_BACKOFF_SECONDS[0] * 1000]);

    s.clock.advance(WEBHOOK_BACKOFF_SECONDS[0] * 1000);
    timers.fireDue(s.clock.now());
    await rt.quiesce();
    expect(hook.hits).toHaveLength(2);
    expect(timers.lengths).toEqual([5_000, 300_000]);
    s.clock.advance(300_000);
    timers.fireDue(s.clock.now());
    await rt.quiesce();
    expect(hook.hits).toHaveLength(3);
    const eventId = (await s.events.find('t1'))[0]!.id;
    const status = await rt.status(deliveryInstanceId(endpointId, eventId));
    expect(status).toMatchObject({ runtimeStatus: 'Completed', output: { status: 'delivered', attempts: 3, code: 'http-204' } });

    // Every attempt: same webhook-id, its own timestamp, a signature an independent implementation accepts.
    const wh = new Webhook(secret);
    const stamps = hook.hits.map((h) => Number(h.headers['webhook-timestamp']));
    expect(stamps).toEqual([0, 5, 305].map((d) => T0.getTime() / 1000 + d));
    for (const h of hook.hits) {
      expect(h.headers['webhook-id']).toBe(eventId);
      const headers = { 'webhook-id': String(h.headers['webhook-id']), 'webhook-timestamp': String(h.headers['webhook-timestamp']), 'webhook-signature': String(h.headers['webhook-signature']) };
      // The package checks the timestamp against its own clock (±5 min); verify each at its send time.
      const realNow = Date.now;
      Date.now = () => Number(headers['webhook-timestamp']) * 1000;
      try {
        expect(wh.verify(h.body, headers)).toEqual({ type: 'evidence.quarantined', timestamp: T0.toISOString(), data: { incidentId: 'inc-1', evidenceId: 'ev-1', code: 'media-corrupt' } });
      } finally {
        Date.now = realNow;
      }
      expect(h.body).not.toMatch(/description|store|@/);
    }
    // A tampered body or another endpoint's secret is rejected by the same verifier.
    const h0 = hook.hits[0]!;
    const headers0 = { 'webhook-id': String(h0.headers['webhook-id']), 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': '' };
    headers0['webhook-signature'] = signWebhookPayload(secret, headers0['webhook-id'], Number(headers0['webhook-timestamp']), h0.body);
    expect(() => wh.verify(h0.body, headers0)).not.toThrow();
    expect(() => wh.verify(h0.body.replace('media-corrupt', 'media-corrupu'), headers0)).toThrow();
    expect(() => new Webhook(`whsec_${randomBytes(32).toString('base64')}`).verify(h0.body, headers0)).toThrow();

    const deliveries = (await s.auditEvents()).filter((e) => e.action === 'webhook.delivery');
    expect(deliveries.map((e) => [e.outcome, e.reason, e.target])).toEqual([
      ['failed', 'attempt-1.http-503', { setting: `webhook:${endpointId}`, incidentId: 'inc-1', evidenceId: 'ev-1' }],
      ['failed', 'attempt-2.http-503', { setting: `webhook:${endpointId}`, incidentId: 'inc-1', evidenceId: 'ev-1' }],
      ['succeeded', 'attempt-3.http-204', { setting: `webhook:${endpointId}`, incidentId: 'inc-1', evidenceId: 'ev-1' }],
    ]);
    // Orchestration history: ids, attempt numbers and codes only.
    expect(JSON.stringify(rt.history(deliveryInstanceId(endpointId, eventId)))).not.toMatch(/whsec_|media-corrupt|127\.0\.0\.1/);
  });

  it('gives up after the last attempt (alert), stops at once on 410 Gone or a deleted endpoint, and a dead receiver is a retried failure', async () => {
    const s = await setup();
    const down = await receiver([500]);
    cleanups.push(down.close);
    const gone = await receiver([410]);
    cleanups.push(gone.close);
    const a = await registerWebhook(s.admin, admin, { url: down.url, events: ['share.viewed'] });
    const b = await registerWebhook(s.admin, admin, { url: gone.url, events: ['share.viewed'] });
    const c = await registerWebhook(s.admin, admin, { url: 'http://127.0.0.1:1/closed', events: ['share.viewed'] });
    await s.audit.record({ tenantId: 't1', actor: { type: 'police-link', id: 'sh-1' }, action: 'share.view', target: { incidentId: 'inc-1', shareId: 'sh-1' }, outcome: 'allowed' });
    const { rt, timers } = runtimeFor(s);
    const [msg] = await s.queue.receive(WEBHOOK_EVENTS_QUEUE, { max: 1, visibilityTimeoutSeconds: 30 });
    expect((await fanOutWebhookEvent({ events: s.events, endpoints: s.endpoints }, rt, JSON.parse(msg!.body))).started).toBe(3);
    await rt.quiesce();
    await deleteWebhook(s.admin, admin, c.id); // deleted while its delivery waits
    for (let i = 0; i < 20; i++) {
      const next = timers.next();
      if (!next) break;
      s.clock.set(next);
      timers.fireDue(next);
      await rt.quiesce();
    }
    const eventId = (await s.events.find('t1'))[0]!.id;
    expect((await rt.status(deliveryInstanceId(a.id, eventId)))?.output).toEqual({ status: 'failed', attempts: WEBHOOK_BACKOFF_SECONDS.length + 1, code: 'http-500' });
    expect(down.hits).toHaveLength(WEBHOOK_BACKOFF_SECONDS.length + 1);
    expect((await rt.status(deliveryInstanceId(b.id, eventId)))?.output).toEqual({ status: 'gone', attempts: 1, code: 'http-410' });
    expect((await rt.status(deliveryInstanceId(c.id, eventId)))?.output).toEqual({ status: 'gone', attempts: 2, code: 'endpoint-deleted' });
    const reasonsFor = async (id: string) => (await s.auditEvents()).filter((e) => e.action === 'webhook.delivery' && e.target.setting === `webhook:${id}`).map((e) => e.reason);
    expect(await reasonsFor(c.id)).toEqual(['attempt-1.unreachable', 'attempt-2.endpoint-deleted']);
    expect(s.logger.lines.filter((l) => l.includes('webhook-delivery-failed'))).toHaveLength(1);
    // The whole schedule: every wait is one durable timer, far below the 6-day limit.
    expect(Math.max(...timers.lengths)).toBeLessThanOrEqual(6 * 86400_000);
  });
});
