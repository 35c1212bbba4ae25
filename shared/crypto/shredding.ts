/**
 * Crypto-shredding: making an incident's ciphertexts permanently unreadable by destroying its
 * wrapped data key, independently of where copies of the ciphertext may survive (blob soft-delete,
 * snapshots, geo-replicas, exports someone kept).
 *
 * Order matters in the deletion orchestration: shred the key *first*, then delete blobs and
 * records; if a later step fails, everything left behind is already unreadable.
 *
 * Limits an auditor should know:
 * - Other processes may hold the unwrapped key in their {@link DataKeyService} cache for at most
 *   its TTL (default 5 minutes) after the shred.
 * - The wrapped key must not survive in a store the KEK can still reach: keep wrapped keys out of
 *   long-lived backups (or make backup retention shorter than the shortest retention period), and
 *   never log them.
 */
import type { DataKeyRef, DataKeyService } from './key-wrapper.js';

/** What {@link cryptoShred} needs. */
export interface CryptoShredDeps {
  dataKeys: DataKeyService;
  /**
   * Irrevocably deletes the stored wrapped data key of the incident (e.g. removes the field or
   * document in Cosmos). Must be idempotent: deleting an already deleted key succeeds.
   */
  destroyWrappedKey(ref: DataKeyRef): Promise<void>;
}

/**
 * Destroys an incident's data key: forgets cached copies, deletes the wrapped key, forgets again
 * (in case a concurrent open re-cached it meanwhile). Throws if the deletion fails; the caller
 * retries (the orchestration activity is idempotent).
 */
export async function cryptoShred(ref: DataKeyRef, deps: CryptoShredDeps): Promise<void> {
  deps.dataKeys.forget(ref);
  try {
    await deps.destroyWrappedKey(ref);
  } finally {
    deps.dataKeys.forget(ref);
  }
}
