import { Readable } from 'node:stream';
import { liftHold, placeHold } from '../../shared/usecases/holds.js';
import { listVersions, patchIncident, revertIncident } from '../../shared/usecases/versions.js';
import { createPrivacyRequest, downloadPrivacyExport, getPrivacyRequest } from '../../shared/usecases/privacy.js';
import { authenticated, json, readJson } from './api.js';

/** PATCH /api/incidents/{id} — edit description, category or outcome (never extends retention). */
export const patchIncidentHandler = authenticated(async ({ req, env, principal, origin }) => {
  const body = await readJson(req);
  return json(200, await patchIncident(env.app.deps, env.orchestrations(), principal, req.params.id ?? '', body, origin));
});

/** POST /api/incidents/{id}/hold {reason} — admin places a legal hold. */
export const placeHoldHandler = authenticated(async ({ req, env, principal, origin }) => {
  const body = await readJson(req);
  return json(200, await placeHold(env.app.deps, env.orchestrations(), principal, req.params.id ?? '', body, origin));
});

/** DELETE /api/incidents/{id}/hold — admin lifts it; retention resumes. */
export const liftHoldHandler = authenticated(async ({ req, env, principal, origin }) => {
  return json(200, await liftHold(env.app.deps, env.orchestrations(), principal, req.params.id ?? '', origin));
});

/** GET /api/incidents/{id}/versions — admin: who changed which fields when. */
export const listVersionsHandler = authenticated(async ({ req, env, principal, origin }) => {
  return json(200, await listVersions(env.app.deps, principal, req.params.id ?? '', origin));
});

/** POST /api/incidents/{id}/versions/{version}/revert — admin restores an earlier version (as a new one). */
export const revertVersionHandler = authenticated(async ({ req, env, principal, origin }) => {
  return json(200, await revertIncident(env.app.deps, env.orchestrations(), principal, req.params.id ?? '', req.params.version ?? '', origin));
});

/** POST /api/privacy-requests {type, incidentIds} — admin; 202 with the request and its status URL. */
export const createPrivacyRequestHandler = authenticated(async ({ req, env, principal, origin }) => {
  const body = await readJson(req);
  const request = await createPrivacyRequest(env.app.deps, env.orchestrations(), principal, body, origin);
  return json(202, request, { location: `/api/privacy-requests/${request.id}` });
});

/** GET /api/privacy-requests/{id} — admin: status, results, download link while it lasts. */
export const getPrivacyRequestHandler = authenticated(async ({ req, env, principal }) => {
  return json(200, await getPrivacyRequest(env.app.deps, env.orchestrations(), principal, req.params.id ?? ''));
});

/** GET /api/privacy-requests/{id}/download — admin: the export bundle (gzipped tar) until it expires (410 after). */
export const downloadPrivacyExportHandler = authenticated(async ({ req, env, principal, origin }) => {
  const file = await downloadPrivacyExport(env.app.deps, principal, req.params.id ?? '', origin);
  return {
    status: 200,
    headers: {
      'content-type': 'application/gzip',
      'content-length': String(file.sizeBytes),
      'content-disposition': `attachment; filename="${file.fileName}"`,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'x-bystander-sha256': file.sha256,
      'x-bystander-expires-at': file.expiresAt,
    },
    body: Readable.toWeb(file.stream) as never,
  };
});
