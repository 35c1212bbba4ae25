/**
 * Legal holds (admin): a held incident is never deleted — retention skips it and logs why, and an
 * erasure request is refused with the reason. Lifting the hold nudges the retention schedule, so an
 * incident whose retention already ended is deleted promptly.
 */
import { toIncidentView } from '../domain/incident.js';
import { PlaceHoldSchema } from '../domain/lifecycle.js';
import { ProblemError, problems } from '../http/problem.js';
import { requireRole, type Principal } from '../auth/tokens.js';
import type { Orchestrations } from '../ports/index.js';
import { ensureRetentionSchedule } from './retention.js';
import { updateIncident } from './update-incident.js';
import type { Deps } from './deps.js';
import { recordUserAction } from './audit-actors.js';
import { findTenantIncident } from './incident-access.js';


async function heldIncident(deps: Deps, principal: Principal, incidentId: string) {
  const found = await findTenantIncident(deps, principal.tenantId, incidentId);
  if (!found) throw new ProblemError(problems.notFound(`incident ${incidentId.slice(0, 64)}`));
  if (found.doc.deletingAt) throw new ProblemError(problems.conflict('the incident is being deleted; a hold can no longer stop it'));
  return found.doc;
}

/** POST /api/incidents/{id}/hold {reason} — the reason stays in the record, never in the audit trail. */
export async function placeHold(deps: Deps, orchestrations: Orchestrations, principal: Principal, incidentId: string, body: unknown, origin?: string) {
  requireRole(principal, ['admin']);
  const parsed = PlaceHoldSchema.safeParse(body);
  if (!parsed.success) throw new ProblemError(problems.validation(parsed.error));
  const hit = deps.screener.check(parsed.data.reason);
  if (hit) throw new ProblemError(problems.screened('reason', hit.phrase));
  const incident = await heldIncident(deps, principal, incidentId);
  if (incident.legalHold) throw new ProblemError(problems.conflict('the incident is already on legal hold'));
  await recordUserAction(deps.audit, principal, {
    action: 'hold.place',
    target: { incidentId: incident.id },
    outcome: 'succeeded',
  }, origin);
  const now = deps.clock.now().toISOString();
  const updated = await updateIncident(
    deps,
    principal.tenantId,
    incident.id,
    (current) => (current.legalHold || current.deletingAt ? undefined : { ...current, legalHold: { reason: parsed.data.reason, placedAt: now, placedBy: principal.subject } }),
    { by: principal.subject },
  );
  if (!updated.legalHold) throw new ProblemError(problems.conflict('the incident is being deleted; a hold can no longer stop it'));
  return toIncidentView(updated);
}

/** DELETE /api/incidents/{id}/hold — retention resumes; an overdue incident is deleted promptly. */
export async function liftHold(deps: Deps, orchestrations: Orchestrations, principal: Principal, incidentId: string, origin?: string) {
  requireRole(principal, ['admin']);
  const incident = await heldIncident(deps, principal, incidentId);
  if (!incident.legalHold) throw new ProblemError(problems.conflict('the incident is not on legal hold'));
  await recordUserAction(deps.audit, principal, {
    action: 'hold.lift',
    target: { incidentId: incident.id },
    outcome: 'succeeded',
  }, origin);
  const updated = await updateIncident(
    deps,
    principal.tenantId,
    incident.id,
    (current) => {
      if (!current.legalHold) return undefined;
      const { legalHold: _lifted, ...rest } = current;
      return rest;
    },
    { by: principal.subject },
  );
  await ensureRetentionSchedule(deps, orchestrations, { tenantId: updated.tenantId, incidentId: updated.id });
  return toIncidentView(updated);
}
