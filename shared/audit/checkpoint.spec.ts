import { mkdtemp, readFile, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuditLog } from './audit-log.js';
import { computeEventHash, type AuditEvent, type AuditInput } from './event.js';
import { InMemoryAuditStore } from './store.js';
import { verifyChain, verifyStoredChain } from './verify.js';
import { checkpointChains, type Checkpoint } from './checkpoint.js';
import { FileCheckpointStore } from '../adapters/local-audit/file-checkpoint-store.js';

const input = (n: number, tenantId = 't-1'): AuditInput => ({
  tenantId,
  actor: { type: 'user', id: `u-${n}`, role: 'investigator' },
  action: 'evidence.read',
  target: { incidentId: `inc-${n}` },
  outcome: 'allowed',
  origin: { channel: 'api' },
});
const clock = { now: () => new Date('2026-11-20T09:00:00.000Z') };

async function chain(n: number) {
  const store = new InMemoryAuditStore();
  const log = new AuditLog(store, { clock });
  for (let i = 1; i <= n; i++) await log.record(input(i));
  return { store, log };
}

async function fileStore() {
  return new FileCheckpointStore(join(await mkdtemp(join(tmpdir(), 'bystander-cp-')), 'audit', 'checkpoints.ndjson'));
}

describe('audit chain checkpoints', () => {
  it('checkpoints each tenant head that moved, once', async () => {
    const { store, log } = await chain(3);
    await log.record(input(1, 't-2'));
    const cps = await fileStore();
    expect((await checkpointChains(store, cps, clock)).map((c) => [c.tenantId, c.seq])).toEqual([['t-1', 3], ['t-2', 1]]);
    expect(await checkpointChains(store, cps, clock)).toEqual([]); // nothing moved
    await log.record(input(4));
    expect((await checkpointChains(store, cps, clock)).map((c) => [c.tenantId, c.seq])).toEqual([['t-1', 4]]);
    expect((await cps.list('t-1')).map((c) => c.seq)).toEqual([3, 4]);
    expect((await cps.latest('t-1'))?.hash).toBe((await store.head('t-1'))?.hash);
    expect(await cps.tenants()).toEqual(['t-1', 't-2']);
  });

  it('a chain that lost its tail (crash, deletion) verifies against itself, but not against its last checkpoint', async () => {
    const { store } = await chain(6);
    const cps = await fileStore();
    await checkpointChains(store, cps, clock);
    store.tamper('t-1', (es) => es.slice(0, 4)); // events 5 and 6 gone
    const events = (await store.list('t-1', 1, 100)).events;
    expect(verifyChain(events)).toMatchObject({ ok: true, count: 4 }); // what verify said before
    const result = verifyChain(events, { checkpoints: await cps.list('t-1') });
    expect(result).toMatchObject({ ok: false, brokenAt: 5, reason: expect.stringMatching(/chain ends at seq 4, before its last checkpoint \(seq 6/) });
    // The checkpointer never moves the anchor back over a shorter chain.
    const logged: string[] = [];
    const logger = { info() {}, warn() {}, error: (m: string, f?: Record<string, unknown>) => void logged.push(`${m} ${JSON.stringify(f)}`) };
    const shorter = new InMemoryAuditStore(); // a store whose head is seq 4 (as Cosmos reports it after the loss)
    let head;
    for (const e of events) head = await shorter.append(e, head);
    expect(await checkpointChains(shorter, cps, clock, logger)).toEqual([]);
    expect(logged.join()).toMatch(/audit-chain-truncated/);
  });

  it('a tail rewritten with valid hashes (sequence numbers reused after a loss) forks from the checkpoint', async () => {
    const { store } = await chain(6);
    const cps = await fileStore();
    await checkpointChains(store, cps, clock);
    // Events 5 and 6 lost, then two other events took their sequence numbers: a perfectly linked chain.
    store.tamper('t-1', (es) => {
      const kept = es.slice(0, 4);
      let prev = kept.at(-1)!;
      for (const seq of [5, 6]) {
        const body = { ...prev, seq, id: `ae-${String(seq).padStart(12, '0')}`, prevHash: prev.hash, target: { incidentId: `other-${seq}` } };
        prev = { ...body, hash: computeEventHash(body) } as AuditEvent;
        kept.push(prev);
      }
      return kept;
    });
    const events = (await store.list('t-1', 1, 100)).events;
    expect(verifyChain(events)).toMatchObject({ ok: true, count: 6 });
    expect(verifyChain(events, { checkpoints: await cps.list('t-1') })).toMatchObject({
      ok: false,
      brokenAt: 6,
      reason: expect.stringMatching(/forks from the checkpoint at seq 6/),
    });
  });

  it('checkpoints behind a retention anchor are not required; a chain gone entirely is reported', async () => {
    const { store } = await chain(3);
    const cps = await fileStore();
    await checkpointChains(store, cps, clock);
    const empty = new InMemoryAuditStore();
    expect(await verifyStoredChain(empty, 't-1', { checkpoints: await cps.list('t-1') })).toMatchObject({ ok: false, brokenAt: 1 });
  });

  it('the checkpoint file: write-once per (tenant, seq), fsynced lines, a torn last line ignored, a corrupt line refused', async () => {
    const cps = await fileStore();
    const cp: Checkpoint = { tenantId: 't-1', seq: 2, hash: 'a'.repeat(64), at: '2026-11-20T09:00:00.000Z' };
    await cps.put(cp);
    await cps.put({ ...cp, hash: 'b'.repeat(64) }); // same seq: the first stays
    expect(await cps.list('t-1')).toEqual([cp]);
    await appendFile(cps.file, '{"tenantId":"t-1","se'); // crash mid-write
    expect(await cps.list('t-1')).toEqual([cp]);
    await writeFile(cps.file, `${(await readFile(cps.file, 'utf8')).split('\n')[0]}\nnot json\n${JSON.stringify({ ...cp, seq: 3 })}\n`);
    await expect(cps.list('t-1')).rejects.toThrow(/line 2 .* is not a checkpoint/);
    await expect(cps.put({ ...cp, tenantId: 'has space' })).rejects.toThrow();
  });
});
