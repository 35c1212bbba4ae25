import { Webhook } from 'standardwebhooks';
import { createServer, type IncomingMessage } from 'node:http';
import { mkdtemp, readFile, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AccessToken } from '@azure/identity';
import { AcsEmailSender, ChannelNotifier, OutboxNotifier, WebhookNotifier, readOutboxLink, renderMessage } from './index.js';
import type { ShareLinkNotification } from '../../ports/notifier.js';
import { RecordingLogger } from '../../../test/shares/fakes.js';

const TOKEN = 'Q2hhbmdlZCBhZnRlciBldmVyeSByZXRyeSBvZiB0aGUgbGlu';
const linkMessage = (extra: Partial<ShareLinkNotification> = {}): ShareLinkNotification => ({
  kind: 'share-link',
  tenantId: 't1',
  shareId: 'sh-1',
  incidentRef: 'inc-1',
  link: `https://evidence.example.test/s/${TOKEN}`,
  expiresAt: '2026-11-23T09:00:00.000Z',
  to: { email: 'officer@police.example' },
  ...extra,
});
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwbEv2SPk3vFWbu9Zp';

describe('notification content', () => {
  it('carries the link, the expiry and the incident reference only', () => {
    const { subject, text } = renderMessage(linkMessage());
    expect(text).toContain(`https://evidence.example.test/s/${TOKEN}`);
    expect(text).toContain('2026-11-23 09:00 UTC');
    expect(subject).toContain('inc-1');
    // no recipient address, no agency, no incident details, no images
    expect(`${subject}\n${text}`).not.toMatch(/officer@|<img|data:|store|description/i);
  });
});

describe('OutboxNotifier (local)', () => {
  it('writes one owner-only JSON file per message under outbox/{tenant}/{share}/ and logs the file, never the link', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'outbox-'));
    const logger = new RecordingLogger();
    const outbox = new OutboxNotifier(dir, logger, () => new Date('2026-11-20T09:00:00Z'));
    await outbox.send(linkMessage());
    const files = await readdir(join(dir, 't1', 'sh-1'));
    expect(files).toHaveLength(1);
    const file = join(dir, 't1', 'sh-1', files[0]!);
    expect((await stat(file)).mode & 0o077).toBe(0);
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ kind: 'share-link', link: linkMessage().link, to: { email: 'officer@police.example' } });
    expect(await readOutboxLink(dir, 'sh-1')).toBe(linkMessage().link);
    expect(logger.lines.join('\n')).not.toContain(TOKEN);
    expect(logger.lines.join('\n')).toContain('sh-1');
    expect(await outbox.forget('t1', 'sh-1')).toBe(1);
    expect(await readOutboxLink(dir, 'sh-1')).toBeUndefined();
  });
});

describe('WebhookNotifier (Standard Webhooks signing)', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => close?.());

  async function receiver(status = 204) {
    const received: { headers: IncomingMessage['headers']; body: string }[] = [];
    const server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(status).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    close = () => new Promise((r) => server.close(() => r()));
    return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`, received };
  }

  it('posts link, expiry and reference with a signature the agency can verify', async () => {
    const { url, received } = await receiver();
    const now = new Date('2026-11-20T09:00:00Z');
    await new WebhookNotifier({ secret: SECRET, allowInsecure: true, now: () => now }).post(url, linkMessage({ to: { email: 'x@y.example', webhookUrl: url } }));
    const [hit] = received;
    const body = JSON.parse(hit!.body);
    expect(body).toEqual({ type: 'bystander.share.link', shareId: 'sh-1', incidentRef: 'inc-1', link: linkMessage().link, expiresAt: '2026-11-23T09:00:00.000Z', sentAt: now.toISOString() });
    // What an agency does: verify with an independent Standard Webhooks implementation (the standardwebhooks package).
    const headers = { 'webhook-id': String(hit!.headers['webhook-id']), 'webhook-timestamp': String(hit!.headers['webhook-timestamp']), 'webhook-signature': String(hit!.headers['webhook-signature']) };
    expect(headers['webhook-id']).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(Number(headers['webhook-timestamp'])).toBe(now.getTime() / 1000);
    const realNow = Date.now;
    Date.now = () => now.getTime(); // the package checks the timestamp against its clock (±5 min)
    try {
      expect(new Webhook(SECRET).verify(hit!.body, headers)).toEqual(body);
      expect(() => new Webhook(SECRET).verify(hit!.body.replace('inc-1', 'inc-2'), headers)).toThrow();
    } finally {
      Date.now = realNow;
    }
  });

  it('a non-2xx answer fails (so the orchestration retries)', async () => {
    const { url } = await receiver(503);
    await expect(new WebhookNotifier({ secret: SECRET, allowInsecure: true }).post(url, linkMessage())).rejects.toThrow(/503/);
  });

  it('in production only https to non-internal hosts, without credentials', () => {
    expect(() => WebhookNotifier.check('http://hooks.police.example/x')).toThrow(/https/);
    for (const u of ['https://127.0.0.1/x', 'https://10.1.2.3/x', 'https://[::1]/x', 'https://localhost/x', 'https://169.254.169.254/x']) {
      expect(() => WebhookNotifier.check(u)).toThrow(/internal/);
    }
    expect(() => WebhookNotifier.check('https://user:pw@hooks.police.example/x')).toThrow(/credentials/);
    expect(WebhookNotifier.check('https://hooks.police.example/x').host).toBe('hooks.police.example');
    expect(() => new WebhookNotifier({ secret: 'short' })).toThrow();
  });
});

describe('AcsEmailSender (REST, managed identity)', () => {
  it('sends plain text with tracking off and a bearer token; anything but 202 fails', async () => {
    const calls: { url: string; init: RequestInit }[] = [];
    let status = 202;
    const fakeFetch = (async (url: URL, init: RequestInit) => {
      calls.push({ url: String(url), init });
      return new Response(null, { status });
    }) as unknown as typeof fetch;
    const credential = { getToken: async (): Promise<AccessToken> => ({ token: 'aad-token', expiresOnTimestamp: Date.now() + 3600_000 }) };
    const acs = new AcsEmailSender({ endpoint: 'https://acs-au.australia.communication.azure.com', sender: 'DoNotReply@evidence.example', credential, fetch: fakeFetch });
    await acs.send('officer@police.example', 'subject', 'text');
    expect(calls[0]!.url).toBe('https://acs-au.australia.communication.azure.com/emails:send?api-version=2023-03-31');
    expect((calls[0]!.init.headers as Record<string, string>).authorization).toBe('Bearer aad-token');
    expect(JSON.parse(String(calls[0]!.init.body))).toEqual({
      senderAddress: 'DoNotReply@evidence.example',
      recipients: { to: [{ address: 'officer@police.example' }] },
      content: { subject: 'subject', plainText: 'text' },
      userEngagementTrackingDisabled: true,
    });
    status = 429;
    await expect(acs.send('officer@police.example', 's', 't')).rejects.toThrow(/429/);
  });

  it('ChannelNotifier sends e-mail to the officer and the webhook when the agency has one', async () => {
    const mails: string[] = [];
    const hooks: string[] = [];
    const notifier = new ChannelNotifier(
      { email: { send: async (to) => void mails.push(to) }, webhook: { post: async (url: string) => void hooks.push(url) } as unknown as WebhookNotifier },
      new RecordingLogger(),
    );
    await notifier.send(linkMessage({ to: { email: 'officer@police.example', webhookUrl: 'https://hooks.police.example/in' } }));
    expect(mails).toEqual(['officer@police.example']);
    expect(hooks).toEqual(['https://hooks.police.example/in']);
    await notifier.send({ kind: 'share-ended', tenantId: 't1', shareId: 'sh-1', incidentRef: 'inc-1', reason: 'expired', at: '2026-11-23T09:00:00.000Z', to: { sharerId: 'u1' } });
    expect(mails).toHaveLength(1);
  });
});
