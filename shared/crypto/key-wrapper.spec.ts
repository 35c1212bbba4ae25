import { randomBytes } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import type { Logger } from '../ports/index.js';
import { KeyUnavailableError } from './errors.js';
import { DataKeyService, dataKeyRefFor, rewrapAll, type KeyWrapper, type WrappedKey } from './key-wrapper.js';

/**
 * An in-memory KEK with versions, for unit tests of the service logic. "Wrapping" XORs with a
 * per-version pad: not cryptography, only a reversible, version-specific transform.
 */
class InMemoryVersionedWrapper implements KeyWrapper {
  versions: Buffer[] = [randomBytes(32)];
  calls = { wrap: 0, unwrap: 0 };
  failWith: Error | undefined;
  async currentKeyId(): Promise<string> {
    if (this.failWith) throw this.failWith;
    return `mem:kek/${this.versions.length}`;
  }
  rotate(): void {
    this.versions.push(randomBytes(32));
  }
  private pad(keyId: string): Buffer {
    const v = Number(/^mem:kek\/(\d+)$/.exec(keyId)?.[1]);
    const pad = this.versions[v - 1];
    if (!pad) throw new KeyUnavailableError('not-found', 'no such version');
    return pad;
  }
  private xor(a: Buffer, b: Buffer): Buffer {
    return Buffer.from(a.map((x, i) => x ^ (b[i] ?? 0)));
  }
  async wrap(dataKey: Buffer): Promise<WrappedKey> {
    this.calls.wrap++;
    if (this.failWith) throw this.failWith;
    const keyId = await this.currentKeyId();
    return { keyId, algorithm: 'RSA-OAEP-256', wrapped: this.xor(dataKey, this.pad(keyId)).toString('base64url') };
  }
  async unwrap(w: WrappedKey): Promise<Buffer> {
    this.calls.unwrap++;
    await new Promise((r) => setImmediate(r));
    if (this.failWith) throw this.failWith;
    return this.xor(Buffer.from(w.wrapped, 'base64url'), this.pad(w.keyId));
  }
}

const ref = { tenantId: 't-1', incidentId: 'inc-1' };

function fakeClock(start = Date.parse('2025-01-01T00:00:00Z')) {
  let t = start;
  return { now: () => new Date(t), advance: (ms: number) => (t += ms) };
}

describe('DataKeyService', () => {
  it('generates a fresh 256-bit data key per incident and wraps it with the current KEK', async () => {
    const wrapper = new InMemoryVersionedWrapper();
    const svc = new DataKeyService(wrapper);
    const a = await svc.create(ref);
    const b = await svc.create({ ...ref, incidentId: 'inc-2' });
    expect(a.dataKey).toHaveLength(32);
    expect(a.dataKey.equals(b.dataKey)).toBe(false);
    expect(a.wrapped.keyId).toBe('mem:kek/1');
    expect(a.keyRef).toBe(dataKeyRefFor(ref));
    expect((await wrapper.unwrap(a.wrapped)).equals(a.dataKey)).toBe(true);
  });

  it('opens a wrapped key and caches it briefly (one unwrap for many reads)', async () => {
    const wrapper = new InMemoryVersionedWrapper();
    const clock = fakeClock();
    const { dataKey, wrapped } = await new DataKeyService(wrapper).create(ref);
    const svc = new DataKeyService(wrapper, { clock, cacheTtlMs: 60_000 });
    const results = await Promise.all([svc.open(ref, wrapped), svc.open(ref, wrapped), svc.open(ref, wrapped)]);
    for (const k of results) expect(k.equals(dataKey)).toBe(true);
    expect(wrapper.calls.unwrap).toBe(1); // concurrent opens share one unwrap
    await svc.open(ref, wrapped);
    expect(wrapper.calls.unwrap).toBe(1);
    clock.advance(60_001);
    await svc.open(ref, wrapped);
    expect(wrapper.calls.unwrap).toBe(2); // expired → unwrapped again
  });

  it('returns copies: zeroing a returned key does not poison the cache', async () => {
    const wrapper = new InMemoryVersionedWrapper();
    const svc = new DataKeyService(wrapper);
    const { dataKey, wrapped } = await svc.create(ref);
    const expected = Buffer.from(dataKey);
    dataKey.fill(0);
    const k1 = await svc.open(ref, wrapped);
    k1.fill(0);
    expect((await svc.open(ref, wrapped)).equals(expected)).toBe(true);
  });

  it('bounds the cache and evicts least recently used keys', async () => {
    const wrapper = new InMemoryVersionedWrapper();
    const svc = new DataKeyService(wrapper, { maxCachedKeys: 2 });
    const refs = ['a', 'b', 'c'].map((incidentId) => ({ tenantId: 't', incidentId }));
    const made = [];
    for (const r of refs) made.push(await svc.create(r));
    expect(svc.cachedCount).toBe(2);
    wrapper.calls.unwrap = 0;
    await svc.open(refs[0]!, made[0]!.wrapped); // evicted earlier → unwrap
    expect(wrapper.calls.unwrap).toBe(1);
    await svc.open(refs[2]!, made[2]!.wrapped); // still cached
    expect(wrapper.calls.unwrap).toBe(1);
  });

  it('a cached key is not served for a different wrapped value (e.g. after re-keying)', async () => {
    const wrapper = new InMemoryVersionedWrapper();
    const svc = new DataKeyService(wrapper);
    await svc.create(ref);
    const other = await new DataKeyService(wrapper).create(ref);
    expect((await svc.open(ref, other.wrapped)).equals(other.dataKey)).toBe(true);
  });

  it('fails closed with KeyUnavailableError when the KEK is unavailable, and logs ids only', async () => {
    const wrapper = new InMemoryVersionedWrapper();
    const { wrapped } = await new DataKeyService(wrapper).create(ref);
    const logger: Logger = { info: vi.fn(), warn: vi.fn(), error: vi.fn() };
    const svc = new DataKeyService(wrapper, { logger });
    wrapper.failWith = new Error('connect ECONNREFUSED 10.0.0.1:443');
    const err = await svc.open(ref, wrapped).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeyUnavailableError);
    await expect(svc.create(ref)).rejects.toBeInstanceOf(KeyUnavailableError);
    expect(logger.error).toHaveBeenCalledWith('data key unavailable', { tenantId: 't-1', incidentId: 'inc-1', reason: 'unknown' });
    const logged = JSON.stringify(vi.mocked(logger.error).mock.calls);
    expect(logged).not.toContain(wrapped.wrapped);
  });

  it('keeps a typed KeyUnavailableError reason from the adapter', async () => {
    const wrapper = new InMemoryVersionedWrapper();
    const { wrapped } = await new DataKeyService(wrapper).create(ref);
    wrapper.failWith = new KeyUnavailableError('unreachable', 'vault down');
    await expect(new DataKeyService(wrapper).open(ref, wrapped)).rejects.toMatchObject({ reason: 'unreachable' });
  });

  it('rejects a malformed stored wrapped key before calling the KEK', async () => {
    const wrapper = new InMemoryVersionedWrapper();
    const svc = new DataKeyService(wrapper);
    const bad = { keyId: 'mem:kek/1', algorithm: 'RSA1_5', wrapped: 'x' } as unknown as WrappedKey;
    await expect(svc.open(ref, bad)).rejects.toMatchObject({ reason: 'rejected' });
    expect(wrapper.calls.unwrap).toBe(0);
  });

  it('forget() drops the cached key so the next open needs the wrapped key again', async () => {
    const wrapper = new InMemoryVersionedWrapper();
    const svc = new DataKeyService(wrapper);
    const { wrapped } = await svc.create(ref);
    svc.forget(ref);
    expect(svc.cachedCount).toBe(0);
    await svc.open(ref, wrapped);
    expect(wrapper.calls.unwrap).toBe(1);
  });
});

describe('KEK rotation: rewrapAll', () => {
  it('re-wraps old data keys to the current KEK version; data keys are unchanged', async () => {
    const wrapper = new InMemoryVersionedWrapper();
    const svc = new DataKeyService(wrapper, { cacheTtlMs: 0 });
    const records = await Promise.all(
      ['a', 'b', 'c'].map(async (id) => ({ id, ...(await svc.create({ tenantId: 't', incidentId: id })) })),
    );
    wrapper.rotate();
    const fresh = { id: 'd', ...(await svc.create({ tenantId: 't', incidentId: 'd' })) };
    expect(fresh.wrapped.keyId).toBe('mem:kek/2');
    const all = [...records, fresh];
    const saved = new Map<string, WrappedKey>();
    const summary = await rewrapAll(all, wrapper, {
      id: (r) => r.id,
      wrappedOf: (r) => r.wrapped,
      save: async (r, next) => void saved.set(r.id, next),
    });
    expect(summary).toEqual({ currentKeyId: 'mem:kek/2', examined: 4, rewrapped: 3, alreadyCurrent: 1, failed: [] });
    for (const r of records) {
      const next = saved.get(r.id)!;
      expect(next.keyId).toBe('mem:kek/2');
      expect((await svc.open({ tenantId: 't', incidentId: r.id }, next)).equals(r.dataKey)).toBe(true);
    }
  });

  it('collects per-record failures and continues', async () => {
    const wrapper = new InMemoryVersionedWrapper();
    const ok = await new DataKeyService(wrapper).create(ref);
    wrapper.rotate();
    const broken: WrappedKey = { ...ok.wrapped, keyId: 'mem:kek/9' };
    const summary = await rewrapAll(
      (async function* () {
        yield { id: 'broken', wrapped: broken };
        yield { id: 'ok', wrapped: ok.wrapped };
      })(),
      wrapper,
      { id: (r) => r.id, wrappedOf: (r) => r.wrapped, save: async () => {} },
    );
    expect(summary.rewrapped).toBe(1);
    expect(summary.failed).toEqual([{ id: 'broken', reason: 'not-found' }]);
  });

  it('aborts when the key service is unreachable', async () => {
    const wrapper = new InMemoryVersionedWrapper();
    const ok = await new DataKeyService(wrapper).create(ref);
    wrapper.rotate();
    const records = [{ id: 'x', wrapped: ok.wrapped }];
    type Rec = { id: string; wrapped: WrappedKey };
    const io = { id: (r: Rec) => r.id, wrappedOf: (r: Rec) => r.wrapped, save: async () => {} };
    const unreachable = new KeyUnavailableError('unreachable', 'down');
    const flaky: KeyWrapper = { currentKeyId: () => wrapper.currentKeyId(), wrap: (k) => wrapper.wrap(k), unwrap: async () => { throw unreachable; } };
    await expect(rewrapAll(records, flaky, io)).rejects.toBe(unreachable);
  });
});
