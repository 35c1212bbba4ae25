import { createShare, listShares, revokeShare } from '../../shared/usecases/shares.js';
import { authenticated, json, readJson } from './api.js';

/** POST /api/incidents/{id}/shares — share published evidence with a police officer. */
export const createShareHandler = authenticated(async ({ req, env, principal, origin }) => {
  const body = await readJson(req);
  const share = await createShare(env.app.deps, env.orchestrations(), principal, req.params.id ?? '', body, origin);
  return json(201, share, { location: `/api/shares/${share.id}` });
});

/** GET /api/incidents/{id}/shares — the incident's shares with status and access counts. */
export const listSharesHandler = authenticated(async ({ req, env, principal, origin }) => {
  return json(200, await listShares(env.app.deps, principal, req.params.id ?? '', origin));
});

/** DELETE /api/shares/{shareId} — revoke with immediate effect. */
export const revokeShareHandler = authenticated(async ({ req, env, principal, origin }) => {
  return json(200, await revokeShare(env.app.deps, env.orchestrations(), principal, req.params.shareId ?? '', origin));
});
