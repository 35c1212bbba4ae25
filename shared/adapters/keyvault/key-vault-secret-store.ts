/**
 * SecretStore backed by Azure Key Vault secrets (production): webhook signing secrets, one secret
 * per endpoint. The Function App's managed identity needs "Key Vault Secrets Officer" on the vault
 * (set, get, delete). Deletion is a soft delete (the vault has purge protection); endpoint ids are
 * never reused, so a deleted name is never needed again. Failures surface as KeyUnavailableError
 * (fail closed), without response bodies.
 */
import { SecretClient, type SecretClientOptions } from '@azure/keyvault-secrets';
import { KeyUnavailableError } from '../../crypto/errors.js';
import type { SecretStore } from '../../ports/webhooks.js';
import type { KeyVaultCredential } from './key-vault-key-wrapper.js';

export interface KeyVaultSecretStoreOptions {
  vaultUrl: string;
  credential: KeyVaultCredential;
  clientOptions?: SecretClientOptions;
}

export class KeyVaultSecretStore implements SecretStore {
  private readonly client: SecretClient;

  constructor(options: KeyVaultSecretStoreOptions) {
    const url = new URL(options.vaultUrl);
    if (url.protocol !== 'https:') throw new TypeError('KeyVaultSecretStore: vault URL must be https');
    this.client = new SecretClient(url.origin, options.credential, options.clientOptions);
  }

  async set(name: string, value: string): Promise<void> {
    try {
      await this.client.setSecret(name, value, { contentType: 'application/vnd.bystander.webhook-secret' });
    } catch (err) {
      throw translate(err, 'set');
    }
  }

  async get(name: string): Promise<string | undefined> {
    try {
      return (await this.client.getSecret(name)).value;
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw translate(err, 'get');
    }
  }

  async delete(name: string): Promise<boolean> {
    try {
      const poller = await this.client.beginDeleteSecret(name);
      await poller.pollUntilDone();
      return true;
    } catch (err) {
      if (statusOf(err) === 404) return false;
      throw translate(err, 'delete');
    }
  }
}

const statusOf = (err: unknown) => (err as { statusCode?: number }).statusCode;

function translate(err: unknown, operation: string): KeyUnavailableError {
  const status = statusOf(err);
  const reason = status === 401 || status === 403 ? 'denied' : status === 400 ? 'rejected' : 'unreachable';
  return new KeyUnavailableError(reason, `key-vault: secret ${operation} failed${status ? ` (HTTP ${status})` : ''}`, { cause: err });
}
