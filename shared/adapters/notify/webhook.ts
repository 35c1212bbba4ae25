import { createHmac, randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import type { Logger } from '../../ports/index.js';
import { NotificationError, type Notification } from '../../ports/notifier.js';

export const SIGNATURE_HEADER = 'bystander-signature';

/**
 * The signature an agency checks: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
 * Agencies recompute it over the raw body, compare in constant time and reject stale `t`.
 */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

/** Private, loopback and link-local address literals: never webhook targets in production. */
function isInternalHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost') || h.endsWith('.internal')) return true;
  const kind = isIP(h);
  if (kind === 4) return /^(10\.|127\.|0\.|169\.254\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/.test(h);
  if (kind === 6) return h === '::1' || h === '::' || /^(fc|fd|fe80)/.test(h) || h.startsWith('::ffff:');
  return false;
}

export interface WebhookOptions {
  secret: string;
  /** Allow http:// and internal hosts (local stack and tests only). */
  allowInsecure?: boolean;
  timeoutMs?: number;
  fetch?: typeof fetch;
  now?: () => Date;
  logger?: Logger;
}

/**
 * Agency webhook: POSTs a small JSON document (link, expiry, incident reference) signed with HMAC.
 * https only, no redirects, short timeout; any non-2xx answer is a failure the caller retries.
 */
export class WebhookNotifier {
  constructor(private readonly options: WebhookOptions) {
    if (options.secret.length < 32) throw new Error('the webhook secret must be at least 32 characters');
  }

  static check(url: string, allowInsecure = false): URL {
    const u = new URL(url);
    if (!allowInsecure && u.protocol !== 'https:') throw new NotificationError('webhook URLs must use https');
    if (!allowInsecure && isInternalHost(u.hostname)) throw new NotificationError('webhook URLs must not point at internal addresses');
    if (u.username || u.password) throw new NotificationError('webhook URLs must not carry credentials');
    return u;
  }

  async post(url: string, n: Notification): Promise<void> {
    const target = WebhookNotifier.check(url, this.options.allowInsecure);
    const now = (this.options.now ?? (() => new Date()))();
    const payload =
      n.kind === 'share-link'
        ? { type: 'bystander.share.link', shareId: n.shareId, incidentRef: n.incidentRef, link: n.link, expiresAt: n.expiresAt, sentAt: now.toISOString() }
        : { type: 'bystander.share.ended', shareId: n.shareId, incidentRef: n.incidentRef, reason: n.reason, at: n.at, sentAt: now.toISOString() };
    const body = JSON.stringify(payload);
    const res = await (this.options.fetch ?? fetch)(target, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: signWebhook(this.options.secret, Math.floor(now.getTime() / 1000), body),
        'bystander-delivery': randomUUID(),
      },
      body,
      redirect: 'error',
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
    }).catch((err: unknown) => {
      throw new NotificationError(`webhook delivery failed: ${err instanceof Error ? err.name : 'error'}`);
    });
    await res.body?.cancel().catch(() => undefined);
    if (!res.ok) throw new NotificationError(`webhook answered ${res.status}`);
    this.options.logger?.info('webhook notification delivered', { kind: n.kind, shareId: n.shareId, host: target.host });
  }
}
