/**
 * Verification of a tenant's audit hash chain (what `bystander audit verify` runs).
 *
 * Checks, event by event in order: strict schema, tenant, `seq` = previous + 1 (gaps, deletions,
 * duplicates and reordering), `prevHash` = previous event's `hash` (links), and `hash` = recomputed
 * hash (content). It stops at the first broken link and reports its position.
 *
 * What it proves: no event inside the verified range was changed, removed, inserted or moved
 * without rewriting every later event. A writer who can rewrite the whole tail, or delete the
 * newest events, is caught only against an external anchor: pass `expectedHead` (e.g. the
 * head hash periodically copied to immutable storage) and `anchor` when an old prefix was removed
 * by audit retention. `checkpoints` (checkpoint.ts) are such copies: the chain must hold every
 * checkpointed (seq, hash) — a different hash there is a fork, a chain ending before the last
 * checkpoint lost its tail.
 */
import { timingSafeEqual } from 'node:crypto';
import { AuditEventSchema, GENESIS_HASH, computeEventHash, type AuditEvent } from './event.js';
import type { AuditStore, ChainHead } from './store.js';
import type { Checkpoint } from './checkpoint.js';

/** Result of a verification. `brokenAt` is the seq position of the first event that fails. */
export type VerifyResult =
  | { ok: true; count: number; head: { seq: number; hash: string } | undefined }
  | { ok: false; brokenAt: number; reason: string; count: number };

/** Options for verification. */
export interface VerifyOptions {
  /** Require every event to belong to this tenant. */
  tenantId?: string;
  /** Trusted last event before the first one given (after audit retention removed a prefix). */
  anchor?: { seq: number; hash: string };
  /** Trusted head (seq and hash) the chain must end at (detects a removed tail). */
  expectedHead?: { seq: number; hash: string };
  /** Heads copied outside the chain (checkpoint.ts): the chain must pass through each and not end before the last. */
  checkpoints?: Pick<Checkpoint, 'seq' | 'hash' | 'at'>[];
}

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Incremental verifier: feed events in order with `push`, read the outcome with `result`. */
export class ChainVerifier {
  private expectedSeq: number;
  private prevHash: string;
  private tenantId: string | undefined;
  private count = 0;
  private failure: Extract<VerifyResult, { ok: false }> | undefined;
  private readonly checkpoints: Map<number, Pick<Checkpoint, 'seq' | 'hash' | 'at'>>;
  private readonly lastCheckpoint: Pick<Checkpoint, 'seq' | 'hash' | 'at'> | undefined;

  constructor(private readonly options: VerifyOptions = {}) {
    this.expectedSeq = (options.anchor?.seq ?? 0) + 1;
    this.prevHash = options.anchor?.hash ?? GENESIS_HASH;
    this.tenantId = options.tenantId;
    const after = (options.checkpoints ?? []).filter((c) => c.seq >= this.expectedSeq);
    this.checkpoints = new Map(after.map((c) => [c.seq, c]));
    this.lastCheckpoint = after.reduce<Pick<Checkpoint, 'seq' | 'hash' | 'at'> | undefined>((a, c) => (!a || c.seq > a.seq ? c : a), undefined);
  }

  /** Checks the next event; returns false once the chain is broken (later events are ignored). */
  push(raw: unknown): boolean {
    if (this.failure) return false;
    const fail = (reason: string): boolean => {
      this.failure = { ok: false, brokenAt: this.expectedSeq, reason, count: this.count };
      return false;
    };
    const parsed = AuditEventSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return fail(`invalid event (${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'schema'})`);
    }
    const e: AuditEvent = parsed.data;
    this.tenantId ??= e.tenantId;
    if (e.tenantId !== this.tenantId) return fail('event belongs to another tenant');
    if (e.seq !== this.expectedSeq) {
      return fail(
        e.seq > this.expectedSeq
          ? `missing event: expected seq ${this.expectedSeq}, found ${e.seq}`
          : `out-of-order or duplicate event: expected seq ${this.expectedSeq}, found ${e.seq}`,
      );
    }
    if (!sameHash(e.hash, computeEventHash(e))) return fail('hash mismatch: event content was altered');
    if (!sameHash(e.prevHash, this.prevHash)) return fail(`broken link: prevHash does not match the hash of event ${e.seq - 1}`);
    const checkpoint = this.checkpoints.get(e.seq);
    if (checkpoint && !sameHash(e.hash, checkpoint.hash)) {
      return fail(`forks from the checkpoint at seq ${e.seq} (taken ${checkpoint.at}): the event there now has another hash`);
    }
    this.prevHash = e.hash;
    this.expectedSeq++;
    this.count++;
    return true;
  }

  result(): VerifyResult {
    if (this.failure) return this.failure;
    const lastSeq = this.expectedSeq - 1;
    const head = lastSeq === 0 ? undefined : { seq: lastSeq, hash: this.prevHash };
    const cp = this.lastCheckpoint;
    if (cp && lastSeq < cp.seq) {
      return { ok: false, brokenAt: lastSeq + 1, reason: `chain ends at seq ${lastSeq}, before its last checkpoint (seq ${cp.seq}, taken ${cp.at}): events were lost or removed`, count: this.count };
    }
    const want = this.options.expectedHead;
    if (want && (head?.seq !== want.seq || !sameHash(head.hash, want.hash))) {
      return {
        ok: false,
        brokenAt: Math.min(lastSeq + 1, want.seq),
        reason: `chain does not end at the expected head (seq ${want.seq}); found ${lastSeq}`,
        count: this.count,
      };
    }
    return { ok: true, count: this.count, head };
  }
}

/** Verifies events given in chain order. */
export function verifyChain(events: Iterable<unknown>, options: VerifyOptions = {}): VerifyResult {
  const v = new ChainVerifier(options);
  for (const e of events) if (!v.push(e)) break;
  return v.result();
}

/**
 * Verifies a tenant's stored chain page by page (constant memory) and checks that it ends at the
 * store's head (or at `options.expectedHead` when given, e.g. an externally anchored head).
 */
export async function verifyStoredChain(
  store: AuditStore,
  tenantId: string,
  options: Omit<VerifyOptions, 'tenantId'> & { pageSize?: number } = {},
): Promise<VerifyResult> {
  const head: ChainHead | undefined = options.expectedHead ?? (await store.head(tenantId));
  const v = new ChainVerifier({ ...options, tenantId, ...(head ? { expectedHead: { seq: head.seq, hash: head.hash } } : {}) });
  let from: number | undefined = (options.anchor?.seq ?? 0) + 1;
  while (from !== undefined) {
    const page = await store.list(tenantId, from, options.pageSize ?? 500);
    for (const e of page.events) if (!v.push(e)) return v.result();
    from = page.nextSeq;
  }
  return v.result();
}
