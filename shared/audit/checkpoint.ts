/**
 * Chain-head checkpoints: the tenant's head `(seq, hash)` copied periodically OUTSIDE the chain, to
 * storage nobody can rewrite (Blob version-level immutability in Azure; an fsynced append-only file
 * locally). The chain alone cannot show that its newest events were removed, or that the tail was
 * rewritten from some point on with valid hashes (a store that lost events reuses their sequence
 * numbers, which looks exactly like that); against a checkpoint, `bystander audit verify` reports a
 * chain that ends before its last checkpoint, or that forks from one.
 */
import { z } from 'zod';
import type { Clock, Logger } from '../ports/index.js';
import { OpaqueId, UtcIso } from './event.js';
import type { AuditStore } from './store.js';

export const CheckpointSchema = z.strictObject({
  tenantId: OpaqueId,
  seq: z.number().int().min(1),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  /** When the checkpoint was taken. */
  at: UtcIso,
});
export type Checkpoint = z.infer<typeof CheckpointSchema>;

/** Port: write-once storage for checkpoints (nothing here can update or delete one). */
export interface CheckpointStore {
  /** Stores one checkpoint; a checkpoint of the same tenant and seq already stored is left as it is. */
  put(checkpoint: Checkpoint): Promise<void>;
  /** A tenant's checkpoints in ascending seq. */
  list(tenantId: string): Promise<Checkpoint[]>;
  /** A tenant's newest checkpoint. */
  latest(tenantId: string): Promise<Checkpoint | undefined>;
  /** Every tenant with a checkpoint. */
  tenants(): Promise<string[]>;
}

/** How often heads are checkpointed: the Azure timer (NCRONTAB, every 5 minutes) and the local stack (ms). */
export const CHECKPOINT_SCHEDULE = '0 */5 * * * *';
export const LOCAL_CHECKPOINT_MS = 10_000;

/**
 * Checkpoints the head of every tenant whose chain moved since its last checkpoint.
 * @returns the checkpoints written.
 */
export async function checkpointChains(
  store: Pick<AuditStore, 'head' | 'tenants'>,
  checkpoints: CheckpointStore,
  clock: Clock,
  logger?: Logger,
): Promise<Checkpoint[]> {
  const written: Checkpoint[] = [];
  for (const tenantId of await store.tenants()) {
    const head = await store.head(tenantId);
    if (!head) continue;
    const last = await checkpoints.latest(tenantId);
    if (last && last.seq === head.seq && last.hash === head.hash) continue;
    if (last && last.seq > head.seq) {
      // The chain is shorter than it was: never checkpoint over that (verify reports it).
      logger?.error('audit chain ends before its last checkpoint', { alert: 'audit-chain-truncated', tenantId, seq: head.seq, checkpointSeq: last.seq });
      continue;
    }
    const checkpoint: Checkpoint = { tenantId, seq: head.seq, hash: head.hash, at: clock.now().toISOString() };
    await checkpoints.put(checkpoint);
    written.push(checkpoint);
  }
  return written;
}
