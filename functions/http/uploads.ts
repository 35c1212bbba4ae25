import { makeUploadSessions } from '../../shared/uploads/sessions.js';
import type { App } from '../../shared/composition.js';
import { authenticated, json, readJson } from './api.js';

function sessions(app: App) {
  const { deps } = app;
  return makeUploadSessions({
    incidents: deps.incidents,
    audit: deps.audit,
    clock: deps.clock,
    storage: app.uploadStorage,
    limits: { urlTtlMinutes: deps.config.UPLOAD_URL_TTL_MINUTES, maxRenewals: deps.config.UPLOAD_URL_MAX_RENEWALS },
  });
}

/** GET /api/incidents/{id}/evidence/{evidenceId}/upload — the open slot and the blocks the service holds. */
export const getUploadStateHandler = authenticated(async ({ req, env, principal, origin }) =>
  json(200, await sessions(env.app).state(principal, req.params.id ?? '', req.params.evidenceId ?? '', origin)),
);

/** POST /api/incidents/{id}/evidence/{evidenceId}/upload-url — a fresh create-only URL for the same open slot. */
export const renewUploadUrlHandler = authenticated(async ({ req, env, principal, origin }) => {
  const body = await readJson(req);
  return json(200, await sessions(env.app).renew(principal, req.params.id ?? '', req.params.evidenceId ?? '', body, origin));
});
