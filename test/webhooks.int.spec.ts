import { createServer, type IncomingHttpHeaders } from 'node:http';
import { createHash } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../local/stack.js';
import { client, incidentBody, testStack } from './helpers.js';

/**
 * Retailer webhooks through the local stack: real HTTP routes, the Cosmos emulator, Azurite's queue,
 * the queue trigger, the real orchestrator in the replay runtime and a real receiver on loopback.
 * The event comes from a real producer: an upload whose bytes are not the declared video is quarantined.
 */
describe('retailer event webhooks (local stack)', () => {
  let stack: Stack;
  const hits: { headers: IncomingHttpHeaders; body: string }[] = [];
  const receiver = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    hits.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
    res.writeHead(hits.length === 1 ? 503 : 204).end();
  });
  let hookUrl = '';

  beforeAll(async () => {
    stack = await testStack('webhooks', { worker: false });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    hookUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`;
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    await new Promise((r) => receiver.close(r));
  });

  it('serves the OpenAPI document without a token, with the webhook routes in it', async () => {
    const res = await fetch(`${stack.url}/api/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/webhooks', '/api/webhooks/{webhookId}', '/api/incidents']));
  });

  it('admin registers an endpoint; a quarantine is delivered signed (verified by standardwebhooks), retried after a 503', async () => {
    const admin = await stack.devToken(['admin']);
    const uploader = await stack.devToken(['uploader']);
    const post = (token: string, body: unknown) =>
      fetch(`${stack.url}/api/webhooks`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post(uploader, { url: hookUrl, events: ['evidence.quarantined'] })).status).toBe(403);
    const unknown = await post(admin, { url: hookUrl, events: ['evidence.quarantined'], retries: 99 });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { unknownFields: string[] }).unknownFields).toEqual(['retries']);
    const created = await post(admin, { url: hookUrl, events: ['evidence.quarantined'] });
    expect(created.status).toBe(201);
    const { id, secret } = (await created.json()) as { id: string; secret: string };
    const list = await fetch(`${stack.url}/api/webhooks`, { headers: { authorization: `Bearer ${admin}` } });
    expect(((await list.json()) as { webhooks: { id: string }[] }).webhooks.map((w) => w.id)).toEqual([id]);
    // Another tenant's admin sees nothing.
    const other = await stack.devToken(['admin'], 'other-tenant');
    expect(((await (await fetch(`${stack.url}/api/webhooks`, { headers: { authorization: `Bearer ${other}` } })).json()) as { webhooks: unknown[] }).webhooks).toEqual([]);

    // A real quarantine: declared video/mp4, uploaded bytes that are not a video.
    const api = client(stack, await stack.devToken(['uploader', 'investigator', 'admin']));
    const junk = Buffer.from('this is not a video file at all, just text pretending to be one');
    const { status, body } = await api.createIncident(
      incidentBody([{ fileName: 'cam1.mp4', contentType: 'video/mp4', sizeBytes: junk.length, sha256: createHash('sha256').update(junk).digest('hex') }]),
    );
    expect(status).toBe(201);
    expect((await api.upload(body.uploads[0], junk)).status).toBe(201);
    const evidenceId = body.uploads[0].evidenceId as string;
    const quarantined = await api.waitFor(body.incident.id, evidenceId, ['quarantined', 'rejected']);
    expect(quarantined.status).toBe('quarantined');

    // First attempt answered 503: the orchestration waits its 5 s backoff, then delivers again.
    const deadline = Date.now() + 60_000;
    while (hits.length < 2 && Date.now() < deadline) {
      await stack.pump();
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(hits).toHaveLength(2);
    expect(hits[0]!.headers['webhook-id']).toBe(hits[1]!.headers['webhook-id']);
    const h = hits[1]!;
    const payload = new Webhook(secret).verify(h.body, {
      'webhook-id': String(h.headers['webhook-id']),
      'webhook-timestamp': String(h.headers['webhook-timestamp']),
      'webhook-signature': String(h.headers['webhook-signature']),
    });
    expect(payload).toEqual({ type: 'evidence.quarantined', timestamp: expect.any(String), data: { incidentId: body.incident.id, evidenceId, code: quarantined.quarantine.code } });

    const del = await fetch(`${stack.url}/api/webhooks/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${admin}` } });
    expect(del.status).toBe(204);
  }, 120_000);
});
