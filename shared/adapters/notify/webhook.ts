import { randomBytes } from 'node:crypto';
import type { Logger } from '../../ports/index.js';
import { NotificationError, type Notification } from '../../ports/notifier.js';
import { webhookUrlProblem } from '../../domain/share.js';
import { secretKey, standardWebhookHeaders } from '../../webhooks/signing.js';

export interface WebhookOptions {
  /** The stamp's agency webhook secret: `whsec_` + base64 (or bare base64) of 24–64 bytes (SHARE_WEBHOOK_SECRET). */
  secret: string;
  /** Allow http:// and internal hosts (local stack and tests only). */
  allowInsecure?: boolean;
  timeoutMs?: number;
  fetch?: typeof fetch;
  now?: () => Date;
  logger?: Logger;
}

/**
 * Agency webhook: POSTs a small JSON document (link, expiry, incident reference) signed per the
 * Standard Webhooks specification, as retailer webhooks are (`webhook-id`, `webhook-timestamp`,
 * `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`); agencies verify with any
 * Standard Webhooks library and the secret as `whsec_<base64>`. https only, no redirects, short
 * timeout; any non-2xx answer is a failure the caller retries.
 */
export class WebhookNotifier {
  constructor(private readonly options: WebhookOptions) {
    secretKey(options.secret); // throws unless it is a 24–64-byte base64 secret
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
        ...standardWebhookHeaders(this.options.secret, `msg_${randomBytes(16).toString('hex')}`, now, body),
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
