import { appendFile, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuditLog } from '../../audit/audit-log.js';
import type { AuditEvent, AuditInput } from '../../audit/event.js';
import { InMemoryAuditStore } from '../../audit/store.js';
import { verifyStoredChain } from '../../audit/verify.js';
import { JournaledAuditStore } from './journaled-audit-store.js';

const input = (n: number, tenantId = 't-1'): AuditInput => ({
  tenantId,
  actor: { type: 'user', id: `u-${n}` },
  action: 'evidence.read',
  target: { incidentId: `inc-${n}` },
  outcome: 'allowed',
  origin: { channel: 'api' },
});

/** An in-memory store holding the first `n` events of `events` (what the emulator's last snapshot had). */
async function storeWith(events: AuditEvent[], n: number) {
  const store = new InMemoryAuditStore();
  let head;
  for (const e of events.slice(0, n)) head = await store.append(e, head);
  return store;
}

async function journalFile() {
  return join(await mkdtemp(join(tmpdir(), 'bystander-journal-')), 'audit', 'journal.ndjson');
}

describe('JournaledAuditStore (the local stack\'s durable audit trail)', () => {
  it('an appended event is on disk when append returns', async () => {
    const file = await journalFile();
    const store = new JournaledAuditStore(new InMemoryAuditStore(), file);
    const log = new AuditLog(store);
    const e = await log.record(input(1));
    const lines = (await readFile(file, 'utf8')).trim().split('\n');
    expect(lines.map((l) => JSON.parse(l))).toEqual([e]);
    await store.close();
  });

  it('restore puts back what the store lost; the next event takes the next seq (none reused)', async () => {
    const file = await journalFile();
    const inner = new InMemoryAuditStore();
    const before = new JournaledAuditStore(inner, file);
    const log = new AuditLog(before);
    for (let i = 1; i <= 5; i++) await log.record(input(i));
    await log.record(input(1, 't-2'));
    await before.close();
    const all = (await inner.list('t-1', 1, 100)).events;

    // The emulator restarted from a snapshot that had only 2 events of t-1 and none of t-2.
    const lost = await storeWith(all, 2);
    const after = new JournaledAuditStore(lost, file);
    expect(await after.restore()).toEqual({ restored: 4, conflicts: [] });
    expect((await lost.list('t-1', 1, 100)).events).toEqual(all);
    expect(await verifyStoredChain(lost, 't-1')).toMatchObject({ ok: true, count: 5 });
    expect((await lost.head('t-2'))?.seq).toBe(1);
    const next = await new AuditLog(after).record(input(6));
    expect(next.seq).toBe(6);
    expect(await after.restore()).toEqual({ restored: 0, conflicts: [] }); // idempotent
    await after.close();
  });

  it('a torn last line (crash mid-write) is skipped; an event that does not chain from the store is reported, not forced in', async () => {
    const file = await journalFile();
    const inner = new InMemoryAuditStore();
    const j = new JournaledAuditStore(inner, file);
    const log = new AuditLog(j);
    for (let i = 1; i <= 3; i++) await log.record(input(i));
    await j.close();
    await appendFile(file, '{"v":1,"id":"ae-0000000');
    const all = (await inner.list('t-1', 1, 100)).events;

    // The store went on without the journal: a different event 2 (another writer's history).
    const other = new InMemoryAuditStore();
    const otherLog = new AuditLog(other);
    await other.append(all[0]!, undefined);
    await otherLog.record(input(99));
    const restored = await new JournaledAuditStore(other, file).restore();
    expect(restored).toEqual({ restored: 0, conflicts: [{ tenantId: 't-1', seq: 3 }] });
    expect((await other.head('t-1'))?.seq).toBe(2);
  });
});
