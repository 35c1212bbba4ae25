import { randomUUID } from 'node:crypto';
import type { TokenCredential } from '@azure/identity';
import type { Logger } from '../../ports/index.js';
import { NotificationError } from '../../ports/notifier.js';

const SCOPE = 'https://communication.azure.com/.default';
const API_VERSION = '2023-03-31';

export interface AcsEmailOptions {
  /** The Communication Services resource endpoint, e.g. https://<name>.<geo>.communication.azure.com */
  endpoint: string;
  /** A verified sender address of the resource's e-mail domain. */
  sender: string;
  credential: TokenCredential;
  fetch?: typeof fetch;
  logger?: Logger;
}

/**
 * Azure Communication Services Email over its REST API (`POST /emails:send`), authenticated with
 * the Function App's managed identity (Entra ID bearer token). Plain text only, engagement
 * tracking off. Accepted (202) means queued for delivery; anything else throws so the
 * orchestration retries.
 */
export class AcsEmailSender {
  constructor(private readonly options: AcsEmailOptions) {}

  async send(to: string, subject: string, plainText: string, idempotencyKey: string = randomUUID()): Promise<void> {
    const token = await this.options.credential.getToken(SCOPE);
    if (!token) throw new NotificationError('no token for Azure Communication Services');
    const url = new URL(`/emails:send?api-version=${API_VERSION}`, this.options.endpoint);
    const res = await (this.options.fetch ?? fetch)(url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token.token}`,
        'content-type': 'application/json',
        'repeatability-request-id': idempotencyKey,
        'repeatability-first-sent': new Date().toUTCString(),
      },
      body: JSON.stringify({
        senderAddress: this.options.sender,
        recipients: { to: [{ address: to }] },
        content: { subject, plainText },
        userEngagementTrackingDisabled: true,
      }),
      signal: AbortSignal.timeout(15_000),
    }).catch((err: unknown) => {
      throw new NotificationError(`e-mail service unreachable: ${err instanceof Error ? err.name : 'error'}`);
    });
    await res.body?.cancel().catch(() => undefined);
    if (res.status !== 202) throw new NotificationError(`e-mail service answered ${res.status}`);
    this.options.logger?.info('e-mail notification accepted', { operation: res.headers.get('operation-location') ? 'queued' : 'accepted' });
  }
}
