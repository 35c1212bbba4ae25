/**
 * AuditStore port: where a tenant's hash chain is kept.
 *
 * Required semantics (any implementation):
 * 1. `append(event, expected)` is a compare-and-set on the tenant's chain head: it succeeds only if
 *    the current head is still `expected` (undefined = empty chain), and then atomically stores the
 *    event and moves the head to `{ seq: event.seq, hash: event.hash }`. Otherwise it throws
 *    ConflictError and stores nothing. Two events with the same (tenantId, seq) must be impossible.
 * 2. Events are immutable: no update or delete API (audit retention is a separate, audited job that
 *    removes a prefix of the chain and keeps the last removed hash as a verification anchor).
 * 3. `list` returns events in ascending seq order.
 *
 * Cosmos DB recipe (container `audit`, partition key `/tenantId`, no TTL shorter than audit
 * retention): event documents use `id = event.id` (derived from seq); one head document per
 * tenant `{ id: "head", tenantId, seq, hash }`. `append` runs one transactional batch in the
 * tenant's partition: `Create(event)` + (`expected` ? `Replace(head, ifMatch: expected.etag)` :
 * `Create(head)`). A 409/412 maps to ConflictError. `head()` reads the head document (with its
 * ETag); `list` queries `c.tenantId = @t AND c.seq >= @from ORDER BY c.seq` excluding the head and
 * strips Cosmos system properties (`_rid`, `_etag`, …) before returning (the schema is strict).
 */
import { ConflictError } from '../ports/index.js';
import type { AuditEvent } from './event.js';

/** The last event of a tenant's chain. `etag` is opaque concurrency state of the store. */
export interface ChainHead {
  seq: number;
  hash: string;
  etag?: string;
}

/** One page of a tenant's chain. */
export interface AuditPage {
  events: AuditEvent[];
  /** seq to continue from, absent at the end of the chain. */
  nextSeq?: number;
}

/** Port: persistent, append-only, per-tenant audit chain. See the module doc for semantics. */
export interface AuditStore {
  head(tenantId: string): Promise<ChainHead | undefined>;
  /** Appends iff the head is still `expected`; returns the new head. @throws ConflictError */
  append(event: AuditEvent, expected: ChainHead | undefined): Promise<ChainHead>;
  list(tenantId: string, fromSeq: number, limit: number): Promise<AuditPage>;
  /** Every tenant with a chain (verification and checkpoints walk them all). */
  tenants(): Promise<string[]>;
}

/**
 * In-memory AuditStore for unit tests and the embedded stack's tests (not durable). Deep-copies on
 * the way in and out so callers cannot mutate stored events; `tamper` exists for tests only.
 */
export class InMemoryAuditStore implements AuditStore {
  private readonly chains = new Map<string, { events: AuditEvent[]; head: ChainHead }>();
  private etagCounter = 0;
  /** Optional hook to inject latency or failures (tests). */
  beforeAppend: ((event: AuditEvent) => Promise<void>) | undefined;

  async head(tenantId: string): Promise<ChainHead | undefined> {
    const chain = this.chains.get(tenantId);
    return chain ? { ...chain.head } : undefined;
  }

  async append(event: AuditEvent, expected: ChainHead | undefined): Promise<ChainHead> {
    await this.beforeAppend?.(event);
    const chain = this.chains.get(event.tenantId);
    const current = chain?.head;
    if (current === undefined ? expected !== undefined : expected === undefined || expected.etag !== current.etag) {
      throw new ConflictError('audit chain head moved');
    }
    if (event.seq !== (current?.seq ?? 0) + 1) throw new ConflictError('audit seq is not the successor of the head');
    const head: ChainHead = { seq: event.seq, hash: event.hash, etag: `"${++this.etagCounter}"` };
    const stored = structuredClone(event);
    if (chain) {
      chain.events.push(stored);
      chain.head = head;
    } else {
      this.chains.set(event.tenantId, { events: [stored], head });
    }
    return { ...head };
  }

  async list(tenantId: string, fromSeq: number, limit: number): Promise<AuditPage> {
    const events = this.chains.get(tenantId)?.events ?? [];
    const page = events.filter((e) => e.seq >= fromSeq).slice(0, limit);
    const last = page.at(-1);
    const more = last !== undefined && events.some((e) => e.seq > last.seq);
    return { events: structuredClone(page), ...(more && last ? { nextSeq: last.seq + 1 } : {}) };
  }

  async tenants(): Promise<string[]> {
    return [...this.chains.keys()].sort();
  }

  /** Test helper: direct access to the stored array, to simulate an attacker with DB access. */
  tamper(tenantId: string, fn: (events: AuditEvent[]) => AuditEvent[]): void {
    const chain = this.chains.get(tenantId);
    if (chain) chain.events = fn(chain.events);
  }
}
