import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { createConfig, lintFromString } from '@redocly/openapi-core';
import openapiTS, { astToString } from 'openapi-typescript';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { API_PREFIX, mountedRoutes, routes } from '../routes.js';
import { buildOpenApiDocument } from './document.js';
const build = () => buildOpenApiDocument(mountedRoutes, API_PREFIX);
import { operations, problemExamples } from './operations.js';
import { ProblemSchema, requestSchemas, responseSchemas, IncidentViewSchema, PrivacyRequestViewSchema, ShareViewSchema, WebhookViewSchema } from './schemas.js';
import { toIncidentView } from '../../../shared/domain/incident.js';
import { toShareView } from '../../../shared/domain/share.js';
import { toPrivacyRequestView } from '../../../shared/domain/lifecycle.js';
import { toWebhookView } from '../../../shared/webhooks/endpoint.js';
import { evidence, T0 } from '../../../test/shares/fakes.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const doc = build() as Json;
const apiRoutes = mountedRoutes.filter((m) => m.prefix === API_PREFIX);
const root = fileURLToPath(new URL('../../../', import.meta.url));

describe('OpenAPI document (contract)', () => {
  it('describes every mounted /api route and method, with its path parameters', () => {
    expect(apiRoutes.length).toBe(routes.length);
    for (const { prefix, route } of apiRoutes) {
      expect(operations[route.name], `route ${route.name} has no description`).toBeDefined();
      const path = doc.paths[`/${prefix}${route.route}`];
      expect(path, `path of ${route.name}`).toBeDefined();
      for (const m of route.methods) {
        const op = path[m.toLowerCase()];
        expect(op?.operationId, `${m} ${route.route}`).toBe(route.name);
        const params = [...route.route.matchAll(/\{(\w+)\}/g)].map((x) => x[1]);
        expect(op.parameters?.filter((p: Json) => p.in === 'path').map((p: Json) => p.name) ?? []).toEqual(params);
        for (const p of params) expect(operations[route.name]!.params?.[p!], `${route.name} documents {${p}}`).toBeTruthy();
      }
    }
    // Nothing documented that is not mounted (a removed route leaves no stale description).
    expect(Object.keys(operations).sort()).toEqual(apiRoutes.map((m) => m.route.name).sort());
    expect(doc.openapi).toBe('3.1.0');
  });

  it('a route added to the table without a description makes the document fail to build', () => {
    routes.push({ name: 'undocumentedRoute', methods: ['GET'], route: 'undocumented', handler: async () => ({ status: 204 }) });
    mountedRoutes.push({ prefix: API_PREFIX, route: routes.at(-1)! });
    try {
      expect(() => build()).toThrow(/undocumentedRoute has no OpenAPI description/);
    } finally {
      routes.pop();
      mountedRoutes.pop();
    }
  });

  it('every route that takes a JSON body documents it with the schema its use case validates with', () => {
    const bodyless = new Set(['revertVersion']); // POST without a body
    for (const { route } of apiRoutes) {
      const writes = route.methods.some((m) => m === 'POST' || m === 'PATCH' || m === 'PUT');
      const op = operations[route.name]!;
      if (writes && !bodyless.has(route.name)) expect(op.request, `${route.name} documents its body`).toBeDefined();
    }
    for (const [name, schema] of Object.entries(requestSchemas)) {
      const { $schema: _dialect, ...expected } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
      expect(doc.components.schemas[name], name).toEqual(expected);
      // Strict request schemas: unknown fields are refused, and the document says so.
      expect(doc.components.schemas[name].additionalProperties, name).toBe(false);
    }
    for (const name of Object.keys(responseSchemas)) expect(doc.components.schemas[name], name).toBeDefined();
  });

  it('every example validates against the zod schema it documents (requests, responses, problems)', () => {
    let checked = 0;
    for (const [name, op] of Object.entries(operations)) {
      if (op.request) {
        const r = requestSchemas[op.request.schema].safeParse(op.request.example);
        expect(r.success, `${name} request example: ${r.error?.message}`).toBe(true);
        checked++;
      }
      for (const [status, res] of Object.entries(op.responses)) {
        if (!res.schema) continue;
        expect(res.example, `${name} ${status} has an example`).toBeDefined();
        const r = responseSchemas[res.schema].safeParse(JSON.parse(JSON.stringify(res.example)));
        expect(r.success, `${name} ${status} example: ${r.error?.message}`).toBe(true);
        checked++;
      }
    }
    for (const [status, p] of Object.entries(problemExamples)) {
      expect(ProblemSchema.safeParse(p.example).success, `problem ${status}`).toBe(true);
      expect(p.example.status).toBe(Number(status));
    }
    expect(checked).toBeGreaterThan(20);
  });

  it('an example that does not match its schema is caught', () => {
    const bad = { ...(operations.createIncident!.request!.example as Json), customerName: 'x' };
    expect(requestSchemas.CreateIncident.safeParse(bad).success).toBe(false);
  });

  it('every authenticated operation lists bearer security and problem-details responses (401, 403, 500)', () => {
    for (const { route } of apiRoutes) {
      for (const m of route.methods) {
        const op = doc.paths[`/${API_PREFIX}${route.route}`][m.toLowerCase()];
        for (const [status, r] of Object.entries<Json>(op.responses)) {
          const documentedBody = operations[route.name]!.responses[Number(status)]?.schema; // e.g. health's 503 is its JSON state
          if (Number(status) >= 400 && !documentedBody) expect(Object.keys(r.content), `${route.name} ${status}`).toEqual(['application/problem+json']);
        }
        expect(op.responses['500']).toBeDefined();
        if (operations[route.name]!.roles) {
          expect(op.security).toEqual([{ bearer: [] }]);
          expect(op.responses['401'] && op.responses['403']).toBeTruthy();
        } else expect(op.security).toEqual([]);
      }
    }
  });

  it('is a valid OpenAPI 3.1 document whose examples match its JSON Schemas (Redocly lint)', async () => {
    const config = await createConfig({
      extends: ['minimal'],
      rules: { 'no-invalid-media-type-examples': { severity: 'error', allowAdditionalProperties: false }, 'no-invalid-schema-examples': 'error', struct: 'error' },
    });
    const problems = await lintFromString({ source: JSON.stringify(doc), absoluteRef: 'openapi.json', config });
    const errors = problems.filter((p) => p.severity === 'error').map((p) => `${p.ruleId}: ${p.message} at ${p.location[0]?.pointer}`);
    expect(errors).toEqual([]);
  });

  it('response schemas accept what the view functions really return, and nothing more', () => {
    const published = { ...evidence('ev-1', 'published'), summary: { frames: 10 }, publishedAt: T0.toISOString() };
    const quarantined = { ...evidence('ev-2', 'quarantined'), quarantine: { code: 'verification-failed', reason: 'a face was found', at: T0.toISOString() } };
    const incident = {
      id: 'inc-1', tenantId: 't1', geography: 'au', storeId: 's1', occurredAt: T0.toISOString(), category: 'theft' as const, outcome: 'none' as const,
      description: 'd', evidence: [published, quarantined], createdAt: T0.toISOString(), createdBy: 'u', updatedAt: T0.toISOString(),
      legalHold: { reason: 'court order', placedAt: T0.toISOString(), placedBy: 'u' }, deleteAfter: T0.toISOString(),
    };
    const view = toIncidentView(incident);
    expect(IncidentViewSchema.parse(view)).toBeTruthy();
    expect(IncidentViewSchema.safeParse({ ...view, secretField: 1 }).success).toBe(false);
    const share = {
      id: 'sh-1', tenantId: 't1', incidentId: 'inc-1', evidenceIds: ['ev-1'], recipient: { agency: 'Police', officerEmail: 'o@police.example', webhookUrl: 'https://h.police.example/x' },
      purpose: 'investigation' as const, accessMode: 'view' as const, status: 'active' as const, tokenHash: 'a'.repeat(64), createdAt: T0.toISOString(), createdBy: 'u',
      expiresAt: new Date(T0.getTime() + 3600_000).toISOString(), access: { views: 1, media: 0, downloads: 0, denied: 0 }, updatedAt: T0.toISOString(),
    };
    expect(ShareViewSchema.parse(toShareView(share, T0))).toBeTruthy();
    const privacy = {
      id: 'pr-1', tenantId: 't1', type: 'access' as const, status: 'completed' as const, incidentIds: ['inc-1'], createdAt: T0.toISOString(), createdBy: 'u',
      results: [{ incidentId: 'inc-1', outcome: 'exported' as const }], export: { blobName: 'b', sha256: 'a'.repeat(64), sizeBytes: 1, expiresAt: new Date(T0.getTime() + 86400_000).toISOString() },
      completedAt: T0.toISOString(), updatedAt: T0.toISOString(),
    };
    expect(PrivacyRequestViewSchema.parse(toPrivacyRequestView(privacy, T0))).toBeTruthy();
    expect(WebhookViewSchema.parse(toWebhookView({ id: 'w1', tenantId: 't1', url: 'https://h.example/x', events: ['share.viewed'], createdAt: T0.toISOString(), createdBy: 'u' }))).toBeTruthy();
  });

  it('is served at GET /api/openapi.json without a token', async () => {
    const route = routes.find((r) => r.route === 'openapi.json')!;
    expect(route.methods).toEqual(['GET']);
    const res = await route.handler(undefined as never, undefined as never, undefined as never);
    expect(res.status).toBe(200);
    expect((res.jsonBody as Json).paths['/api/openapi.json']).toBeDefined();
  });

  it('a client generated from it with openapi-typescript compiles against the document (and a wrong call does not)', async () => {
    const ast = await openapiTS(JSON.parse(JSON.stringify(doc)));
    const dir = await mkdtemp(join(root, '.openapi-client-'));
    try {
      await writeFile(join(dir, 'bystander-api.d.ts'), astToString(ast));
      const client = (body: string) => `import createClient from 'openapi-fetch';
import type { paths, components } from './bystander-api.js';
const api = createClient<paths>({ baseUrl: 'http://127.0.0.1:7071', headers: { authorization: 'Bearer x' } });
export async function run(): Promise<components['schemas']['Incident'] | undefined> {
  ${body}
}
`;
      const good = client(`const { data } = await api.POST('/api/incidents', { body: { storeId: 's', occurredAt: '2026-11-20T08:15:00Z', category: 'theft', description: 'd',
    evidence: [{ fileName: 'a.mp4', contentType: 'video/mp4', sizeBytes: 1 }] } });
  const hooks = await api.GET('/api/webhooks');
  hooks.data?.webhooks.map((w) => w.events);
  await api.DELETE('/api/webhooks/{webhookId}', { params: { path: { webhookId: 'w' } } });
  return data?.incident;`);
      const bad = client(`const { data } = await api.POST('/api/incidents', { body: { storeId: 's', occurredAt: 'x', category: 'shoplifting', description: 'd', evidence: [] } });
  return data?.incident;`);
      await writeFile(join(dir, 'good.ts'), good);
      await writeFile(join(dir, 'bad.ts'), bad);
      const tsc = (file: string) =>
        promisify(execFile)(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck', join(dir, file)], { cwd: root }).then(
          () => '',
          (err: { stdout: string }) => err.stdout,
        );
      expect(await tsc('good.ts')).toBe('');
      expect(await tsc('bad.ts')).toMatch(/shoplifting/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
