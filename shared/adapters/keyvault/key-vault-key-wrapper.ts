/**
 * KeyWrapper backed by an RSA key-encryption key in Azure Key Vault (production).
 *
 * - Wrap: `CryptographyClient.wrapKey('RSA-OAEP-256')` on the *current versioned* key id, so the
 *   stored WrappedKey names the exact KEK version used.
 * - Unwrap: with the version named in the stored key id (never "latest"), so wraps made before a
 *   rotation keep working as long as the old version stays enabled.
 * - Stored key ids are pinned to the configured vault and key name: a tampered record cannot send
 *   our token or our unwrap request to another vault.
 * - Every failure surfaces as {@link KeyUnavailableError} (fail closed) with a coarse reason.
 *
 * The Function App's managed identity needs the "Key Vault Crypto User" role (get, wrapKey,
 * unwrapKey) on the key; rotation and key creation stay with operators (or the rotation policy).
 */
import { CryptographyClient, KeyClient, parseKeyVaultKeyIdentifier, type KeyClientOptions } from '@azure/keyvault-keys';
import type { Clock } from '../../ports/index.js';
import { KeyUnavailableError, type KeyUnavailableReason } from '../../crypto/errors.js';
import type { KeyWrapper, WrappedKey } from '../../crypto/key-wrapper.js';

/** Azure AD credential accepted by the Key Vault SDK (e.g. ManagedIdentityCredential). */
export type KeyVaultCredential = ConstructorParameters<typeof KeyClient>[1];

/** Options for {@link KeyVaultKeyWrapper}. */
export interface KeyVaultKeyWrapperOptions {
  /** e.g. `https://bystander-weu.vault.azure.net` */
  vaultUrl: string;
  /** Name of the RSA key-encryption key. */
  keyName: string;
  credential: KeyVaultCredential;
  /** Passed to KeyClient and CryptographyClient (retry, agent, challenge verification…). */
  clientOptions?: KeyClientOptions;
  /** How long the current key version is cached before asking Key Vault again; default 5 min. */
  currentKeyTtlMs?: number;
  clock?: Clock;
}

const MAX_CLIENTS = 16;

/** Azure Key Vault implementation of the {@link KeyWrapper} port. */
export class KeyVaultKeyWrapper implements KeyWrapper {
  private readonly keyClient: KeyClient;
  private readonly vaultOrigin: string;
  private readonly clients = new Map<string, CryptographyClient>();
  private current: { keyId: string; fetchedAt: number } | undefined;
  private readonly ttl: number;
  private readonly clock: Clock;

  constructor(private readonly options: KeyVaultKeyWrapperOptions) {
    const url = new URL(options.vaultUrl);
    if (url.protocol !== 'https:') throw new TypeError('KeyVaultKeyWrapper: vault URL must be https');
    this.vaultOrigin = url.origin;
    this.keyClient = new KeyClient(this.vaultOrigin, options.credential, options.clientOptions);
    this.ttl = options.currentKeyTtlMs ?? 5 * 60_000;
    this.clock = options.clock ?? { now: () => new Date() };
  }

  async currentKeyId(): Promise<string> {
    const now = this.clock.now().getTime();
    if (this.current && now - this.current.fetchedAt < this.ttl) return this.current.keyId;
    let keyId: string | undefined;
    try {
      const key = await this.keyClient.getKey(this.options.keyName);
      if (key.properties.enabled === false) throw new KeyUnavailableError('denied', 'key-vault: current key version is disabled');
      keyId = key.id;
    } catch (err) {
      throw translate(err, 'get current key');
    }
    if (!keyId) throw new KeyUnavailableError('unknown', 'key-vault: key has no id');
    this.assertOwnKeyId(keyId);
    this.current = { keyId, fetchedAt: now };
    return keyId;
  }

  async wrap(dataKey: Buffer): Promise<WrappedKey> {
    const keyId = await this.currentKeyId();
    try {
      const result = await this.client(keyId).wrapKey('RSA-OAEP-256', dataKey);
      const usedId = result.keyID ?? keyId;
      this.assertOwnKeyId(usedId);
      return { keyId: usedId, algorithm: 'RSA-OAEP-256', wrapped: Buffer.from(result.result).toString('base64url') };
    } catch (err) {
      throw translate(err, 'wrap');
    }
  }

  async unwrap(w: WrappedKey): Promise<Buffer> {
    if (w.algorithm !== 'RSA-OAEP-256') throw new KeyUnavailableError('rejected', 'key-vault: unsupported algorithm');
    this.assertOwnKeyId(w.keyId);
    try {
      const result = await this.client(w.keyId).unwrapKey('RSA-OAEP-256', Buffer.from(w.wrapped, 'base64url'));
      return Buffer.from(result.result);
    } catch (err) {
      throw translate(err, 'unwrap');
    }
  }

  /** Accepts only versioned ids of the configured key in the configured vault. */
  private assertOwnKeyId(keyId: string): void {
    let parsed: ReturnType<typeof parseKeyVaultKeyIdentifier>;
    try {
      parsed = parseKeyVaultKeyIdentifier(keyId);
    } catch (err) {
      throw new KeyUnavailableError('rejected', 'key-vault: malformed key id', { cause: err });
    }
    if (new URL(parsed.vaultUrl).origin !== this.vaultOrigin || parsed.name !== this.options.keyName || !parsed.version) {
      throw new KeyUnavailableError('rejected', 'key-vault: key id does not name a version of the configured key');
    }
  }

  private client(keyId: string): CryptographyClient {
    let c = this.clients.get(keyId);
    if (!c) {
      c = new CryptographyClient(keyId, this.options.credential, this.options.clientOptions);
      this.clients.set(keyId, c);
      while (this.clients.size > MAX_CLIENTS) {
        const oldest = this.clients.keys().next();
        if (oldest.done) break;
        this.clients.delete(oldest.value);
      }
    }
    return c;
  }
}

/** Maps SDK / transport errors to a fail-closed KeyUnavailableError without leaking bodies. */
function translate(err: unknown, operation: string): KeyUnavailableError {
  if (err instanceof KeyUnavailableError) return err;
  const status = (err as { statusCode?: unknown }).statusCode;
  const code = (err as { code?: unknown }).code;
  let reason: KeyUnavailableReason = 'unknown';
  if (typeof status === 'number') {
    if (status === 401 || status === 403) reason = 'denied';
    else if (status === 404) reason = 'not-found';
    else if (status === 400) reason = 'rejected';
    else if (status === 408 || status === 429 || status >= 500) reason = 'unreachable';
  } else if ((err as Error).name === 'RestError' || typeof code === 'string') {
    // No HTTP status: the request never got an answer (DNS, TCP, TLS, timeout).
    reason = 'unreachable';
  }
  const suffix = typeof status === 'number' ? ` (HTTP ${status})` : '';
  return new KeyUnavailableError(reason, `key-vault: ${operation} failed${suffix}`, { cause: err });
}
