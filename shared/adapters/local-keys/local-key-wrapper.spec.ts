import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeyUnavailableError } from '../../crypto/errors.js';
import { LocalKeyWrapper } from './local-key-wrapper.js';

const posix = process.platform !== 'win32';

describe('local key-file KeyWrapper', () => {
  let dir: string;
  beforeEach(async () => {
    dir = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'bystander-keys-')), 'keys');
  });
  afterEach(async () => {
    await fs.rm(path.dirname(dir), { recursive: true, force: true });
  });

  it('generates the key file on first use with owner-only permissions', async () => {
    const w = new LocalKeyWrapper({ directory: dir, modulusLength: 2048 });
    expect(await w.currentKeyId()).toBe('local:bystander-kek/v0001');
    const files = await fs.readdir(dir);
    expect(files).toEqual(['bystander-kek.v0001.pem']);
    if (posix) {
      expect((await fs.stat(path.join(dir, files[0] ?? ''))).mode & 0o777).toBe(0o600);
      expect((await fs.stat(dir)).mode & 0o777).toBe(0o700);
    }
    expect(await fs.readFile(path.join(dir, files[0] ?? ''), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });

  it('wraps and unwraps a data key with RSA-OAEP-256', async () => {
    const w = new LocalKeyWrapper({ directory: dir, modulusLength: 2048 });
    const dk = randomBytes(32);
    const wrapped = await w.wrap(dk);
    expect(wrapped.algorithm).toBe('RSA-OAEP-256');
    expect(wrapped.keyId).toBe('local:bystander-kek/v0001');
    expect(Buffer.from(wrapped.wrapped, 'base64url').length).toBe(256);
    expect((await w.unwrap(wrapped)).equals(dk)).toBe(true);
    // Randomised padding: wrapping twice gives different ciphertexts.
    expect((await w.wrap(dk)).wrapped).not.toBe(wrapped.wrapped);
  });

  it('concurrent first use in two instances creates a single key version', async () => {
    const a = new LocalKeyWrapper({ directory: dir, modulusLength: 2048 });
    const b = new LocalKeyWrapper({ directory: dir, modulusLength: 2048 });
    const [wa, wb] = await Promise.all([a.wrap(randomBytes(32)), b.wrap(randomBytes(32))]);
    expect(wa.keyId).toBe(wb.keyId);
    expect((await fs.readdir(dir)).filter((f) => f.endsWith('.pem'))).toHaveLength(1);
    // Either instance can unwrap the other's wrap: they share the one key.
    await expect(b.unwrap(wa)).resolves.toHaveLength(32);
    await expect(a.unwrap(wb)).resolves.toHaveLength(32);
  });

  it('rotation: new wraps use the new version, old wraps still unwrap', async () => {
    const w = new LocalKeyWrapper({ directory: dir, modulusLength: 2048 });
    const dk = randomBytes(32);
    const old = await w.wrap(dk);
    expect(await w.rotate()).toBe('local:bystander-kek/v0002');
    expect(await w.currentKeyId()).toBe('local:bystander-kek/v0002');
    const fresh = await w.wrap(dk);
    expect(fresh.keyId).toBe('local:bystander-kek/v0002');
    expect((await w.unwrap(old)).equals(dk)).toBe(true);
    expect((await w.unwrap(fresh)).equals(dk)).toBe(true);
    // Another process sees the rotation through the folder.
    expect(await new LocalKeyWrapper({ directory: dir }).currentKeyId()).toBe('local:bystander-kek/v0002');
  });

  it('a wrap relabelled with another version does not unwrap', async () => {
    const w = new LocalKeyWrapper({ directory: dir, modulusLength: 2048 });
    const old = await w.wrap(randomBytes(32));
    await w.rotate();
    const err = await w.unwrap({ ...old, keyId: 'local:bystander-kek/v0002' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeyUnavailableError);
    expect((err as KeyUnavailableError).reason).toBe('rejected');
  });

  it('fails closed with KeyUnavailableError for a missing version or a foreign key id', async () => {
    const w = new LocalKeyWrapper({ directory: dir, modulusLength: 2048 });
    const wrapped = await w.wrap(randomBytes(32));
    await expect(w.unwrap({ ...wrapped, keyId: 'local:bystander-kek/v0009' })).rejects.toMatchObject({ name: 'KeyUnavailableError', reason: 'not-found' });
    await expect(w.unwrap({ ...wrapped, keyId: 'local:other/v0001' })).rejects.toMatchObject({ reason: 'not-found' });
    await expect(w.unwrap({ ...wrapped, keyId: 'local:bystander-kek/../../etc/v0001' })).rejects.toBeInstanceOf(KeyUnavailableError);
  });

  it.runIf(posix)('refuses a key file readable by others', async () => {
    const w = new LocalKeyWrapper({ directory: dir, modulusLength: 2048 });
    const wrapped = await w.wrap(randomBytes(32));
    await fs.chmod(path.join(dir, 'bystander-kek.v0001.pem'), 0o644);
    const fresh = new LocalKeyWrapper({ directory: dir });
    await expect(fresh.unwrap(wrapped)).rejects.toMatchObject({ name: 'KeyUnavailableError', reason: 'denied' });
  });

  it('a deleted key file makes its wraps unrecoverable (fail closed)', async () => {
    const w = new LocalKeyWrapper({ directory: dir, modulusLength: 2048 });
    const wrapped = await w.wrap(randomBytes(32));
    await fs.rm(dir, { recursive: true });
    await expect(new LocalKeyWrapper({ directory: dir }).unwrap(wrapped)).rejects.toMatchObject({ reason: 'not-found' });
  });
});
