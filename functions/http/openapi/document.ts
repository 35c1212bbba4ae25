import { z } from 'zod';
import type { MountedRoute } from '../route-def.js';
import { operations, problemExamples } from './operations.js';
import type { OperationDoc } from './types.js';
import { requestSchemas, responseSchemas } from './schemas.js';

/**
 * The OpenAPI 3.1 document of every `/api` route, built from the route table, the operation
 * descriptions and the zod schemas (z.toJSONSchema, JSON Schema 2020-12 = OpenAPI 3.1's dialect).
 * Request bodies are the schemas the use cases validate with, so the document cannot drift from
 * what the API accepts.
 */

type Json = Record<string, unknown>;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Json {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Json;
  return rest;
}

/** Examples as they travel: undefined members dropped. */
const wire = (v: unknown) => (v === undefined ? undefined : (JSON.parse(JSON.stringify(v)) as unknown));

function operation(name: string, doc: OperationDoc, pathParams: string[]): Json {
  const problemStatuses = [...new Set([...(doc.roles ? [401, 403] : []), ...doc.problems, 500])].sort((a, b) => a - b);
  const responses: Json = {};
  for (const [status, r] of Object.entries(doc.responses)) {
    const headers = r.headers ? Object.fromEntries(Object.entries(r.headers).map(([h, d]) => [h, { description: d, schema: { type: 'string' } }])) : undefined;
    const content = r.schema
      ? { 'application/json': { schema: ref(r.schema), ...(r.example !== undefined ? { example: wire(r.example) } : {}) } }
      : r.binary
        ? Object.fromEntries(r.binary.map((t) => [t, { schema: { type: 'string', contentMediaType: t } }]))
        : name === 'openApiDocument'
          ? { 'application/json': { schema: { type: 'object' } } }
          : undefined;
    responses[status] = { description: r.description, ...(headers ? { headers } : {}), ...(content ? { content } : {}) };
  }
  for (const status of problemStatuses) {
    const p = problemExamples[status];
    if (!p) throw new Error(`no problem example for status ${status} (route ${name})`);
    responses[String(status)] = { description: p.description, content: { 'application/problem+json': { schema: ref('Problem'), example: p.example } } };
  }
  const parameters = [
    ...pathParams.map((p) => ({
      name: p,
      in: 'path',
      required: true,
      description: doc.params?.[p] ?? p,
      schema: p === 'version' ? { type: 'string', pattern: '^\\d{1,6}$' } : { type: 'string', pattern: '^[\\w-]{1,64}$' },
    })),
    ...Object.entries(doc.headers ?? {}).map(([h, d]) => ({ name: h, in: 'header', required: false, description: d, schema: { type: 'string' } })),
  ];
  return {
    operationId: name,
    summary: doc.summary,
    ...(doc.description ? { description: doc.description } : {}),
    tags: [doc.tag],
    ...(doc.roles ? { security: [{ bearer: [] }], 'x-roles': doc.roles } : { security: [] }),
    ...(parameters.length ? { parameters } : {}),
    ...(doc.request
      ? { requestBody: { required: true, content: { 'application/json': { schema: ref(doc.request.schema), example: wire(doc.request.example) } } } }
      : {}),
    responses,
  };
}

export function buildOpenApiDocument(mounted: readonly MountedRoute[], apiPrefix: string): Json {
  const paths: Record<string, Json> = {};
  for (const { prefix, route } of mounted) {
    if (prefix !== apiPrefix) continue; // the police share page (/s/…) is HTML for people, not part of the API
    const doc = operations[route.name];
    if (!doc) throw new Error(`route ${route.name} has no OpenAPI description (functions/http/openapi/operations.ts)`);
    const path = `/${prefix}${route.route}`;
    const pathParams = [...route.route.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
    for (const method of route.methods) (paths[path] ??= {})[method.toLowerCase()] = operation(route.name, doc, pathParams);
  }
  const schemas: Record<string, Json> = {};
  for (const [name, s] of Object.entries(requestSchemas)) schemas[name] = jsonSchema(s, 'input');
  for (const [name, s] of Object.entries(responseSchemas)) schemas[name] = jsonSchema(s, 'output');
  return {
    openapi: '3.1.0',
    info: {
      title: 'Bystander API',
      version: '1',
      description:
        'Privacy-first evidence pipeline for retail crime. All routes but `/api/health` and `/api/openapi.json` need `Authorization: Bearer <JWT>` ' +
        '(roles in `x-roles`). Errors are RFC 7807 problem details. Unknown fields are refused.',
    },
    servers: [{ url: '/', description: 'This stamp (one per geography)' }],
    tags: ['system', 'incidents', 'evidence', 'shares', 'lifecycle', 'privacy', 'webhooks'].map((name) => ({ name })),
    paths,
    components: { schemas, securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    webhooks: {
      event: {
        post: {
          summary: 'An event for a registered endpoint (Standard Webhooks)',
          parameters: ['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((h) => ({ name: h, in: 'header', required: true, schema: { type: 'string' } })),
          requestBody: {
            content: {
              'application/json': {
                schema: ref('WebhookPayload'),
                example: { type: 'evidence.quarantined', timestamp: '2026-11-20T09:03:00.000Z', data: { incidentId: '6f1c2b9e-3d4a-4c55-9b1e-2f7a8c9d0e11', evidenceId: '0b7e6a54-8c3d-4f21-a9e0-5d6c7b8a9f10', code: 'verification-failed' } },
              },
            },
          },
          responses: { '2XX': { description: 'Received; anything else is retried with backoff (410 stops)' } },
        },
      },
    },
  };
}
