import type { IncidentRecord } from '../domain/incident.js';
import type { AuditInput, Versioned } from '../ports/index.js';
import { ProblemError, problems } from '../http/problem.js';
import type { Principal } from '../auth/tokens.js';
import { recordUserAction } from './audit-actors.js';
import type { Deps } from './deps.js';

const ID = /^[\w-]{1,64}$/;

/** One incident of the caller's tenant; another tenant's (or a malformed id) is simply not found. */
export async function findTenantIncident(deps: Pick<Deps, 'incidents'>, tenantId: string, incidentId: string): Promise<Versioned<IncidentRecord> | undefined> {
  return ID.test(incidentId) ? deps.incidents.get(tenantId, incidentId) : undefined;
}

/**
 * A user's read of an incident (or of something hanging off it): audited as allowed or denied
 * before anything is returned; a miss is a 404 that does not tell another tenant's id apart.
 */
export async function readIncidentAudited(
  deps: Pick<Deps, 'incidents' | 'audit'>,
  principal: Principal,
  incidentId: string,
  action: AuditInput['action'],
  origin?: string,
): Promise<IncidentRecord> {
  const found = await findTenantIncident(deps, principal.tenantId, incidentId);
  await recordUserAction(deps.audit, principal, {
    action,
    target: { incidentId: incidentId.slice(0, 64) },
    outcome: found ? 'allowed' : 'denied',
    reason: found ? undefined : 'not-found',
  }, origin);
  if (!found) throw new ProblemError(problems.notFound(`incident ${incidentId.slice(0, 64)}`));
  return found.doc;
}
