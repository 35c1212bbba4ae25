import type { IncidentRecord } from '../shared/domain/incident.js';
import { rewrapAll, type KeyWrapper, type RewrapSummary } from '../shared/crypto/key-wrapper.js';
import type { AuditSink, DocumentStore, Versioned } from '../shared/ports/index.js';

/**
 * KEK rotation: re-wraps every incident's data key that is not wrapped with the current KEK version.
 * Reads and writes the raw record store (only `dataKey` changes: no field is decrypted, and a re-wrap
 * is not a business change, so it is not a record version). Each re-wrap is audited (`key.rewrap`)
 * before it is saved; a concurrent change makes that record fail for this run (run again).
 */
export async function runKeysRewrap(
  deps: { incidents: DocumentStore<IncidentRecord>; wrapper: KeyWrapper; audit: AuditSink },
  refs: AsyncIterable<{ tenantId: string; id: string }> | Iterable<{ tenantId: string; id: string }>,
  out: (line: string) => void,
): Promise<{ summary: RewrapSummary; exitCode: number }> {
  async function* records(): AsyncGenerator<Versioned<IncidentRecord>> {
    for await (const ref of refs) {
      const found = await deps.incidents.get(ref.tenantId, ref.id);
      if (found?.doc.dataKey) yield found;
    }
  }
  const summary = await rewrapAll(records(), deps.wrapper, {
    id: (r) => r.doc.id,
    wrappedOf: (r) => r.doc.dataKey!,
    async save(r, next) {
      await deps.audit.record({
        tenantId: r.doc.tenantId,
        actor: { type: 'service', id: 'bystander-cli' },
        action: 'key.rewrap',
        target: { incidentId: r.doc.id },
        outcome: 'succeeded',
        channel: 'cli',
      });
      await deps.incidents.replace({ ...r.doc, dataKey: next }, r.etag);
    },
  });
  out(`current KEK ${summary.currentKeyId}: examined ${summary.examined}, re-wrapped ${summary.rewrapped}, already current ${summary.alreadyCurrent}, failed ${summary.failed.length}`);
  for (const f of summary.failed) out(`  failed ${f.id}: ${f.reason}`);
  return { summary, exitCode: summary.failed.length === 0 ? 0 : 1 };
}
