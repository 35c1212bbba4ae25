import { ConflictError, NotFoundError } from '../ports/index.js';
import type { IncidentRecord } from '../domain/incident.js';
import type { Deps } from './deps.js';
import { keepVersion, stampVersion } from './version-stamp.js';

/**
 * Read-modify-write of one incident with ETag concurrency, retried on conflict. `mutate` returns
 * the new record, or undefined to leave it unchanged (idempotent steps).
 */
export async function updateIncident(
  deps: Pick<Deps, 'incidents' | 'clock'> & Partial<Pick<Deps, 'lifecycle' | 'dataKeys'>>,
  tenantId: string,
  incidentId: string,
  mutate: (incident: IncidentRecord) => IncidentRecord | undefined,
  /** Who makes the change (opaque subject id); pipeline steps are `system`. */
  options: { by?: string } = {},
): Promise<IncidentRecord> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const current = await deps.incidents.get(tenantId, incidentId);
    if (!current) throw new NotFoundError(`incident ${incidentId} not found`);
    const next = mutate(structuredClone(current.doc));
    if (!next) return current.doc;
    next.updatedAt = deps.clock.now().toISOString();
    // Versions: stamp who/what changed, and keep the superseded version before replacing it.
    stampVersion(current.doc, next, options.by ?? 'system');
    await keepVersion(deps, current.doc);
    try {
      return (await deps.incidents.replace(next, current.etag)).doc;
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
    }
  }
  throw new ConflictError(`incident ${incidentId} is being changed concurrently; try again`);
}
