import { describe, expect, inject, it } from 'vitest';
import { AzureBlobStore } from './blob-store.js';
import { AUDIT_CHECKPOINTS_CONTAINER, BlobCheckpointStore } from './blob-checkpoint-store.js';

/**
 * The Azure checkpoint store against Azurite. Azurite does not enforce immutability policies: what is
 * tested here is the store's own contract (create-only, names in seq order, latest, tenants);
 * the WORM policy itself is the container's (infra/bicep/modules/storage/storage-account.bicep).
 */
describe('BlobCheckpointStore (Azurite)', () => {
  it('writes one create-only blob per checkpoint and reads them back in seq order', async () => {
    const blobs = AzureBlobStore.fromConnectionString(inject('services').storageConnectionString);
    await blobs.ensureContainers([AUDIT_CHECKPOINTS_CONTAINER]);
    const store = new BlobCheckpointStore(blobs);
    const tenant = `t-${Date.now()}`;
    const cp = (seq: number, hash: string) => ({ tenantId: tenant, seq, hash: hash.repeat(64), at: '2026-11-20T09:00:00.000Z' });
    await store.put(cp(9, 'b'));
    await store.put(cp(10, 'c'));
    await store.put(cp(2, 'a'));
    await store.put(cp(10, 'd')); // already there: left as it is
    expect((await store.list(tenant)).map((c) => [c.seq, c.hash[0]])).toEqual([[2, 'a'], [9, 'b'], [10, 'c']]);
    expect((await store.latest(tenant))?.seq).toBe(10);
    expect(await store.latest(`${tenant}-none`)).toBeUndefined();
    expect(await store.tenants()).toContain(tenant);
    await expect(store.put({ ...cp(11, 'e'), hash: 'not-a-hash' })).rejects.toThrow();
  });
});
