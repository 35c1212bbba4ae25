import type { Principal } from '../auth/tokens.js';
import type { AuditInput, AuditSink } from '../ports/index.js';

/** The audit actor for a signed-in user: opaque subject id and first role, never a name. */
export const userActor = (p: Principal) => ({ type: 'user' as const, id: p.subject, role: p.roles[0] });

/** Spreads the client origin into an audit input when there is one (the adapter pseudonymises it). */
export const withOrigin = (origin: string | undefined) => (origin ? { origin } : {});

/**
 * Records what a signed-in user did (or was refused) in their tenant's audit trail: tenant, actor
 * and origin come from the request; a failed write throws, so the caller refuses the action.
 */
export function recordUserAction(
  audit: AuditSink,
  principal: Principal,
  event: Pick<AuditInput, 'action' | 'target' | 'outcome' | 'reason'>,
  origin: string | undefined,
): Promise<void> {
  const { reason, ...rest } = event;
  return audit.record({ tenantId: principal.tenantId, actor: userActor(principal), ...rest, ...withOrigin(origin), ...(reason ? { reason } : {}) });
}
