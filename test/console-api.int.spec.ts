/**
 * The API routes the investigator console adds (issue 13), over HTTP against the local stack (real
 * Cosmos emulator, Azurite, token verifier): the incident list with filters and continuation tokens,
 * an incident's audit trail, the evidence live status, development sign-in, the console page and
 * its CSP, and what the upload URL lets a browser do. Tenant isolation, roles and bad input.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../local/stack.js';
import { DEV_TENANT } from '../local/stack.js';
import { DEV_CONSOLE_TENANT, consoleSignIn, makeDevSignIn } from '../shared/usecases/console-sign-in.js';
import { uploadSasPermissions } from '../shared/adapters/azure/blob-store.js';
import { buildConsole } from '../local/console-build.js';
import azureFunctions from '@azure/functions';
import { devSignInHandler } from '../functions/http/console-api.js';
import { cosmosClient } from '../shared/adapters/azure/cosmos-store.js';
import { COSMOS_EMULATOR_KEY } from '../local/services.js';
import { client, incidentBody, testStack } from './helpers.js';

let stack: Stack;
let admin: string;
let uploader: string;
let investigator: string;
let otherTenant: string;
let noRoles: string;
const video = { fileName: 'cam1.mp4', contentType: 'video/mp4', sizeBytes: 1000 };
const hoursAgo = (h: number) => new Date(Date.now() - h * 3600_000).toISOString();
const created: Array<{ id: string; storeId: string; category: string; occurredAt: string }> = [];

/** The tenant's audit events as stored (the emulator's `audit` container). */
async function auditEvents(tenantId: string): Promise<Array<{ action: string; outcome: string }>> {
  const container = cosmosClient({ endpoint: stack.config.COSMOS__accountEndpoint, key: COSMOS_EMULATOR_KEY }).database(stack.config.COSMOS_DATABASE).container('audit');
  const { resources } = await container.items.query({ query: 'SELECT * FROM c WHERE c.tenantId = @t AND IS_DEFINED(c.seq)', parameters: [{ name: '@t', value: tenantId }] }).fetchAll();
  return resources;
}

async function get(path: string, token?: string) {
  const res = await fetch(`${stack.url}/api/${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as any };
}

beforeAll(async () => {
  stack = await testStack('console-api');
  admin = await stack.devToken(['uploader', 'investigator', 'admin']);
  uploader = await stack.devToken(['uploader']);
  investigator = await stack.devToken(['investigator']);
  otherTenant = await stack.devToken(['uploader', 'investigator', 'admin'], 'tenant-b');
  noRoles = await stack.devToken([]);
  const api = client(stack, admin);
  const specs = [
    { storeId: 'store-1', category: 'theft', h: 50 },
    { storeId: 'store-2', category: 'violence', h: 40 },
    { storeId: 'store-1', category: 'fraud', h: 30 },
    { storeId: 'store-1', category: 'theft', h: 20 },
    { storeId: 'store-2', category: 'theft', h: 10 },
  ];
  for (const s of specs) {
    const res = await api.createIncident(incidentBody([video], { storeId: s.storeId, category: s.category, occurredAt: hoursAgo(s.h) }));
    expect(res.status).toBe(201);
    created.push({ id: res.body.incident.id, storeId: s.storeId, category: s.category, occurredAt: res.body.incident.occurredAt });
  }
  expect((await client(stack, otherTenant).createIncident(incidentBody([video], { storeId: 'store-1' }))).status).toBe(201);
}, 240_000);

afterAll(async () => {
  await stack?.stop();
});

describe('GET /api/incidents', () => {
  it('lists only the caller tenant’s incidents, newest first, as minimised rows', async () => {
    const res = await get('incidents', uploader);
    expect(res.status).toBe(200);
    expect(res.body.incidents.map((i: any) => i.id)).toEqual([...created].reverse().map((c) => c.id));
    const row = res.body.incidents[0];
    expect(Object.keys(row).sort()).toEqual(['category', 'createdAt', 'evidence', 'id', 'occurredAt', 'outcome', 'storeId']);
    expect(row.evidence[0]).toEqual({ id: expect.any(String), status: 'awaiting-upload', mediaKind: 'video' });
    expect(JSON.stringify(res.body)).not.toMatch(/description|subjectHints|dataKey|blobName/i);
    const b = await get('incidents', otherTenant);
    expect(b.body.incidents).toHaveLength(1);
    expect(created.map((c) => c.id)).not.toContain(b.body.incidents[0].id);
  });

  it('filters by store, category, date range and evidence status', async () => {
    const ids = async (q: string) => (await get(`incidents?${q}`, uploader)).body.incidents.map((i: any) => i.id);
    const expected = (f: (c: (typeof created)[number]) => boolean) => [...created].reverse().filter(f).map((c) => c.id);
    expect(await ids('storeId=store-1')).toEqual(expected((c) => c.storeId === 'store-1'));
    expect(await ids('category=theft&storeId=store-1')).toEqual(expected((c) => c.category === 'theft' && c.storeId === 'store-1'));
    const from = hoursAgo(45);
    const to = hoursAgo(15);
    expect(await ids(`from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`)).toEqual(expected((c) => c.occurredAt >= from && c.occurredAt < to));
    expect(await ids('status=awaiting-upload')).toHaveLength(5);
    expect(await ids('status=published')).toEqual([]);
  });

  it('pages with continuation tokens: every incident exactly once, bound to its query', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const res = await get(`incidents?limit=2${token ? `&continuation=${token}` : ''}`, uploader);
      expect(res.status).toBe(200);
      expect(res.body.incidents.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.incidents.map((i: any) => i.id));
      token = res.body.continuation;
      pages++;
    } while (token && pages < 10);
    expect(seen).toEqual([...created].reverse().map((c) => c.id));
    expect(pages).toBe(3);

    const first = await get('incidents?limit=2', uploader);
    const otherFilter = await get(`incidents?limit=2&storeId=store-1&continuation=${first.body.continuation}`, uploader);
    expect(otherFilter.status).toBe(400);
    expect(otherFilter.body.detail).toMatch(/continuation does not belong to this query/);
    const otherTenantUse = await get(`incidents?limit=2&continuation=${first.body.continuation}`, otherTenant);
    expect(otherTenantUse.status).toBe(400);
    expect((await get('incidents?continuation=bm90LWEtdG9rZW4', uploader)).status).toBe(400);
  });

  it('refuses unknown, repeated and malformed query parameters with problem details', async () => {
    const unknown = await get('incidents?storeId=store-1&description=bottles', uploader);
    expect(unknown.status).toBe(400);
    expect(unknown.body.unknownFields).toEqual(['description']);
    expect((await get('incidents?storeId=a&storeId=b', uploader)).body.detail).toMatch(/more than once/);
    for (const q of ['limit=0', 'limit=101', 'limit=abc', 'from=yesterday', 'category=shoplifting', 'status=lost', 'storeId=a%20b', `from=${encodeURIComponent(hoursAgo(1))}&to=${encodeURIComponent(hoursAgo(2))}`]) {
      const res = await get(`incidents?${q}`, uploader);
      expect(res.status, q).toBe(400);
      expect(res.body.type, q).toMatch(/problems\/(validation|bad-request)$/);
    }
  });

  it('needs a token and a role; the read is audited', async () => {
    expect((await get('incidents')).status).toBe(401);
    expect((await get('incidents', noRoles)).status).toBe(403);
    expect((await auditEvents(DEV_TENANT)).some((e) => e.action === 'incident.list' && e.outcome === 'allowed')).toBe(true);
  });
});

describe('GET /api/incidents/{id}/audit', () => {
  it('shows the incident’s own events, newest first, ids and codes only; pages with before', async () => {
    const [a, b] = created;
    await get(`incidents/${a!.id}`, admin);
    const res = await get(`incidents/${a!.id}/audit`, investigator);
    expect(res.status).toBe(200);
    const actions = res.body.events.map((e: any) => e.action);
    expect(actions).toContain('incident.create');
    expect(actions).toContain('incident.read');
    expect(actions[0]).toBe('audit.read'); // this very read, recorded before it was answered
    const seqs = res.body.events.map((e: any) => e.seq);
    expect([...seqs].sort((x: number, y: number) => y - x)).toEqual(seqs);
    expect(JSON.stringify(res.body)).not.toContain(b!.id);
    expect(JSON.stringify(res.body)).not.toMatch(/hmac|prevHash|"hash"/);
    const page = await get(`incidents/${a!.id}/audit?limit=1`, investigator);
    expect(page.body.events).toHaveLength(1);
    const next = await get(`incidents/${a!.id}/audit?limit=1&before=${page.body.nextBefore}`, investigator);
    expect(next.body.events[0].seq).toBeLessThan(page.body.events[0].seq);
  });

  it('is tenant-scoped, investigator/admin only, with strict query validation', async () => {
    const id = created[0]!.id;
    expect((await get(`incidents/${id}/audit`, otherTenant)).status).toBe(404);
    expect((await get(`incidents/${id}/audit`, uploader)).status).toBe(403);
    expect((await get(`incidents/${id}/audit`)).status).toBe(401);
    expect((await get(`incidents/${id}/audit?limit=500`, investigator)).status).toBe(400);
    expect((await get(`incidents/${id}/audit?tenantId=tenant-b`, investigator)).body.unknownFields).toEqual(['tenantId']);
    expect((await auditEvents('tenant-b')).some((e) => e.action === 'audit.read' && e.outcome === 'denied')).toBe(true);
  });
});

describe('GET /api/incidents/{id}/evidence-status', () => {
  it('returns each item’s status (live stage while processing), tenant-scoped, no parameters', async () => {
    const id = created[0]!.id;
    const res = await get(`incidents/${id}/evidence-status`, uploader);
    expect(res.status).toBe(200);
    expect(res.body.evidence).toEqual([{ id: expect.any(String), status: 'awaiting-upload' }]);
    expect((await get(`incidents/${id}/evidence-status`, otherTenant)).status).toBe(404);
    expect((await get(`incidents/${id}/evidence-status`, noRoles)).status).toBe(403);
    expect((await get(`incidents/${id}/evidence-status?x=1`, uploader)).status).toBe(400);
  });
});

describe('sign-in for the console', () => {
  it('locally: development sign-in issues a stack token the ordinary verifier accepts', async () => {
    const res = await fetch(`${stack.url}/api/dev/sign-in`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ roles: ['uploader'] }) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body).toMatchObject({ tokenType: 'Bearer', tenantId: DEV_TENANT, roles: ['uploader'] });
    expect((await get('incidents', body.accessToken)).status).toBe(200);
    expect((await get(`incidents/${created[0]!.id}/audit`, body.accessToken)).status).toBe(403); // the roles it asked for, no more
    const config = await get('console/sign-in');
    expect(config.body).toEqual({ signIn: 'development', tenantId: DEV_TENANT, roles: ['uploader', 'investigator', 'admin'] });
    expect(DEV_CONSOLE_TENANT).toBe(DEV_TENANT);
  });

  it('refuses bad development sign-in bodies', async () => {
    const post = (body: string, type = 'application/json') => fetch(`${stack.url}/api/dev/sign-in`, { method: 'POST', headers: { 'content-type': type }, body });
    expect((await post(JSON.stringify({ roles: ['superuser'] }))).status).toBe(400);
    expect((await post(JSON.stringify({ roles: ['admin'], tenantId: 'tenant-b' }))).status).toBe(400);
    expect((await post(JSON.stringify({ subject: 'someone@example.com' }))).status).toBe(400);
    expect((await post('{'))).toHaveProperty('status', 400);
    expect((await post('x', 'text/plain')).status).toBe(415);
  });

  it('in Azure mode the route answers 404 even where a development signer exists (the handler, over the Functions request type)', async () => {
    const { HttpRequest, InvocationContext } = azureFunctions;
    const azureApp = { ...stack.app, deps: { ...stack.app.deps, config: { ...stack.config, BYSTANDER_MODE: 'azure' as const } } };
    const env = { app: azureApp, orchestrations: () => stack.runtime };
    const request = (body: string) =>
      new HttpRequest({ method: 'POST', url: `${stack.url}/api/dev/sign-in`, headers: { 'content-type': 'application/json' }, body: { string: body } });
    const refused = await devSignInHandler(request('{"roles":["admin"]}'), new InvocationContext(), env);
    expect(refused.status).toBe(404);
    expect(JSON.stringify(refused.jsonBody)).not.toMatch(/accessToken|eyJ/);
    expect((await devSignInHandler(request('{"roles":["admin"]}'), new InvocationContext(), { app: stack.app, orchestrations: () => stack.runtime })).status).toBe(200); // same request, local mode
  });

  it('in Azure mode: development sign-in is refused (404) and the console signs in with Entra ID', async () => {
    const signIn = makeDevSignIn('azure', stack.app.devTokens, DEV_TENANT);
    await expect(signIn({ roles: ['admin'] })).rejects.toMatchObject({ problem: { status: 404 } });
    const entra = { BYSTANDER_MODE: 'azure' as const, CONSOLE_ENTRA_CLIENT_ID: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee', CONSOLE_ENTRA_AUTHORITY: 'https://login.microsoftonline.com/t-1/', CONSOLE_API_SCOPE: 'api://bystander/access' };
    expect(consoleSignIn(entra, DEV_TENANT)).toEqual({ signIn: 'entra', authority: 'https://login.microsoftonline.com/t-1', clientId: entra.CONSOLE_ENTRA_CLIENT_ID, scope: 'api://bystander/access' });
    expect(consoleSignIn({ BYSTANDER_MODE: 'azure' }, DEV_TENANT)).toMatchObject({ signIn: 'unavailable' });
  });
});

describe('the console page', () => {
  it('is served by the stamp under a strict CSP: own origin, its blob endpoint, no inline code', async () => {
    await buildConsole();
    const page = await fetch(`${stack.url}/console/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const blobOrigin = new URL(stack.services.blobEndpoint).origin;
    expect(page.headers.get('content-security-policy')).toBe(
      `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; media-src 'self' blob:; connect-src 'self' ${blobOrigin}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    );
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    const html = await page.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)/); // no inline script
    expect(html).not.toMatch(/\sstyle=|<style/); // no inline style
    expect(html).not.toMatch(/https?:\/\//); // no external asset
    const js = await fetch(`${stack.url}/console/main.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    for (const bad of ['..%2Fpackage.json', 'Main.js', 'x.map', 'nothing.js']) expect((await fetch(`${stack.url}/console/${bad}`)).status, bad).toBe(404);
  });
});

describe('the upload URL from a browser (Azurite)', () => {
  it('can stage blocks and commit them once, but never read the blob, its block list, list or delete', async () => {
    const res = await client(stack, uploader).createIncident(incidentBody([{ ...video, sizeBytes: 8 }]));
    const url: string = res.body.uploads[0].url;
    expect(new URL(url).searchParams.get('sp')).toBe(uploadSasPermissions('emulator'));
    expect(uploadSasPermissions('azure')).toBe('c'); // service version 2026-04-06: Create covers Put Block and Put Block List
    const id = (n: number) => encodeURIComponent(Buffer.from(`${String(n).padStart(5, '0')}-x`).toString('base64'));
    expect((await fetch(`${url}&comp=block&blockid=${id(0)}`, { method: 'PUT', body: 'abcd' })).status).toBe(201);
    expect((await fetch(`${url}&comp=block&blockid=${id(1)}`, { method: 'PUT', body: 'efgh' })).status).toBe(201);
    expect((await fetch(`${url}&comp=blocklist`)).status).toBe(403); // Get Block List: the app does it, not the URL
    const xml = `<?xml version="1.0" encoding="utf-8"?><BlockList><Latest>${decodeURIComponent(id(0))}</Latest><Latest>${decodeURIComponent(id(1))}</Latest></BlockList>`;
    const commit = () => fetch(`${url}&comp=blocklist`, { method: 'PUT', headers: { 'if-none-match': '*', 'x-ms-blob-content-type': 'video/mp4' }, body: xml });
    expect((await commit()).status).toBe(201);
    expect((await commit()).status).toBe(409); // If-None-Match: * — the console never overwrites
    expect((await fetch(url)).status).toBe(403);
    expect((await fetch(url, { method: 'DELETE' })).status).toBe(403);
    const container = url.replace(/\/[^/]+\/[^/]+\/[^/?]+\?/, '?');
    expect((await fetch(`${container}&restype=container&comp=list`)).status).toBe(403);
  });
});
