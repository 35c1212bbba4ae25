import { createIncident, getIncident } from '../../shared/usecases/incidents.js';
import { authenticated, json, readJson } from './api.js';

export const createIncidentHandler = authenticated(async ({ req, env, principal, origin }) => {
  const body = await readJson(req);
  const result = await createIncident(env.app.deps, principal, body, origin, env.orchestrations());
  return json(201, result, { location: `/api/incidents/${result.incident.id}` });
});

export const getIncidentHandler = authenticated(async ({ req, env, principal, origin }) => {
  return json(200, await getIncident(env.app.deps, principal, req.params.id ?? '', origin));
});
