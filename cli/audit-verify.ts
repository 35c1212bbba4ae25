import { verifyStoredChain, type AuditStore, type VerifyResult } from '../shared/audit/index.js';

/** One line per tenant; exit code 0 when every chain verifies, 1 at the first broken link of any. */
export async function runAuditVerify(store: AuditStore, tenants: string[], out: (line: string) => void): Promise<number> {
  if (tenants.length === 0) {
    out('no audit events found');
    return 0;
  }
  let broken = 0;
  for (const tenantId of tenants) {
    const result: VerifyResult = await verifyStoredChain(store, tenantId);
    if (result.ok) {
      out(`ok      ${tenantId}: ${result.count} events${result.head ? `, head seq ${result.head.seq} ${result.head.hash.slice(0, 16)}…` : ''}`);
    } else {
      broken++;
      out(`BROKEN  ${tenantId}: first broken link at seq ${result.brokenAt} — ${result.reason} (${result.count} events verified before it)`);
    }
  }
  return broken === 0 ? 0 : 1;
}
