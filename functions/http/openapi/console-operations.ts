import type { OperationDoc } from './types.js';

/** What the OpenAPI document says about the routes the investigator console added (issue 13). */
const id = 'The incident id';
export const consoleOperations: Record<string, OperationDoc> = {
  listIncidents: {
    summary: 'List the tenant’s incidents (filters, continuation tokens)',
    description:
      'Newest first (by `occurredAt`), minimised rows (no description, no subject hints). Query parameters, all optional: `storeId`, `from` and `to` ' +
      '(ISO 8601 instants; `from` ≤ occurredAt < `to`), `category`, `status` (incidents with an evidence item in that status), `limit` (1-100, default 25) ' +
      'and `continuation` (from the previous page, valid only with the same filters). Any other or repeated parameter is refused (400). Audited (`incident.list`).',
    tag: 'incidents',
    roles: ['uploader', 'investigator', 'admin'],
    responses: { 200: { description: '`{ incidents: [...], continuation? }`' } },
    problems: [400, 503],
  },
  incidentAudit: {
    summary: 'The incident’s audit trail, newest first',
    description: 'Ids, codes and times only (actor type, opaque id and role; action; outcome; reason; target ids). `limit` (1-200, default 50) and `before` (a seq, from `nextBefore`). Audited (`audit.read`).',
    tag: 'incidents',
    roles: ['investigator', 'admin'],
    params: { id },
    responses: { 200: { description: '`{ incidentId, events: [...], nextBefore? }`' } },
    problems: [400, 404, 503],
  },
  evidenceStatus: {
    summary: 'Each evidence item’s status, with the pipeline’s live stage while it runs',
    description: 'The record status plus, while processing, the orchestration’s custom status (`stage`: inspecting, redacting, recording, awaiting-review, review-rendering, publishing; `attempt`, `maxAttempts`; under review `version` and `deadline`) and, for an item held for review, its reasons, deadline, state and render version. Takes no query parameters. Audited (`incident.read`).',
    tag: 'evidence',
    roles: ['uploader', 'investigator', 'admin'],
    params: { id },
    responses: { 200: { description: '`{ incidentId, evidence: [{ id, status, quarantine?, live? }] }`' } },
    problems: [400, 404, 503],
  },
  consoleSignIn: {
    summary: 'How the investigator console signs in on this stamp',
    description: 'Public values only: `development` on the local stack; in Azure `entra` with the authority, the console’s client id and the API scope (authorization code + PKCE).',
    tag: 'system',
    responses: { 200: { description: '`{ signIn: "development" | "entra" | "unavailable", … }`' } },
    problems: [],
  },
  devSignIn: {
    summary: 'Development sign-in (local stack only)',
    description: 'Issues one of the local stack’s development tokens for the tenant `dev-tenant` with the roles asked for. Answers 404 in Azure mode.',
    tag: 'system',
    request: { schema: 'DevSignIn', example: { roles: ['uploader', 'investigator'], subject: 'dev-user' } },
    responses: { 200: { description: '`{ accessToken, tokenType: "Bearer", expiresIn, tenantId, roles }`' } },
    problems: [400, 404, 415],
  },
};
