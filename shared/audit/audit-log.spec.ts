import { describe, expect, it } from 'vitest';
import { AuditLog, AuditWriteError } from './audit-log.js';
import { GENESIS_HASH, canonicalJson, computeEventHash, type AuditEvent, type AuditInput } from './event.js';
import { InMemoryAuditStore } from './store.js';
import { verifyChain, verifyStoredChain } from './verify.js';

const base = (n: number, tenantId = 't-1'): AuditInput => ({
  tenantId,
  actor: { type: 'user', id: `u-${n % 3}`, role: 'investigator' },
  action: n % 2 ? 'incident.read' : 'share.view',
  target: { incidentId: `inc-${n}` },
  outcome: 'allowed',
  origin: { channel: 'api', ip: { hmac: 'AAAAAAAAAAAAAAAAAAAAAA', keyId: 'ipkey-1' } },
});

async function chainOf(n: number, tenantId = 't-1') {
  const store = new InMemoryAuditStore();
  const log = new AuditLog(store);
  for (let i = 1; i <= n; i++) await log.record(base(i, tenantId));
  const { events } = await store.list(tenantId, 1, 1000);
  return { store, log, events };
}

const rehash = (e: AuditEvent): AuditEvent => ({ ...e, hash: computeEventHash(e) });

describe('audit trail: recording', () => {
  it('chains events per tenant with seq, prevHash and a SHA-256 over canonical JSON', async () => {
    const { events } = await chainOf(3);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(events[0]?.prevHash).toBe(GENESIS_HASH);
    expect(events[1]?.prevHash).toBe(events[0]?.hash);
    expect(events[2]?.prevHash).toBe(events[1]?.hash);
    for (const e of events) {
      expect(e.hash).toBe(computeEventHash(e));
      expect(e.at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      expect(e.id).toBe(`ae-${String(e.seq).padStart(12, '0')}`);
    }
    expect(verifyChain(events)).toEqual({ ok: true, count: 3, head: { seq: 3, hash: events[2]?.hash } });
  });

  it('keeps independent chains per tenant', async () => {
    const store = new InMemoryAuditStore();
    const log = new AuditLog(store);
    await log.record(base(1, 't-a'));
    await log.record(base(2, 't-b'));
    await log.record(base(3, 't-a'));
    const a = (await store.list('t-a', 1, 10)).events;
    const b = (await store.list('t-b', 1, 10)).events;
    expect(a.map((e) => e.seq)).toEqual([1, 2]);
    expect(b.map((e) => e.seq)).toEqual([1]);
    expect(verifyChain(a).ok && verifyChain(b).ok).toBe(true);
    expect(verifyChain([...a, ...b]).ok).toBe(false);
  });

  it('canonical JSON makes the hash independent of key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, 'x'], c: null } })).toBe('{"a":{"c":null,"d":[1,"x"]},"b":1}');
    expect(canonicalJson({ a: 1, skip: undefined })).toBe('{"a":1}');
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(TypeError);
  });

  it('records a deletion certificate (ids and hashes) on deletion actions', async () => {
    const store = new InMemoryAuditStore();
    const e = await new AuditLog(store).record({
      tenantId: 't-1',
      actor: { type: 'system', id: 'retention' },
      action: 'retention.delete',
      target: { incidentId: 'inc-1' },
      outcome: 'succeeded',
      origin: { channel: 'orchestration' },
      deleted: [
        { kind: 'wrapped-key', id: 'inc-1' },
        { kind: 'blob', id: 'evidence/t-1/inc-1/ev-1', sha256: 'a'.repeat(64) },
      ],
    });
    expect(e.deleted).toHaveLength(2);
  });

  it.each([
    ['an e-mail address as actor id', { actor: { type: 'user', id: 'jane.doe@example.com' } }],
    ['a name with spaces as actor id', { actor: { type: 'user', id: 'Jane Doe' } }],
    ['free text as reason', { reason: 'Suspect is John Smith, 42' }],
    ['an unknown field', { notes: 'hello' }],
    ['an unknown action', { action: 'incident.export-everything' }],
    ['a raw IP in the origin', { origin: { channel: 'api', ip: '203.0.113.7' } }],
    ['a deletion certificate on a read', { deleted: [{ kind: 'blob', id: 'x' }] }],
  ])('refuses personal data or unknown content: %s', async (_name, patch) => {
    const log = new AuditLog(new InMemoryAuditStore());
    await expect(log.record({ ...base(1), ...patch } as AuditInput)).rejects.toBeInstanceOf(AuditWriteError);
  });

  it('throws AuditWriteError when the store fails, so the caller refuses the action', async () => {
    const store = new InMemoryAuditStore();
    store.beforeAppend = async () => {
      throw new Error('cosmos unavailable');
    };
    const log = new AuditLog(store);
    let actionPerformed = false;
    const guardedAction = async () => {
      await log.record(base(1));
      actionPerformed = true;
    };
    await expect(guardedAction()).rejects.toBeInstanceOf(AuditWriteError);
    expect(actionPerformed).toBe(false);
    expect(await store.head('t-1')).toBeUndefined();
  });
});

describe('audit trail: concurrent appends keep a single chain', () => {
  it('50 concurrent records in one process', async () => {
    const store = new InMemoryAuditStore();
    const log = new AuditLog(store);
    await Promise.all(Array.from({ length: 50 }, (_, i) => log.record(base(i))));
    const { events } = await store.list('t-1', 1, 1000);
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(verifyChain(events)).toMatchObject({ ok: true, count: 50 });
  });

  it('5 processes (separate AuditLog instances) appending concurrently to one store', async () => {
    const store = new InMemoryAuditStore();
    store.beforeAppend = () => new Promise((r) => setTimeout(r, Math.random() * 3));
    const logs = Array.from({ length: 5 }, () => new AuditLog(store, { maxAttempts: 100 }));
    await Promise.all(Array.from({ length: 60 }, (_, i) => logs[i % 5]!.record(base(i))));
    const { events } = await store.list('t-1', 1, 1000);
    expect(events).toHaveLength(60);
    expect(new Set(events.map((e) => e.seq)).size).toBe(60);
    expect(await verifyStoredChain(store, 't-1')).toMatchObject({ ok: true, count: 60 });
  });

  it('a stale writer is rejected by the head compare-and-set and retries on the new head', async () => {
    const store = new InMemoryAuditStore();
    const a = new AuditLog(store);
    const b = new AuditLog(store);
    await a.record(base(1)); // a caches head 1
    await b.record(base(2)); // b appends seq 2 behind a's back
    const e = await a.record(base(3)); // a's cached head is stale → conflict → re-read → seq 3
    expect(e.seq).toBe(3);
    expect(await verifyStoredChain(store, 't-1')).toMatchObject({ ok: true, count: 3 });
  });
});

describe('audit trail: tampering is detected at the tampered event', () => {
  it('a changed field (outcome denied → allowed) is detected at that event', async () => {
    const { events } = await chainOf(10);
    const tampered = events.map((e) => (e.seq === 6 ? { ...e, outcome: 'denied' as const } : e));
    expect(verifyChain(tampered)).toMatchObject({ ok: false, brokenAt: 6, reason: expect.stringMatching(/hash mismatch/) });
  });

  it('a changed field with a recomputed hash breaks the link at the next event', async () => {
    const { events } = await chainOf(10);
    const tampered = events.map((e) => (e.seq === 6 ? rehash({ ...e, actor: { type: 'user', id: 'u-other' } }) : e));
    expect(verifyChain(tampered)).toMatchObject({ ok: false, brokenAt: 7, reason: expect.stringMatching(/prevHash does not match the hash of event 6/) });
  });

  it('a deleted event is detected at its position', async () => {
    const { events } = await chainOf(10);
    expect(verifyChain(events.filter((e) => e.seq !== 4))).toMatchObject({ ok: false, brokenAt: 4, reason: expect.stringMatching(/missing event/) });
  });

  it('an inserted event is detected at the insertion point', async () => {
    const { events } = await chainOf(10);
    const prev = events[4]!; // seq 5
    // A forger who knows the scheme: right seq, right prevHash, valid own hash.
    const forged = rehash({ ...prev, seq: 6, id: 'ae-000000000006', prevHash: prev.hash, action: 'hold.lift' });
    const tampered = [...events.slice(0, 5), forged, ...events.slice(5)];
    // The forged event links to 5, but the original event 6 now sits where 7 is expected.
    expect(verifyChain(tampered)).toMatchObject({ ok: false, brokenAt: 7, reason: expect.stringMatching(/duplicate/) });
    // A naive insertion (no valid hash) is caught at the inserted event itself.
    const naive = [...events.slice(0, 5), { ...events[5]!, action: 'hold.lift' }, ...events.slice(5)];
    expect(verifyChain(naive)).toMatchObject({ ok: false, brokenAt: 6 });
  });

  it('reordered events are detected at the first moved event', async () => {
    const { events } = await chainOf(10);
    const swapped = [...events];
    [swapped[2], swapped[3]] = [swapped[3]!, swapped[2]!];
    expect(verifyChain(swapped)).toMatchObject({ ok: false, brokenAt: 3, reason: expect.stringMatching(/missing event: expected seq 3, found 4/) });
  });

  it('an event moved from another tenant is detected', async () => {
    const { events } = await chainOf(3);
    const other = (await chainOf(3, 't-2')).events;
    expect(verifyChain([events[0], other[1], events[2]])).toMatchObject({ ok: false, brokenAt: 2, reason: 'event belongs to another tenant' });
  });

  it('an unknown extra field is detected (strict schema)', async () => {
    const { events } = await chainOf(3);
    const tampered = events.map((e) => (e.seq === 2 ? { ...e, note: 'x' } : e));
    expect(verifyChain(tampered)).toMatchObject({ ok: false, brokenAt: 2, reason: expect.stringMatching(/invalid event/) });
  });

  it('stored-chain verification detects tampering in the store and a removed tail', async () => {
    const { store } = await chainOf(25);
    expect(await verifyStoredChain(store, 't-1', { pageSize: 7 })).toMatchObject({ ok: true, count: 25 });
    store.tamper('t-1', (es) => es.map((e) => (e.seq === 17 ? { ...e, target: { incidentId: 'inc-x' } } : e)));
    expect(await verifyStoredChain(store, 't-1', { pageSize: 7 })).toMatchObject({ ok: false, brokenAt: 17 });

    const fresh = await chainOf(5);
    const head = await fresh.store.head('t-1');
    fresh.store.tamper('t-1', (es) => es.slice(0, 3)); // newest two deleted
    expect(await verifyStoredChain(fresh.store, 't-1')).toMatchObject({ ok: false, brokenAt: 4, reason: expect.stringMatching(/expected head/) });
    expect(verifyChain((await fresh.store.list('t-1', 1, 10)).events, { expectedHead: head! })).toMatchObject({ ok: false });
  });

  it('verifies from a trusted anchor after audit retention removed a prefix', async () => {
    const { events } = await chainOf(10);
    const anchor = { seq: 4, hash: events[3]!.hash };
    expect(verifyChain(events.slice(4), { anchor })).toMatchObject({ ok: true, count: 6 });
    expect(verifyChain(events.slice(5), { anchor })).toMatchObject({ ok: false, brokenAt: 5 });
    expect(verifyChain(events.slice(4))).toMatchObject({ ok: false, brokenAt: 1 });
  });
});
