import { mkdir, open, readFile, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConflictError, type Logger } from '../../ports/index.js';
import { AuditEventSchema, GENESIS_HASH, type AuditEvent } from '../../audit/event.js';
import type { AuditPage, AuditStore, ChainHead } from '../../audit/store.js';

/**
 * The local stack's durable audit trail. The Cosmos DB emulator keeps its documents in memory and
 * the stack snapshots them only every 15 s, so an access audited there and served just before a
 * crash would vanish, and its sequence number would be reused by the next event. This store puts
 * every appended event, after the emulator accepted it (compare-and-set on the head, so no fork),
 * on one line of an append-only journal file and fsyncs it before `append` returns — so before the
 * caller serves a byte. At start `restore()` puts back every journaled event the emulator lost.
 * Azure needs none of this: a Cosmos DB write is durable when it is acknowledged.
 */
export class JournaledAuditStore implements AuditStore {
  private handle: Promise<FileHandle> | undefined;
  private writes: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly inner: AuditStore,
    readonly file: string,
    private readonly logger?: Logger,
  ) {}

  head(tenantId: string): Promise<ChainHead | undefined> {
    return this.inner.head(tenantId);
  }

  list(tenantId: string, fromSeq: number, limit: number): Promise<AuditPage> {
    return this.inner.list(tenantId, fromSeq, limit);
  }

  tenants(): Promise<string[]> {
    return this.inner.tenants();
  }

  async append(event: AuditEvent, expected: ChainHead | undefined): Promise<ChainHead> {
    const head = await this.inner.append(event, expected);
    await this.journal(event); // a failure here throws: the caller refuses the action
    return head;
  }

  private journal(event: AuditEvent): Promise<void> {
    const line = `${JSON.stringify(event)}\n`;
    const run = this.writes.then(async () => {
      this.handle ??= mkdir(dirname(this.file), { recursive: true }).then(() => open(this.file, 'a', 0o600));
      const fh = await this.handle;
      await fh.appendFile(line, 'utf8');
      await fh.datasync();
    });
    this.writes = run.catch(() => undefined);
    return run;
  }

  /** The journaled events, by tenant in seq order (a torn last line from a crash mid-write is skipped). */
  async journaled(): Promise<Map<string, AuditEvent[]>> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      throw err;
    }
    const lines = text.split('\n');
    const byTenant = new Map<string, Map<number, AuditEvent>>();
    lines.forEach((line, i) => {
      if (!line) return;
      let parsed: AuditEvent;
      try {
        parsed = AuditEventSchema.parse(JSON.parse(line));
      } catch {
        if (i < lines.length - 1 && lines.slice(i + 1).some(Boolean)) this.logger?.error('audit journal: unreadable line skipped', { line: i + 1 }); // local stack only: no Azure alert rule
        return;
      }
      const events = byTenant.get(parsed.tenantId) ?? new Map<number, AuditEvent>();
      events.set(parsed.seq, parsed);
      byTenant.set(parsed.tenantId, events);
    });
    return new Map([...byTenant].map(([t, m]) => [t, [...m.values()].sort((a, b) => a.seq - b.seq)]));
  }

  /**
   * Appends to the inner store every journaled event it lacks (after its head, chaining from it).
   * A journaled event that does not chain from the store's head is not forced in: it is reported
   * (the store and the journal disagree; `audit verify` against the checkpoints tells which is right).
   */
  async restore(): Promise<{ restored: number; conflicts: Array<{ tenantId: string; seq: number }> }> {
    let restored = 0;
    const conflicts: Array<{ tenantId: string; seq: number }> = [];
    for (const [tenantId, events] of await this.journaled()) {
      let head = await this.inner.head(tenantId);
      for (const e of events) {
        if (e.seq <= (head?.seq ?? 0)) continue;
        if (e.seq !== (head?.seq ?? 0) + 1 || e.prevHash !== (head?.hash ?? GENESIS_HASH)) {
          conflicts.push({ tenantId, seq: e.seq });
          this.logger?.error('audit journal does not chain from the store', { tenantId, seq: e.seq, storeSeq: head?.seq ?? 0 });
          break;
        }
        try {
          head = await this.inner.append(e, head);
          restored++;
        } catch (err) {
          if (!(err instanceof ConflictError)) throw err;
          conflicts.push({ tenantId, seq: e.seq });
          break;
        }
      }
    }
    if (restored) this.logger?.info('audit events restored from the local journal', { events: restored });
    return { restored, conflicts };
  }

  async close(): Promise<void> {
    await this.writes;
    const h = this.handle;
    this.handle = undefined;
    if (h) await (await h).close();
  }
}
