import { createIncident, getIncident } from '../../shared/usecases/incidents.js';
import { authenticated, json, readJson } from './api.js';
import { markSpan } from '../../shared/telemetry/trace.js';

export const createIncidentHandler = authenticated(async ({ req, env, principal, origin }) => {
  const body = await readJson(req);
  // Each evidence item gets a span under this request: its traceparent is the item's trace from here on.
  const traceFor = (evidenceId: string) => markSpan('evidence.declared', { 'bystander.evidence_id': evidenceId });
  const result = await createIncident(env.app.deps, principal, body, origin, env.orchestrations(), traceFor);
  return json(201, result, { location: `/api/incidents/${result.incident.id}` });
});

export const getIncidentHandler = authenticated(async ({ req, env, principal, origin }) => {
  return json(200, await getIncident(env.app.deps, principal, req.params.id ?? '', origin));
});
