import { verifyStoredChain, type AuditStore, type CheckpointStore, type VerifyResult } from '../shared/audit/index.js';

/**
 * One line per tenant; exit code 0 when every chain verifies, 1 at the first broken link of any.
 * With `checkpoints`, each chain must also pass through every checkpointed head and must not end
 * before the last one (a lost or removed tail, a rewritten tail, reused sequence numbers).
 */
export async function runAuditVerify(store: AuditStore, tenants: string[], out: (line: string) => void, checkpoints?: CheckpointStore): Promise<number> {
  if (tenants.length === 0) {
    out('no audit events found');
    return 0;
  }
  let broken = 0;
  for (const tenantId of tenants) {
    const anchors = checkpoints ? await checkpoints.list(tenantId) : [];
    const result: VerifyResult = await verifyStoredChain(store, tenantId, { checkpoints: anchors });
    const last = anchors.at(-1);
    if (result.ok) {
      out(
        `ok      ${tenantId}: ${result.count} events${result.head ? `, head seq ${result.head.seq} ${result.head.hash.slice(0, 16)}…` : ''}` +
          (checkpoints ? (last ? `, last checkpoint seq ${last.seq} (${last.at})` : ', no checkpoint yet') : ''),
      );
    } else {
      broken++;
      out(`BROKEN  ${tenantId}: first broken link at seq ${result.brokenAt} — ${result.reason} (${result.count} events verified before it)`);
    }
  }
  return broken === 0 ? 0 : 1;
}
