/**
 * Ports of the webhook capability (shared/webhooks, shared/usecases/webhooks.ts).
 */

/** Named secrets: Key Vault secrets in Azure, files in the local key folder locally. */
export interface SecretStore {
  /** Creates or replaces a secret. */
  set(name: string, value: string): Promise<void>;
  /** The secret, or undefined when it does not exist. */
  get(name: string): Promise<string | undefined>;
  /** Removes it (soft-deleted where the store keeps deleted secrets); true when something was removed. */
  delete(name: string): Promise<boolean>;
}

/** Why an endpoint URL is not acceptable (undefined when it is): scheme, credentials, and where its name resolves. */
export interface WebhookUrlGuard {
  problem(url: string): Promise<string | undefined>;
}

/** A transport failure without an HTTP answer: a short code such as `timeout`, `unreachable`, `refused-address`. */
export class WebhookTransportError extends Error {
  override name = 'WebhookTransportError';
  constructor(readonly code: 'timeout' | 'unreachable' | 'refused-address' | 'tls' | 'invalid-url') {
    super(`webhook delivery failed: ${code}`);
  }
}

/** POSTs one signed delivery; resolves with the HTTP status (redirects are not followed), throws WebhookTransportError. */
export interface WebhookSender {
  post(url: string, headers: Record<string, string>, body: string): Promise<{ status: number }>;
}
