import { randomBytes } from 'node:crypto';
import https from 'node:https';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyUnavailableError } from '../../crypto/errors.js';
import { KeyClient } from '@azure/keyvault-keys';
import { DataKeyService, rewrapAll, type WrappedKey } from '../../crypto/key-wrapper.js';
import { KeyVaultKeyWrapper, type KeyVaultCredential } from './key-vault-key-wrapper.js';
import { startKeyVaultRestFake, type KeyVaultRestFake } from './key-vault-rest-fake.js';

/** A static test credential (TokenCredential) that records the scopes it was asked for. */
function staticCredential(token: string, scopes: string[][]): KeyVaultCredential {
  return {
    getToken: async (s: string | string[]) => {
      scopes.push(Array.isArray(s) ? s : [s]);
      return { token, expiresOnTimestamp: Date.now() + 3600_000 };
    },
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

describe('KeyVaultKeyWrapper with the real @azure/keyvault-keys SDK against a Key Vault REST fake (wire-level, HTTPS)', () => {
  let fake: KeyVaultRestFake;
  let agent: https.Agent;
  const scopes: string[][] = [];
  const keyName = 'bystander-kek';

  const makeWrapper = (overrides: Partial<ConstructorParameters<typeof KeyVaultKeyWrapper>[0]> = {}) =>
    new KeyVaultKeyWrapper({
      vaultUrl: fake.vaultUrl,
      keyName,
      credential: staticCredential(fake.token, scopes),
      clientOptions: { agent, disableChallengeResourceVerification: true, retryOptions: { maxRetries: 0 } },
      currentKeyTtlMs: 0,
      ...overrides,
    });

  beforeAll(async () => {
    fake = await startKeyVaultRestFake();
    agent = new https.Agent({ ca: fake.ca, keepAlive: false });
    fake.createKey(keyName);
  });
  afterAll(async () => {
    agent.destroy();
    await fake.close();
  });

  it('completes the challenge-based auth flow with the vault resource scope', async () => {
    const before = fake.requests.length;
    await makeWrapper().currentKeyId();
    const log = fake.requests.slice(before);
    expect(log[0]).toMatchObject({ authorized: false, status: 401 });
    expect(log.at(-1)).toMatchObject({ authorized: true, status: 200 });
    expect(scopes).toContainEqual(['https://vault.azure.net/.default']);
  });

  it('wraps and unwraps a data key (RSA-OAEP-256) through the REST API', async () => {
    const wrapper = makeWrapper();
    const dk = randomBytes(32);
    const wrapped = await wrapper.wrap(dk);
    expect(wrapped.algorithm).toBe('RSA-OAEP-256');
    expect(wrapped.keyId).toMatch(new RegExp(`^${fake.vaultUrl}/keys/${keyName}/[0-9a-f]{32}$`));
    expect(Buffer.from(wrapped.wrapped, 'base64url')).toHaveLength(256);
    expect((await wrapper.unwrap(wrapped)).equals(dk)).toBe(true);
    const paths = fake.requests.map((r) => `${r.method} ${r.path}`);
    expect(paths).toContain(`POST /keys/${keyName}/${wrapped.keyId.split('/').at(-1)}/wrapkey`);
    expect(paths).toContain(`POST /keys/${keyName}/${wrapped.keyId.split('/').at(-1)}/unwrapkey`);
  });

  it('rotation: new wraps use the new version, old wraps still unwrap with their version', async () => {
    const wrapper = makeWrapper();
    const dk = randomBytes(32);
    const old = await wrapper.wrap(dk);
    const newId = fake.rotateKey(keyName);
    expect(await wrapper.currentKeyId()).toBe(newId);
    const fresh = await wrapper.wrap(dk);
    expect(fresh.keyId).toBe(newId);
    expect(fresh.keyId).not.toBe(old.keyId);
    const oldVersion = old.keyId.split('/').at(-1);
    const before = fake.requests.length;
    expect((await wrapper.unwrap(old)).equals(dk)).toBe(true);
    expect(fake.requests.slice(before).map((r) => r.path)).toContain(`/keys/${keyName}/${oldVersion}/unwrapkey`);
    expect((await wrapper.unwrap(fresh)).equals(dk)).toBe(true);
  });

  it('rotation through the SDK (POST /keys/{name}/rotate), then rewrapAll moves old wraps to the new version', async () => {
    const wrapper = makeWrapper();
    const records = await Promise.all(
      ['a', 'b'].map(async (id) => {
        const dk = randomBytes(32);
        return { id, dk, wrapped: await wrapper.wrap(dk) };
      }),
    );
    const admin = new KeyClient(fake.vaultUrl, staticCredential(fake.token, []), {
      agent,
      disableChallengeResourceVerification: true,
      retryOptions: { maxRetries: 0 },
    });
    const rotated = await admin.rotateKey(keyName);
    expect(fake.requests.at(-1)).toMatchObject({ method: 'POST', path: `/keys/${keyName}/rotate`, status: 200 });
    const saved = new Map<string, WrappedKey>();
    const summary = await rewrapAll(records, wrapper, {
      id: (r) => r.id,
      wrappedOf: (r) => r.wrapped,
      save: async (r, next) => void saved.set(r.id, next),
    });
    expect(summary).toMatchObject({ currentKeyId: rotated.id, rewrapped: 2, failed: [] });
    for (const r of records) {
      expect(saved.get(r.id)?.keyId).toBe(rotated.id);
      expect((await wrapper.unwrap(saved.get(r.id)!)).equals(r.dk)).toBe(true);
    }
  });

  it('caches the current version for the configured TTL', async () => {
    let t = 0;
    const wrapper = makeWrapper({ currentKeyTtlMs: 60_000, clock: { now: () => new Date(t) } });
    const first = await wrapper.currentKeyId();
    const rotated = fake.rotateKey(keyName);
    expect(await wrapper.currentKeyId()).toBe(first);
    t += 60_001;
    expect(await wrapper.currentKeyId()).toBe(rotated);
  });

  it('refuses stored key ids that point at another vault or key (no token sent elsewhere)', async () => {
    const wrapper = makeWrapper();
    const w = await wrapper.wrap(randomBytes(32));
    const version = w.keyId.split('/').at(-1);
    await expect(wrapper.unwrap({ ...w, keyId: `https://evil.vault.azure.net/keys/${keyName}/${version}` })).rejects.toMatchObject({ reason: 'rejected' });
    await expect(wrapper.unwrap({ ...w, keyId: `${fake.vaultUrl}/keys/other/${version}` })).rejects.toMatchObject({ reason: 'rejected' });
    await expect(wrapper.unwrap({ ...w, keyId: `${fake.vaultUrl}/keys/${keyName}` })).rejects.toMatchObject({ reason: 'rejected' });
  });

  it('a disabled key version fails closed (denied)', async () => {
    const wrapper = makeWrapper();
    const w = await wrapper.wrap(randomBytes(32));
    fake.disableVersion(keyName, w.keyId.split('/').at(-1) ?? '');
    await expect(makeWrapper().unwrap(w)).rejects.toMatchObject({ name: 'KeyUnavailableError', reason: 'denied' });
    fake.rotateKey(keyName); // leave an enabled current version for the other tests
  });

  it('a tampered wrapped key is rejected', async () => {
    const wrapper = makeWrapper();
    const w = await wrapper.wrap(randomBytes(32));
    const bytes = Buffer.from(w.wrapped, 'base64url');
    bytes[10] = (bytes[10] ?? 0) ^ 1;
    await expect(wrapper.unwrap({ ...w, wrapped: bytes.toString('base64url') })).rejects.toMatchObject({ reason: 'rejected' });
  });

  it('TLS is verified: without the test CA the fake is not trusted', async () => {
    const untrusted = makeWrapper({
      clientOptions: { disableChallengeResourceVerification: true, retryOptions: { maxRetries: 0 } },
    });
    await expect(untrusted.currentKeyId()).rejects.toMatchObject({ name: 'KeyUnavailableError', reason: 'unreachable' });
  });

  it('a wrong token is denied (fail closed)', async () => {
    const wrapper = makeWrapper({ credential: staticCredential('not-the-token', []) });
    await expect(wrapper.currentKeyId()).rejects.toMatchObject({ name: 'KeyUnavailableError', reason: 'denied' });
  });

  it('vault unreachable → KeyUnavailableError; DataKeyService fails closed', async () => {
    const wrapper = makeWrapper();
    const w = await wrapper.wrap(randomBytes(32));
    const port = await freePort();
    const deadUrl = `https://127.0.0.1:${port}`;
    const dead = new KeyVaultKeyWrapper({
      vaultUrl: deadUrl,
      keyName,
      credential: staticCredential(fake.token, []),
      clientOptions: { agent, disableChallengeResourceVerification: true, retryOptions: { maxRetries: 0 } },
    });
    const moved = { ...w, keyId: `${deadUrl}/keys/${keyName}/${w.keyId.split('/').at(-1)}` };
    const err = await dead.unwrap(moved).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeyUnavailableError);
    expect((err as KeyUnavailableError).reason).toBe('unreachable');
    await expect(dead.wrap(randomBytes(32))).rejects.toMatchObject({ reason: 'unreachable' });
    const svc = new DataKeyService(dead);
    await expect(svc.open({ tenantId: 't', incidentId: 'i' }, moved)).rejects.toBeInstanceOf(KeyUnavailableError);
    await expect(svc.create({ tenantId: 't', incidentId: 'i' })).rejects.toBeInstanceOf(KeyUnavailableError);
  });
});
