/**
 * Stamping and keeping incident versions: every change goes through `updateIncident`, which stamps
 * the new version and keeps the superseded one here (see versions.ts for listing and revert).
 */
import type { IncidentRecord } from '../domain/incident.js';
import { IncidentVersionSchema, versionDocId, type IncidentVersion } from '../domain/lifecycle.js';
import { encryptField } from '../crypto/field.js';
import { ConflictError } from '../ports/index.js';
import type { Deps } from './deps.js';

const NOT_VERSIONED = new Set(['updatedAt', 'version', 'updatedBy', 'changedFields']);

/** Names of the top-level fields whose values differ (never the values). */
export function changedFields(before: IncidentRecord, after: IncidentRecord): string[] {
  const a = before as Record<string, unknown>;
  const b = after as Record<string, unknown>;
  return [...new Set([...Object.keys(a), ...Object.keys(b)])]
    .filter((k) => !NOT_VERSIONED.has(k) && JSON.stringify(a[k]) !== JSON.stringify(b[k]))
    .sort()
    .slice(0, 32);
}

/** Marks `next` as the version after `previous`: number, author, changed field names. */
export function stampVersion(previous: IncidentRecord, next: IncidentRecord, by: string): void {
  next.version = (previous.version ?? 1) + 1;
  next.updatedBy = by.slice(0, 128);
  next.changedFields = changedFields(previous, next);
}

export const descriptionContext = (incident: Pick<IncidentRecord, 'tenantId' | 'id'>, version: number) => ({
  tenantId: incident.tenantId,
  incidentId: incident.id,
  field: `versions.${version}.description`,
});

/** The version document for `incident` as it is now (before it is superseded). */
export async function versionSnapshot(deps: Partial<Pick<Deps, 'dataKeys'>>, incident: IncidentRecord): Promise<IncidentVersion> {
  const version = incident.version ?? 1;
  let description = '';
  if (incident.dataKey && deps.dataKeys && incident.description) {
    const key = await deps.dataKeys.open({ tenantId: incident.tenantId, incidentId: incident.id }, incident.dataKey);
    try {
      description = encryptField(key, descriptionContext(incident, version), incident.description);
    } finally {
      key.fill(0);
    }
  }
  return IncidentVersionSchema.parse({
    id: versionDocId(incident.id, version),
    tenantId: incident.tenantId,
    incidentId: incident.id,
    version,
    at: incident.updatedAt,
    by: incident.updatedBy ?? incident.createdBy,
    changed: incident.changedFields ?? (version === 1 ? ['created'] : []),
    snapshot: {
      storeId: incident.storeId,
      occurredAt: incident.occurredAt,
      category: incident.category,
      outcome: incident.outcome,
      description,
      ...(incident.deleteAfter ? { deleteAfter: incident.deleteAfter } : {}),
      onLegalHold: !!incident.legalHold,
      evidence: incident.evidence.map((e) => ({ id: e.id, status: e.status })),
    },
  });
}

/** Keeps `previous` in the versions store (idempotent). No-op when the lifecycle is not configured. */
export async function keepVersion(deps: Partial<Pick<Deps, 'lifecycle' | 'dataKeys'>>, previous: IncidentRecord): Promise<void> {
  const store = deps.lifecycle?.versions;
  if (!store) return;
  try {
    await store.create(await versionSnapshot(deps, previous));
  } catch (err) {
    if (!(err instanceof ConflictError)) throw err; // already kept by a retried or concurrent update
  }
}
