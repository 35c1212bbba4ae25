import type { HttpRequest } from '@azure/functions';
import { makeListIncidents, queryObject } from '../../shared/usecases/list-incidents.js';
import { makeEvidenceStatus, makeIncidentAuditTrail } from '../../shared/usecases/console-reads.js';
import { DEV_CONSOLE_TENANT, consoleSignIn, makeDevSignIn } from '../../shared/usecases/console-sign-in.js';
import { authenticated, errorResponse, json, readJson, type RawHandler } from './api.js';

/**
 * The API routes the investigator console needs (issue 13). They are ordinary `/api` routes with
 * bearer tokens and roles, for the console and retailer systems alike: no private back door.
 */

/** Query parameters of the request URL (a parameter given twice is refused, on the host and locally). */
const queryOf = (req: HttpRequest) => queryObject(new URL(req.url).searchParams);

/** GET /api/incidents — the tenant's incidents, filters and continuation tokens (audited). */
export const listIncidentsHandler = authenticated(async ({ req, env, principal, origin }) => {
  const list = makeListIncidents(env.app.console.incidentIndex, env.app.deps.audit);
  return json(200, await list(principal, queryOf(req), origin));
});

/** GET /api/incidents/{id}/audit — the incident's audit trail, newest first (investigator, admin). */
export const incidentAuditHandler = authenticated(async ({ req, env, principal, origin }) => {
  const trail = makeIncidentAuditTrail(env.app.deps, env.app.console.auditReader);
  return json(200, await trail(principal, req.params.id ?? '', queryOf(req), origin));
});

/** GET /api/incidents/{id}/evidence-status — record status plus the orchestration's live stage. */
export const evidenceStatusHandler = authenticated(async ({ req, env, principal, origin }) => {
  if ([...new URL(req.url).searchParams].length) return json(400, { title: 'Bad request', status: 400, detail: 'this route takes no query parameters' });
  const status = makeEvidenceStatus(env.app.deps, env.orchestrations);
  return json(200, await status(principal, req.params.id ?? '', origin));
});

/** GET /api/console/sign-in — how the console signs in here (public values only). */
export const consoleSignInHandler: RawHandler = async (_req, _ctx, env) => json(200, consoleSignIn(env.app.deps.config, DEV_CONSOLE_TENANT));

/** POST /api/dev/sign-in — local stack only: a development token for the console (404 in Azure mode). */
export const devSignInHandler: RawHandler = async (req, ctx, env) => {
  try {
    const signIn = makeDevSignIn(env.app.deps.config.BYSTANDER_MODE, env.app.devTokens, DEV_CONSOLE_TENANT);
    // In Azure mode nothing is read: the use case refuses before looking at the request.
    const body = env.app.deps.config.BYSTANDER_MODE === 'local' ? await readJson(req) : undefined;
    return json(200, await signIn(body));
  } catch (err) {
    return errorResponse(err, ctx);
  }
};
