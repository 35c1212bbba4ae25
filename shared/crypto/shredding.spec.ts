import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalKeyWrapper } from '../adapters/local-keys/local-key-wrapper.js';
import { DecryptionError } from './errors.js';
import { DataKeyService, type DataKeyRef, type WrappedKey } from './key-wrapper.js';
import { createEncryptStream, decryptBuffer } from './segmented-aead.js';
import { cryptoShred } from './shredding.js';

describe('crypto-shredding', () => {
  let dir: string;
  let wrapper: LocalKeyWrapper;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bystander-shred-'));
    wrapper = new LocalKeyWrapper({ directory: dir, modulusLength: 2048 });
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('a retained copy of an encrypted blob is unreadable once the wrapped data key is destroyed', async () => {
    const wrappedKeys = new Map<string, WrappedKey>(); // stands in for the incident records
    const idOf = (r: DataKeyRef) => `${r.tenantId}/${r.incidentId}`;
    const dataKeys = new DataKeyService(wrapper);
    const shredded: DataKeyRef = { tenantId: 't-1', incidentId: 'inc-shred' };
    const kept: DataKeyRef = { tenantId: 't-1', incidentId: 'inc-kept' };

    const encrypt = async (ref: DataKeyRef, plain: Buffer) => {
      const { dataKey, wrapped, keyRef } = await dataKeys.create(ref);
      wrappedKeys.set(idOf(ref), wrapped);
      const ct = await buffer(Readable.from([plain]).pipe(createEncryptStream({ key: dataKey, keyRef, segmentSize: 1024 })));
      dataKey.fill(0);
      return ct;
    };
    const readWithStoredKey = async (ref: DataKeyRef, ct: Buffer) => {
      const wrapped = wrappedKeys.get(idOf(ref));
      if (!wrapped) throw new Error('no data key for incident');
      return decryptBuffer(ct, await dataKeys.open(ref, wrapped));
    };

    const footage = randomBytes(10_000);
    const blob = await encrypt(shredded, footage);
    const otherBlob = await encrypt(kept, footage);
    const backupCopy = Buffer.from(blob); // e.g. a soft-deleted version or a restored snapshot
    expect((await readWithStoredKey(shredded, blob)).equals(footage)).toBe(true);

    await cryptoShred(shredded, { dataKeys, destroyWrappedKey: async (ref) => void wrappedKeys.delete(idOf(ref)) });

    // 1. Through the application: there is no key to open any more (the cache was dropped too).
    await expect(readWithStoredKey(shredded, backupCopy)).rejects.toThrow('no data key for incident');
    // 2. The KEK is still fully available, yet a new data key for the same incident is a different key.
    const { dataKey: newKey } = await dataKeys.create(shredded);
    await expect(decryptBuffer(backupCopy, newKey)).rejects.toBeInstanceOf(DecryptionError);
    // 3. Other incidents are unaffected.
    expect((await readWithStoredKey(kept, otherBlob)).equals(footage)).toBe(true);
  });

  it('forgets cached keys even if destroying the wrapped key fails', async () => {
    const dataKeys = new DataKeyService(wrapper);
    const ref = { tenantId: 't', incidentId: 'i' };
    await dataKeys.create(ref);
    expect(dataKeys.cachedCount).toBe(1);
    await expect(cryptoShred(ref, { dataKeys, destroyWrappedKey: async () => Promise.reject(new Error('cosmos down')) })).rejects.toThrow('cosmos down');
    expect(dataKeys.cachedCount).toBe(0);
  });
});
