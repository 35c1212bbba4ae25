import type { RawHandler } from './api.js';
import type { MountedRoute, RouteDef } from './route-def.js';
import { healthHandler, liveHandler, readyHandler } from './health.js';
import { tracedRoute } from './traced.js';
import { createIncidentHandler, getIncidentHandler } from './incidents.js';
import { getEvidenceContentHandler, getReviewPreviewHandler } from './evidence.js';
import * as review from './review.js';
import { createShareHandler, listSharesHandler, revokeShareHandler } from './shares.js';
import { shareDownloadHandler, shareMediaHandler, sharePageHandler } from './share-page.js';
import * as lifecycle from './lifecycle.js';
import { createWebhookHandler, deleteWebhookHandler, listWebhooksHandler } from './webhooks.js';
import { buildOpenApiDocument } from './openapi/document.js';
import { getUploadStateHandler, renewUploadUrlHandler } from './uploads.js';
import * as consoleApi from './console-api.js';
import { consoleFileHandler, consoleIndexHandler } from './console-page.js';

export type { RouteDef } from './route-def.js';

/** The one route table: registered with the Functions host and served by the local stack. */
export const routes: RouteDef[] = [
  { name: 'health', methods: ['GET'], route: 'health', handler: healthHandler },
  { name: 'healthLive', methods: ['GET'], route: 'health/live', handler: liveHandler },
  { name: 'healthReady', methods: ['GET'], route: 'health/ready', handler: readyHandler },
  { name: 'openApiDocument', methods: ['GET'], route: 'openapi.json', handler: openApiHandler },
  { name: 'createIncident', methods: ['POST'], route: 'incidents', handler: createIncidentHandler },
  { name: 'listIncidents', methods: ['GET'], route: 'incidents', handler: consoleApi.listIncidentsHandler },
  { name: 'incidentAudit', methods: ['GET'], route: 'incidents/{id}/audit', handler: consoleApi.incidentAuditHandler },
  { name: 'evidenceStatus', methods: ['GET'], route: 'incidents/{id}/evidence-status', handler: consoleApi.evidenceStatusHandler },
  { name: 'consoleSignIn', methods: ['GET'], route: 'console/sign-in', handler: consoleApi.consoleSignInHandler },
  { name: 'devSignIn', methods: ['POST'], route: 'dev/sign-in', handler: consoleApi.devSignInHandler },
  { name: 'getIncident', methods: ['GET'], route: 'incidents/{id}', handler: getIncidentHandler },
  { name: 'getEvidenceContent', methods: ['GET'], route: 'incidents/{id}/evidence/{evidenceId}/content', handler: getEvidenceContentHandler },
  { name: 'getReview', methods: ['GET'], route: 'incidents/{id}/evidence/{evidenceId}/review', handler: review.getReviewHandler },
  { name: 'getReviewPreview', methods: ['GET'], route: 'incidents/{id}/evidence/{evidenceId}/preview', handler: getReviewPreviewHandler },
  { name: 'reviewEdits', methods: ['POST'], route: 'incidents/{id}/evidence/{evidenceId}/review/edits', handler: review.reviewEditsHandler },
  { name: 'approveReview', methods: ['POST'], route: 'incidents/{id}/evidence/{evidenceId}/review/approve', handler: review.approveReviewHandler },
  { name: 'rejectReview', methods: ['POST'], route: 'incidents/{id}/evidence/{evidenceId}/review/reject', handler: review.rejectReviewHandler },
  { name: 'getSettings', methods: ['GET'], route: 'settings', handler: review.getSettingsHandler },
  { name: 'putSettings', methods: ['PUT'], route: 'settings', handler: review.putSettingsHandler },
  { name: 'getUploadState', methods: ['GET'], route: 'incidents/{id}/evidence/{evidenceId}/upload', handler: getUploadStateHandler },
  { name: 'renewUploadUrl', methods: ['POST'], route: 'incidents/{id}/evidence/{evidenceId}/upload-url', handler: renewUploadUrlHandler },
  { name: 'createShare', methods: ['POST'], route: 'incidents/{id}/shares', handler: createShareHandler },
  { name: 'listShares', methods: ['GET'], route: 'incidents/{id}/shares', handler: listSharesHandler },
  { name: 'revokeShare', methods: ['DELETE'], route: 'shares/{shareId}', handler: revokeShareHandler },
  { name: 'patchIncident', methods: ['PATCH'], route: 'incidents/{id}', handler: lifecycle.patchIncidentHandler },
  { name: 'placeHold', methods: ['POST'], route: 'incidents/{id}/hold', handler: lifecycle.placeHoldHandler },
  { name: 'liftHold', methods: ['DELETE'], route: 'incidents/{id}/hold', handler: lifecycle.liftHoldHandler },
  { name: 'listVersions', methods: ['GET'], route: 'incidents/{id}/versions', handler: lifecycle.listVersionsHandler },
  { name: 'revertVersion', methods: ['POST'], route: 'incidents/{id}/versions/{version}/revert', handler: lifecycle.revertVersionHandler },
  { name: 'createPrivacyRequest', methods: ['POST'], route: 'privacy-requests', handler: lifecycle.createPrivacyRequestHandler },
  { name: 'getPrivacyRequest', methods: ['GET'], route: 'privacy-requests/{id}', handler: lifecycle.getPrivacyRequestHandler },
  { name: 'downloadPrivacyExport', methods: ['GET'], route: 'privacy-requests/{id}/download', handler: lifecycle.downloadPrivacyExportHandler },
  { name: 'createWebhook', methods: ['POST'], route: 'webhooks', handler: createWebhookHandler },
  { name: 'listWebhooks', methods: ['GET'], route: 'webhooks', handler: listWebhooksHandler },
  { name: 'deleteWebhook', methods: ['DELETE'], route: 'webhooks/{webhookId}', handler: deleteWebhookHandler },
];

/** The police share page: outside the `api/` prefix, at the link's own path (`/s/{token}`). */
export const pageRoutes: RouteDef[] = [
  { name: 'sharePage', methods: ['GET'], route: 's/{token}', handler: sharePageHandler },
  { name: 'shareMedia', methods: ['GET'], route: 's/{token}/media/{evidenceId}', handler: shareMediaHandler },
  { name: 'shareDownload', methods: ['GET'], route: 's/{token}/download/{evidenceId}', handler: shareDownloadHandler },
  { name: 'consoleIndex', methods: ['GET'], route: 'console', handler: consoleIndexHandler },
  { name: 'consoleFile', methods: ['GET'], route: 'console/{file}', handler: consoleFileHandler },
];

/**
 * Every route with its path prefix. host.json sets `extensions.http.routePrefix` to "" (the host
 * cannot exempt single functions from a prefix), so the `api/` prefix is explicit here, for the
 * Functions host and the local stack alike.
 */
export const API_PREFIX = 'api/';
export const mountedRoutes: MountedRoute[] = [
  ...routes.map((route) => ({ prefix: API_PREFIX, route: tracedRoute(API_PREFIX, route) })),
  ...pageRoutes.map((route) => ({ prefix: '', route: tracedRoute('', route) })),
];

let openApi: Record<string, unknown> | undefined;
/** The OpenAPI document of the mounted `/api` routes, built once per process (the table and schemas are static). */
export const openApiDocument = () => (openApi ??= buildOpenApiDocument(mountedRoutes, API_PREFIX));

/** GET /api/openapi.json — anonymous: the API description holds no data. (A function declaration: the table above refers to it.) */
async function openApiHandler(): ReturnType<RawHandler> {
  return { status: 200, jsonBody: openApiDocument(), headers: { 'cache-control': 'public, max-age=300', 'x-content-type-options': 'nosniff' } };
}
