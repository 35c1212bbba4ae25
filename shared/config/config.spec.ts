import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

const azure = {
  BYSTANDER_GEOGRAPHY: 'au',
  STORAGE__blobServiceUri: 'https://acct.blob.core.windows.net',
  STORAGE__queueServiceUri: 'https://acct.queue.core.windows.net',
  COSMOS__accountEndpoint: 'https://acct.documents.azure.com:443/',
  AUTH__issuer: 'https://login.microsoftonline.com/t/v2.0',
  AUTH__audience: 'api://bystander',
  AUTH__jwksUri: 'https://login.microsoftonline.com/t/discovery/v2.0/keys',
  AUDIT_ORIGIN_KEY: Buffer.alloc(32, 7).toString('base64'),
  KEYVAULT__uri: 'https://kv.vault.azure.net/',
};

describe('configuration validated at start-up', () => {
  it('accepts identity-based Azure settings and fills documented defaults', () => {
    const c = loadConfig(azure);
    expect(c.BYSTANDER_MODE).toBe('azure');
    expect(c.UPLOAD_URL_TTL_MINUTES).toBe(15);
    expect(c.REDACTION_MAX_ATTEMPTS).toBe(3);
  });
  it('names every missing or invalid setting in one clear message', () => {
    const { COSMOS__accountEndpoint: _c, ...rest } = azure;
    expect(() => loadConfig({ ...rest, UPLOAD_URL_TTL_MINUTES: '60', BYSTANDER_GEOGRAPHY: 'Australia!' })).toThrow(ConfigError);
    try {
      loadConfig({ ...rest, UPLOAD_URL_TTL_MINUTES: '60', BYSTANDER_GEOGRAPHY: 'Australia!' });
    } catch (err) {
      const msg = (err as Error).message;
      expect(msg).toMatch(/COSMOS__accountEndpoint/);
      expect(msg).toMatch(/UPLOAD_URL_TTL_MINUTES/);
      expect(msg).toMatch(/BYSTANDER_GEOGRAPHY/);
    }
  });
  it('validates per-tenant retention policies (JSON) and names the broken rule', () => {
    const policy = { version: 1, defaults: { none: 30, 'reported-to-police': 365, prosecution: 2555 } };
    const c = loadConfig({ ...azure, RETENTION_POLICIES: JSON.stringify({ tenants: { acme: policy } }) });
    expect(c.RETENTION_POLICIES?.tenants.acme?.defaults.none).toBe(30);
    const shrinking = { version: 1, defaults: { none: 400, 'reported-to-police': 365, prosecution: 2555 } };
    expect(() => loadConfig({ ...azure, RETENTION_POLICIES: JSON.stringify({ default: shrinking }) })).toThrow(/RETENTION_POLICIES/);
    expect(() => loadConfig({ ...azure, RETENTION_POLICIES: '{not json' })).toThrow(/RETENTION_POLICIES: must be JSON/);
  });

  it('refuses a Key Vault reference that App Service could not resolve (literal text in the setting)', () => {
    expect(() => loadConfig({ ...azure, AUDIT_ORIGIN_KEY: '@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/audit-origin-key-origin-1)' })).toThrow(
      /AUDIT_ORIGIN_KEY: the Key Vault reference did not resolve/,
    );
  });

  it('refuses keys and connection strings in azure mode (managed identity only)', () => {
    expect(() => loadConfig({ ...azure, COSMOS_KEY: 'k' })).toThrow(/COSMOS_KEY: not allowed in azure mode/);
    expect(() => loadConfig({ ...azure, STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true' })).toThrow(/STORAGE_CONNECTION_STRING/);
  });
});
