/**
 * Versions of incident records, edits and revert.
 *
 * Every change goes through `updateIncident`, which stamps the new version (number, who, which
 * top-level fields changed) and, before the compare-and-set replace, keeps the superseded version
 * in `incidentVersions` (`keepVersion`, create-if-absent: the snapshot of version n is the same
 * whoever supersedes it, so retries and races converge). Snapshots hold business fields only; the
 * description stays sealed with the incident's data key, so crypto-shredding covers versions too.
 */
import { toIncidentView, type IncidentRecord } from '../domain/incident.js';
import { PatchIncidentSchema, versionDocId } from '../domain/lifecycle.js';
import { decryptField, isEncryptedField } from '../crypto/field.js';
import { ProblemError, problems } from '../http/problem.js';
import { requireRole, type Principal } from '../auth/tokens.js';
import type { Orchestrations } from '../ports/index.js';
import { deleteAfterFor, ensureRetentionSchedule, lifecycleOf } from './retention.js';
import { updateIncident } from './update-incident.js';
import type { Deps } from './deps.js';
import { recordUserAction } from './audit-actors.js';
import { findTenantIncident, readIncidentAudited } from './incident-access.js';

import { changedFields, descriptionContext, keepVersion, stampVersion, versionSnapshot } from './version-stamp.js';
export { changedFields, keepVersion, stampVersion, versionSnapshot };

async function findIncident(deps: Deps, principal: Principal, incidentId: string) {
  const found = await findTenantIncident(deps, principal.tenantId, incidentId);
  if (!found) throw new ProblemError(problems.notFound(`incident ${incidentId.slice(0, 64)}`));
  return found.doc;
}

function refuseWhileDeleting(incident: IncidentRecord): void {
  if (incident.deletingAt) throw new ProblemError(problems.conflict('the incident is being deleted'));
}

/** GET /api/incidents/{id}/versions (admin): who changed what when — field names only, no values. */
export async function listVersions(deps: Deps, principal: Principal, incidentId: string, origin?: string) {
  requireRole(principal, ['admin']);
  const incident = await readIncidentAudited(deps, principal, incidentId, 'incident.versions.list', origin);
  const kept = await lifecycleOf(deps).versions.find(principal.tenantId, { incidentId: incident.id });
  const entry = (v: { version: number; at: string; by: string; changed: string[] }, current: boolean) => ({ version: v.version, at: v.at, by: v.by, changed: v.changed, current });
  return {
    incidentId: incident.id,
    current: incident.version ?? 1,
    versions: [
      entry({ version: incident.version ?? 1, at: incident.updatedAt, by: incident.updatedBy ?? incident.createdBy, changed: incident.changedFields ?? ['created'] }, true),
      ...kept.filter((v) => v.version !== (incident.version ?? 1)).map((v) => entry(v, false)),
    ].sort((a, b) => b.version - a.version),
  };
}

/**
 * POST /api/incidents/{id}/versions/{version}/revert (admin): restores description, category and
 * outcome of an earlier version as a new version (history is never rewritten). Pipeline state
 * (evidence) is never reverted. The due date is recomputed from the incident date.
 */
export async function revertIncident(deps: Deps, orchestrations: Orchestrations, principal: Principal, incidentId: string, versionParam: string, origin?: string) {
  requireRole(principal, ['admin']);
  const version = /^\d{1,6}$/.test(versionParam) ? Number(versionParam) : NaN;
  if (!Number.isInteger(version) || version < 1) throw new ProblemError(problems.badRequest('version must be a positive integer'));
  const incident = await findIncident(deps, principal, incidentId);
  const kept = await lifecycleOf(deps).versions.get(principal.tenantId, versionDocId(incident.id, version));
  if (!kept || kept.doc.incidentId !== incident.id) throw new ProblemError(problems.notFound(`version ${version} of incident ${incident.id}`));
  refuseWhileDeleting(incident);
  const snapshot = kept.doc.snapshot;
  let description: string | undefined;
  if (isEncryptedField(snapshot.description) && incident.dataKey) {
    const key = await deps.dataKeys.open({ tenantId: incident.tenantId, incidentId: incident.id }, incident.dataKey);
    try {
      description = decryptField(key, descriptionContext(incident, version), snapshot.description) as string;
    } finally {
      key.fill(0);
    }
  }
  await recordUserAction(deps.audit, principal, {
    action: 'incident.revert',
    target: { incidentId: incident.id, version },
    outcome: 'succeeded',
  }, origin);
  const before = incident.deleteAfter;
  const updated = await updateIncident(
    deps,
    principal.tenantId,
    incident.id,
    (current) => {
      if (current.deletingAt) return undefined;
      const next = { ...current, category: snapshot.category, outcome: snapshot.outcome, ...(description !== undefined ? { description } : {}) };
      return { ...next, deleteAfter: deleteAfterFor(deps, next) };
    },
    { by: principal.subject },
  );
  if (updated.deleteAfter !== before) await ensureRetentionSchedule(deps, orchestrations, { tenantId: updated.tenantId, incidentId: updated.id });
  return { revertedTo: version, version: updated.version ?? 1, descriptionRestored: description !== undefined, incident: toIncidentView(updated) };
}

/**
 * PATCH /api/incidents/{id}: a retailer edits description, category or outcome (strict schema,
 * screened free text). An edit never extends retention: the due date is recomputed only from the
 * incident date, category and outcome — never from the time of the edit.
 */
export async function patchIncident(deps: Deps, orchestrations: Orchestrations, principal: Principal, incidentId: string, body: unknown, origin?: string) {
  requireRole(principal, ['uploader', 'investigator', 'admin']);
  const parsed = PatchIncidentSchema.safeParse(body);
  if (!parsed.success) throw new ProblemError(problems.validation(parsed.error));
  const patch = parsed.data;
  if (patch.description !== undefined) {
    const hit = deps.screener.check(patch.description);
    if (hit) throw new ProblemError(problems.screened('description', hit.phrase));
  }
  const incident = await findIncident(deps, principal, incidentId);
  refuseWhileDeleting(incident);
  await recordUserAction(deps.audit, principal, {
    action: 'incident.update',
    target: { incidentId: incident.id },
    outcome: 'succeeded',
  }, origin);
  const updated = await updateIncident(
    deps,
    principal.tenantId,
    incident.id,
    (current) => {
      if (current.deletingAt) return undefined;
      const next: IncidentRecord = { ...current, ...patch };
      next.deleteAfter = deleteAfterFor(deps, next);
      return changedFields(current, next).length ? next : undefined;
    },
    { by: principal.subject },
  );
  if (updated.deleteAfter !== incident.deleteAfter) await ensureRetentionSchedule(deps, orchestrations, { tenantId: updated.tenantId, incidentId: updated.id });
  return toIncidentView(updated);
}
