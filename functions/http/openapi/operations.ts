import type { OperationDoc } from './types.js';
import { consoleOperations } from './console-operations.js';
import { reviewOperations } from './review-operations.js';

/**
 * What the OpenAPI document says about each route of the table (functions/http/routes.ts), by
 * route name. The contract test walks the mounted route table: an `/api` route without an entry
 * here fails it.
 */

export type { OperationDoc, ResponseDoc } from './types.js';

const INCIDENT_ID = '6f1c2b9e-3d4a-4c55-9b1e-2f7a8c9d0e11';
const EVIDENCE_ID = '0b7e6a54-8c3d-4f21-a9e0-5d6c7b8a9f10';
const SHARE_ID = 'c2d3e4f5-a6b7-4c8d-9e0f-1a2b3c4d5e6f';
const WEBHOOK_ID = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
const SHA = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const AT = '2026-11-20T09:00:00.000Z';

const evidenceExample = {
  id: EVIDENCE_ID,
  fileName: 'cam1.mp4',
  contentType: 'video/mp4',
  mediaKind: 'video',
  status: 'published',
  original: { sha256: SHA, sizeBytes: 123456 },
  redacted: { sha256: SHA, sizeBytes: 98765, contentType: 'video/mp4' },
  publishedAt: '2026-11-20T09:02:10.000Z',
};
const incidentExample = {
  id: INCIDENT_ID,
  storeId: 'store-001',
  occurredAt: '2026-11-20T08:15:00.000Z',
  category: 'theft',
  outcome: 'none',
  description: 'Two bottles taken from aisle 4',
  createdAt: AT,
  updatedAt: AT,
  deleteAfter: '2026-12-20T08:15:00.000Z',
  evidence: [evidenceExample],
};
const shareExample = {
  id: SHARE_ID,
  incidentId: INCIDENT_ID,
  evidenceIds: [EVIDENCE_ID],
  recipient: { agency: 'Metropolitan Police', officerEmail: 'officer@police.example', webhook: false },
  purpose: 'investigation',
  accessMode: 'view',
  status: 'active',
  createdAt: AT,
  createdBy: 'user-7f3a',
  expiresAt: '2026-11-23T09:00:00.000Z',
  notifiedAt: '2026-11-20T09:00:02.000Z',
  access: { views: 1, media: 2, downloads: 0, denied: 0 },
};
const webhookExample = { id: WEBHOOK_ID, url: 'https://hooks.retailer.example/bystander', events: ['evidence.published', 'evidence.quarantined'], createdAt: AT };
const privacyExample = {
  id: 'pr-3e2d1c0b',
  type: 'access',
  status: 'completed',
  incidentIds: [INCIDENT_ID],
  results: [{ incidentId: INCIDENT_ID, outcome: 'exported' }],
  createdAt: AT,
  completedAt: '2026-11-20T09:00:30.000Z',
  download: { url: '/api/privacy-requests/pr-3e2d1c0b/download', expiresAt: '2026-11-27T09:00:30.000Z', sizeBytes: 204800, sha256: SHA },
};

const id = 'The incident id';
const healthyDependencies = { blobStorage: { ok: true }, queueStorage: { ok: true }, cosmos: { ok: true }, keyVault: { ok: true } };
const uploadSessionExample = {
  evidenceId: EVIDENCE_ID,
  status: 'awaiting-upload',
  contentType: 'video/mp4',
  declaredSizeBytes: 3_221_225_472,
  blockSize: 4_194_304,
  expiresAt: '2026-11-20T09:30:00.000Z',
  renewalsLeft: 47,
  staged: { committed: false, blocks: [{ id: 'MDAwMDAtOWYyYzQxZTBhNzc2YjE1ZDNjOGU5YTBmMjE0ZDZiN2MxZTM4YTVmMg==', size: 4_194_304 }] },
};

export const operations: Record<string, OperationDoc> = {
  health: {
    summary: 'State of each dependency and the redaction backlog',
    description: 'Blob and queue storage, Cosmos DB and Key Vault (the key-encryption key, checked at most every 5 minutes), and the redaction jobs waiting. For probes use /api/health/live and /api/health/ready.',
    tag: 'system',
    responses: {
      200: { description: 'Every dependency answers', schema: 'Health', example: { status: 'ok', geography: 'au', dependencies: { ...healthyDependencies }, backlog: { redactionJobs: { messages: 2, oldestSeconds: 41 } } } },
      503: { description: 'A dependency does not answer', schema: 'Health', example: { status: 'degraded', geography: 'au', dependencies: { ...healthyDependencies, keyVault: { ok: false, detail: 'key service: unreachable' } }, backlog: { redactionJobs: { messages: 0, oldestSeconds: null } } } },
    },
    problems: [],
  },
  healthLive: {
    summary: 'Liveness: the process answers',
    description: 'Calls no dependency: a failure means the instance should be restarted.',
    tag: 'system',
    responses: { 200: { description: 'Alive', schema: 'Liveness', example: { status: 'alive' } } },
    problems: [],
  },
  healthReady: {
    summary: 'Readiness: every dependency answers',
    description: 'Route traffic here only on 200; 503 names the dependency that does not answer.',
    tag: 'system',
    responses: {
      200: { description: 'Ready', schema: 'Readiness', example: { status: 'ready', dependencies: healthyDependencies } },
      503: { description: 'Not ready', schema: 'Readiness', example: { status: 'not-ready', dependencies: { ...healthyDependencies, cosmos: { ok: false, detail: 'unavailable' } } } },
    },
    problems: [],
  },
  openApiDocument: {
    summary: 'This OpenAPI 3.1 document',
    description: 'Generated at start-up from the zod schemas that validate the requests.',
    tag: 'system',
    responses: { 200: { description: 'The OpenAPI document (JSON)' } },
    problems: [],
  },
  createIncident: {
    summary: 'Create an incident',
    description:
      'Stores the minimised record and returns one create-only upload URL per declared evidence item. Unknown fields are refused (400 with `unknownFields`); ' +
      'special-category data or derogatory language in free text is refused (422); an incident whose retention already ended is refused (422 `retention-ended`).',
    tag: 'incidents',
    roles: ['uploader', 'investigator', 'admin'],
    request: {
      schema: 'CreateIncident',
      example: {
        storeId: 'store-001',
        occurredAt: '2026-11-20T08:15:00Z',
        category: 'theft',
        outcome: 'none',
        description: 'Two bottles taken from aisle 4',
        evidence: [{ fileName: 'cam1.mp4', contentType: 'video/mp4', sizeBytes: 123456, subjectHints: [{ atSeconds: 3.5, box: { x: 410, y: 120, w: 80, h: 200 } }] }],
      },
    },
    responses: {
      201: {
        description: 'Created; upload each file with a PUT to its URL before it expires',
        schema: 'CreatedIncident',
        headers: { location: 'The incident URL' },
        example: {
          incident: { ...incidentExample, evidence: [{ id: EVIDENCE_ID, fileName: 'cam1.mp4', contentType: 'video/mp4', mediaKind: 'video', status: 'awaiting-upload' }] },
          uploads: [
            {
              evidenceId: EVIDENCE_ID,
              fileName: 'cam1.mp4',
              method: 'PUT',
              url: `https://stbystanderau.blob.core.windows.net/ingest/tenant-1/${INCIDENT_ID}/${EVIDENCE_ID}?sv=2024-08-04&sp=c&sig=…`,
              headers: { 'x-ms-blob-type': 'BlockBlob', 'content-type': 'video/mp4' },
              expiresAt: '2026-11-20T09:15:00.000Z',
            },
          ],
        },
      },
    },
    problems: [400, 413, 415, 422, 503],
  },
  getIncident: {
    summary: 'The minimised incident record',
    description: "Another tenant's incident is 404, like a missing one.",
    tag: 'incidents',
    roles: ['uploader', 'investigator', 'admin'],
    params: { id },
    responses: { 200: { description: 'The record', schema: 'Incident', example: incidentExample } },
    problems: [404, 503],
  },
  patchIncident: {
    summary: 'Edit description, category or outcome',
    description: 'Each change is a new version; retention is never extended by an edit.',
    tag: 'incidents',
    roles: ['uploader', 'investigator', 'admin'],
    params: { id },
    request: { schema: 'PatchIncident', example: { outcome: 'reported-to-police' } },
    responses: { 200: { description: 'The updated record', schema: 'Incident', example: { ...incidentExample, outcome: 'reported-to-police' } } },
    problems: [400, 404, 409, 415, 422, 503],
  },
  getEvidenceContent: {
    summary: 'The redacted media',
    description: 'Published evidence only, decrypted per request; supports a single `Range`.',
    tag: 'evidence',
    roles: ['investigator', 'admin'],
    params: { id, evidenceId: 'The evidence id' },
    headers: { range: 'Optional `bytes=start-end`' },
    responses: {
      200: { description: 'The whole file', binary: ['video/mp4', 'image/jpeg', 'image/png', 'image/webp'], headers: { 'x-bystander-sha256': 'SHA-256 of the redacted file' } },
      206: { description: 'The requested range', binary: ['video/mp4', 'image/jpeg', 'image/png', 'image/webp'], headers: { 'content-range': 'bytes start-end/size' } },
    },
    problems: [404, 416, 503],
  },
  getUploadState: {
    summary: 'The state of an open upload slot (resumable uploads)',
    description:
      'The declared size and type, the block size to use, when the newest upload URL expires, the renewals left, and the blocks the service holds ' +
      '(staged with Put Block, not yet committed) with their ids and sizes, so an interrupted upload resumes where it stopped. Issues no URL. Audited.',
    tag: 'evidence',
    roles: ['uploader', 'investigator', 'admin'],
    params: { id, evidenceId: 'The evidence id' },
    responses: { 200: { description: 'The slot', schema: 'UploadSession', example: uploadSessionExample } },
    problems: [404, 503],
  },
  renewUploadUrl: {
    summary: 'A fresh create-only upload URL for the same open slot',
    description:
      'For uploads that outlive one URL (multi-gigabyte exports over a store uplink): upload blocks with Put Block to the URL and commit them with ' +
      'Put Block List (`If-None-Match: *`), renewing the URL when it expires. Allowed while the slot is open (awaiting upload, nothing committed), at most ' +
      '`UPLOAD_URL_MAX_RENEWALS` times (default 48); each renewal is audited. The size and SHA-256 checks apply when the blob is committed. ' +
      '`npx bystander upload <incidentId> <evidenceId> <file>` does all of this. The body is an empty JSON object; any field is refused.',
    tag: 'evidence',
    roles: ['uploader', 'investigator', 'admin'],
    params: { id, evidenceId: 'The evidence id' },
    request: { schema: 'RenewUploadUrl', example: {} },
    responses: {
      200: {
        description: 'The slot with its new URL',
        schema: 'UploadSession',
        example: {
          ...uploadSessionExample,
          renewalsLeft: 46,
          method: 'PUT',
          url: `https://stbystanderau.blob.core.windows.net/ingest/tenant-1/${INCIDENT_ID}/${EVIDENCE_ID}?sv=2026-04-06&sp=c&sig=…`,
          headers: { 'x-ms-blob-type': 'BlockBlob', 'content-type': 'video/mp4' },
        },
      },
    },
    problems: [400, 404, 409, 415, 503],
  },
  createShare: {
    summary: 'Share published evidence with police',
    description: 'The link is sent to the officer (and the agency webhook), never returned.',
    tag: 'shares',
    roles: ['investigator', 'admin'],
    params: { id },
    request: {
      schema: 'CreateShare',
      example: { recipient: { agency: 'Metropolitan Police', officerEmail: 'officer@police.example' }, purpose: 'investigation', evidenceIds: [EVIDENCE_ID], accessMode: 'view', expiresInHours: 72 },
    },
    responses: { 201: { description: 'Created (status pending until the link is sent)', schema: 'Share', headers: { location: 'The share URL' }, example: { ...shareExample, status: 'pending', notifiedAt: undefined, access: { views: 0, media: 0, downloads: 0, denied: 0 } } } },
    problems: [400, 404, 409, 415, 503],
  },
  listShares: {
    summary: "The incident's shares with status and access counts",
    tag: 'shares',
    roles: ['investigator', 'admin'],
    params: { id },
    responses: { 200: { description: 'Newest first', schema: 'ShareList', example: { incidentId: INCIDENT_ID, shares: [shareExample] } } },
    problems: [404, 503],
  },
  revokeShare: {
    summary: 'Revoke a share with immediate effect',
    tag: 'shares',
    roles: ['investigator', 'admin'],
    params: { shareId: 'The share id' },
    responses: { 200: { description: 'The share, revoked (idempotent once ended)', schema: 'Share', example: { ...shareExample, status: 'revoked', revokedAt: '2026-11-21T10:00:00.000Z', endedAt: '2026-11-21T10:00:00.000Z' } } },
    problems: [404, 503],
  },
  placeHold: {
    summary: 'Place a legal hold',
    description: 'Stops deletion by retention; the reason stays in the (encrypted) record.',
    tag: 'lifecycle',
    roles: ['admin'],
    params: { id },
    request: { schema: 'PlaceHold', example: { reason: 'Court order 2026/114' } },
    responses: { 200: { description: 'The record with its hold', schema: 'Incident', example: { ...incidentExample, legalHold: { reason: 'Court order 2026/114', placedAt: AT } } } },
    problems: [400, 404, 409, 415, 503],
  },
  liftHold: {
    summary: 'Lift the legal hold',
    description: 'Retention resumes; an overdue incident is deleted at once.',
    tag: 'lifecycle',
    roles: ['admin'],
    params: { id },
    responses: { 200: { description: 'The record without hold', schema: 'Incident', example: incidentExample } },
    problems: [404, 409, 503],
  },
  listVersions: {
    summary: 'Who changed which fields when',
    tag: 'lifecycle',
    roles: ['admin'],
    params: { id },
    responses: {
      200: {
        description: 'Newest first (field names only, no values)',
        schema: 'VersionList',
        example: { incidentId: INCIDENT_ID, current: 2, versions: [{ version: 2, at: AT, by: 'user-7f3a', changed: ['outcome'], current: true }, { version: 1, at: AT, by: 'user-7f3a', changed: ['created'], current: false }] },
      },
    },
    problems: [404, 503],
  },
  revertVersion: {
    summary: 'Restore an earlier version as a new version',
    tag: 'lifecycle',
    roles: ['admin'],
    params: { id, version: 'The version to restore (1, 2, …)' },
    responses: { 200: { description: 'The new version', schema: 'RevertResult', example: { revertedTo: 1, version: 3, descriptionRestored: true, incident: incidentExample } } },
    problems: [400, 404, 409, 503],
  },
  createPrivacyRequest: {
    summary: 'Access (export bundle) or erasure request',
    tag: 'privacy',
    roles: ['admin'],
    request: { schema: 'CreatePrivacyRequest', example: { type: 'access', incidentIds: [INCIDENT_ID] } },
    responses: { 202: { description: 'Accepted; poll its URL', schema: 'PrivacyRequest', headers: { location: 'The request URL' }, example: { ...privacyExample, status: 'pending', results: [], completedAt: undefined, download: undefined } } },
    problems: [400, 415, 503],
  },
  getPrivacyRequest: {
    summary: 'Status, results and the download link while it lasts',
    tag: 'privacy',
    roles: ['admin'],
    params: { id: 'The request id' },
    responses: { 200: { description: 'The request', schema: 'PrivacyRequest', example: privacyExample } },
    problems: [404, 503],
  },
  downloadPrivacyExport: {
    summary: 'The export bundle (gzipped tar)',
    tag: 'privacy',
    roles: ['admin'],
    params: { id: 'The request id' },
    responses: { 200: { description: 'The bundle', binary: ['application/gzip'], headers: { 'x-bystander-sha256': 'SHA-256 of the bundle' } } },
    problems: [404, 410, 503],
  },
  createWebhook: {
    summary: 'Register an event webhook endpoint',
    description:
      'Bystander POSTs each subscribed event to the URL, signed per Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256>`) with ' +
      'the `secret` returned here (once). Payloads carry ids and codes only (schema `WebhookPayload`). Failed deliveries are retried with backoff for about 33 hours. ' +
      'In Azure the URL must be https and must not resolve to loopback, private or link-local addresses.',
    tag: 'webhooks',
    roles: ['admin'],
    request: { schema: 'CreateWebhook', example: { url: 'https://hooks.retailer.example/bystander', events: ['evidence.published', 'evidence.quarantined'] } },
    responses: { 201: { description: 'Registered', schema: 'CreatedWebhook', headers: { location: 'The endpoint URL' }, example: { ...webhookExample, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' } } },
    problems: [400, 409, 415, 503],
  },
  listWebhooks: {
    summary: "The tenant's webhook endpoints (no secrets)",
    tag: 'webhooks',
    roles: ['admin'],
    responses: { 200: { description: 'Oldest first', schema: 'WebhookList', example: { webhooks: [webhookExample] } } },
    problems: [503],
  },
  deleteWebhook: {
    summary: 'Remove a webhook endpoint and its secret',
    tag: 'webhooks',
    roles: ['admin'],
    params: { webhookId: 'The endpoint id' },
    responses: { 204: { description: 'Removed; deliveries in flight stop at their next attempt' } },
    problems: [404, 503],
  },
  ...consoleOperations,
  ...reviewOperations,
};

const P = 'https://bystander.dev/problems/';
/** One example per problem status (each validates against the Problem schema). */
export const problemExamples: Record<number, { description: string; example: Record<string, unknown> }> = {
  400: {
    description: 'Invalid request or unknown fields',
    example: {
      type: `${P}validation`,
      title: 'Unknown fields are not accepted',
      status: 400,
      detail: 'Bystander stores only the fields it needs; remove: customerName',
      unknownFields: ['customerName'],
      errors: [{ path: '', message: 'Unrecognized key: "customerName"' }],
    },
  },
  401: { description: 'No or invalid bearer token', example: { type: `${P}unauthorized`, title: 'Unauthorized', status: 401, detail: 'missing bearer token' } },
  403: { description: 'The token lacks the role', example: { type: `${P}forbidden`, title: 'Forbidden', status: 403, detail: 'this action needs one of the roles: admin' } },
  404: { description: 'Not found (or another tenant’s)', example: { type: `${P}not-found`, title: 'Not found', status: 404, detail: 'the resource was not found' } },
  409: { description: 'Conflict with the current state', example: { type: `${P}conflict`, title: 'Conflict', status: 409, detail: 'the incident is being deleted' } },
  410: { description: 'Expired', example: { type: `${P}gone`, title: 'Gone', status: 410, detail: 'the export bundle has expired' } },
  413: { description: 'Body too large', example: { type: `${P}too-large`, title: 'Payload too large', status: 413, detail: 'the body exceeds 65536 bytes' } },
  415: { description: 'Body is not JSON', example: { type: `${P}bad-request`, title: 'Unsupported media type', status: 415, detail: 'send the body as application/json' } },
  416: { description: 'Range not satisfiable', example: { type: `${P}range`, title: 'Range not satisfiable', status: 416, detail: 'size is 98765' } },
  422: {
    description: 'Refused content (screening) or retention already ended',
    example: {
      type: `${P}screened-content`,
      title: 'The text contains special-category data or derogatory language',
      status: 422,
      detail: '"description" contains "…", which Bystander does not record (community guidelines)',
      field: 'description',
      phrase: '…',
    },
  },
  503: { description: 'Key Vault or the audit trail unavailable (fails closed)', example: { type: `${P}unavailable`, title: 'Service unavailable', status: 503, detail: 'the encryption key service is unavailable; try again later' } },
  500: { description: 'Unexpected error (logged)', example: { type: `${P}internal`, title: 'Internal error', status: 500, detail: 'An unexpected error occurred; it has been logged.' } },
};
