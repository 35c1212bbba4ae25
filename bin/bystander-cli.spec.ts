import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuditLog, InMemoryAuditStore } from '../shared/audit/index.js';
import { createChainedAuditSink } from '../shared/adapters/azure/audit-sink.js';
import { IncidentRecordSchema, type IncidentRecord } from '../shared/domain/incident.js';
import type { KeyWrapper, WrappedKey } from '../shared/crypto/key-wrapper.js';
import { runAuditVerify } from '../cli/audit-verify.js';
import { runKeysRewrap } from '../cli/keys-rewrap.js';
import { parseArgs } from '../cli/main.js';
import { MemoryDocumentStore } from '../test/shares/fakes.js';

const root = join(import.meta.dirname, '..');

async function chain(store: InMemoryAuditStore, tenantId: string, n: number) {
  const sink = createChainedAuditSink(new AuditLog(store), { id: 'k1', key: randomBytes(32) });
  for (let i = 0; i < n; i++) await sink.record({ tenantId, actor: { type: 'system', id: 'test' }, action: 'incident.read', target: { incidentId: `inc-${i}` }, outcome: 'allowed' });
}

describe('bystander audit verify', () => {
  it('reports every intact chain with exit code 0, and the first broken link (seq) with exit code 1', async () => {
    const store = new InMemoryAuditStore();
    await chain(store, 't1', 5);
    await chain(store, 't2', 3);
    const lines: string[] = [];
    expect(await runAuditVerify(store, ['t1', 't2'], (l) => lines.push(l))).toBe(0);
    expect(lines[0]).toMatch(/^ok\s+t1: 5 events, head seq 5/);

    store.tamper('t1', (events) => events.map((e) => (e.seq === 3 ? { ...e, outcome: 'denied' as const } : e)));
    lines.length = 0;
    expect(await runAuditVerify(store, ['t1', 't2'], (l) => lines.push(l))).toBe(1);
    expect(lines[0]).toMatch(/^BROKEN\s+t1: first broken link at seq 3 — hash mismatch/);
    expect(lines[1]).toMatch(/^ok\s+t2/);
  });

  it('parses only the documented arguments', () => {
    expect(parseArgs(['audit', 'verify'])).toEqual({ command: 'audit-verify' });
    expect(parseArgs(['audit', 'verify', '--tenant', 't-1'])).toEqual({ command: 'audit-verify', tenant: 't-1' });
    expect(parseArgs(['audit', 'verify', '--tenant', 'a b'])).toEqual({ command: 'usage' });
    expect(parseArgs(['keys', 'rewrap'])).toEqual({ command: 'keys-rewrap' });
    expect(parseArgs(['keys'])).toEqual({ command: 'usage' });
  });

  it('the bin dispatcher prints usage and exits 2 on a bad command', () => {
    const res = spawnSync(process.execPath, [join(root, 'bin/bystander.mjs'), 'audit', 'nonsense'], { encoding: 'utf8', timeout: 60_000 });
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(/audit verify/);
  });
});

/** Two KEK versions of a toy wrapper (XOR with a per-version pad). */
function toyKek() {
  const pads: Record<string, Buffer> = { 'test:kek/v1': randomBytes(32), 'test:kek/v2': randomBytes(32) };
  let current = 'test:kek/v1';
  const xor = (b: Buffer, pad: Buffer) => Buffer.from(b.map((x, i) => x ^ pad[i]!));
  const wrapper: KeyWrapper = {
    async wrap(key) {
      return { keyId: current, algorithm: 'RSA-OAEP-256', wrapped: xor(key, pads[current]!).toString('base64url') };
    },
    async unwrap(w: WrappedKey) {
      return xor(Buffer.from(w.wrapped, 'base64url'), pads[w.keyId]!);
    },
    async currentKeyId() {
      return current;
    },
  };
  return { wrapper, rotate: () => (current = 'test:kek/v2') };
}

describe('bystander keys rewrap', () => {
  it('re-wraps old data keys with the current KEK version (same data key), audits each, leaves current ones', async () => {
    const kek = toyKek();
    const incidents = new MemoryDocumentStore<IncidentRecord>(IncidentRecordSchema);
    const keys = [randomBytes(32), randomBytes(32)];
    const base: Omit<IncidentRecord, 'id' | 'tenantId'> = { geography: 'local', storeId: 's', occurredAt: '2027-01-01T00:00:00.000Z', category: 'theft', outcome: 'none', description: 'bf1.xxxxxxxxxxxxxxxx.yyyyyyyyyyyyyyyyyyyyyy', evidence: [], createdAt: 'x', createdBy: 'u', updatedAt: 'x' };
    await incidents.create({ ...base, id: 'i-1', tenantId: 't1', dataKey: await kek.wrapper.wrap(keys[0]!) });
    kek.rotate();
    await incidents.create({ ...base, id: 'i-2', tenantId: 't1', dataKey: await kek.wrapper.wrap(keys[1]!) });
    const store = new InMemoryAuditStore();
    const audit = createChainedAuditSink(new AuditLog(store), { id: 'k1', key: randomBytes(32) });
    const lines: string[] = [];
    const { summary, exitCode } = await runKeysRewrap({ incidents, wrapper: kek.wrapper, audit }, [{ tenantId: 't1', id: 'i-1' }, { tenantId: 't1', id: 'i-2' }], (l) => lines.push(l));
    expect(exitCode).toBe(0);
    expect(summary).toMatchObject({ currentKeyId: 'test:kek/v2', examined: 2, rewrapped: 1, alreadyCurrent: 1, failed: [] });
    const rewrapped = (await incidents.get('t1', 'i-1'))!.doc.dataKey!;
    expect(rewrapped.keyId).toBe('test:kek/v2');
    expect(await kek.wrapper.unwrap(rewrapped)).toEqual(keys[0]);
    const events = (await store.list('t1', 1, 100)).events;
    expect(events.map((e) => [e.action, e.target.incidentId, e.origin.channel])).toEqual([['key.rewrap', 'i-1', 'cli']]);
    expect(lines[0]).toMatch(/re-wrapped 1/);
  });
});
