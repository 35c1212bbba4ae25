import { createHmac, randomUUID } from 'node:crypto';
import type { Logger } from '../../ports/index.js';
import { NotificationError, type Notification } from '../../ports/notifier.js';
import { webhookUrlProblem } from '../../domain/share.js';

export const SIGNATURE_HEADER = 'bystander-signature';

/**
 * The signature an agency checks: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
 * Agencies recompute it over the raw body, compare in constant time and reject stale `t`.
 */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${mac}`;
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
    const problem = webhookUrlProblem(url, allowInsecure);
    if (problem) throw new NotificationError(`webhook URLs ${problem}`);
    return new URL(url);
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
