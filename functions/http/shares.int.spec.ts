/**
 * Sharing through the real HTTP handlers (local server = the route table the Functions host
 * registers), against Azurite and the Cosmos DB emulator, with the shareLifecycle orchestration run
 * by the replay runtime. The clock is a test clock shared by the app and the timers, so expiry is
 * tested at the boundary without waiting. Evidence is published as a fixture (record + blob) here;
 * the browser test publishes through the real pipeline.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CosmosClient } from '@azure/cosmos';
import { loadConfig } from '../../shared/config/config.js';
import { COSMOS_CONTAINERS, createApp, type App } from '../../shared/composition.js';
import { CONTAINERS } from '../../shared/domain/incident.js';
import { newShareToken } from '../../shared/domain/share.js';
import { encryptBuffer } from '../../shared/crypto/segmented-aead.js';
import { dataKeyRefFor } from '../../shared/crypto/key-wrapper.js';
import { readOutboxLink } from '../../shared/adapters/notify/outbox.js';
import { updateIncident } from '../../shared/usecases/update-incident.js';
import { shareInstanceId } from '../../shared/usecases/shares.js';
import { COSMOS_EMULATOR_KEY, type LocalServices } from '../../local/services.js';
import { localSettings } from '../../local/stack.js';
import { createLocalHttpServer } from '../../local/http-server.js';
import { LocalOrchestrationRuntime, type TimerScheduler } from '../../local/orchestration-runtime.js';
import { activities, orchestrators } from '../registry.js';
import { mountedRoutes } from './routes.js';
import { ManualClock, RecordingLogger } from '../../test/shares/fakes.js';
import { timedGet } from '../../test/shares/http-fixture.js';
import type { Role } from '../../shared/auth/tokens.js';

const DB = 'it-shares';
const TENANT = 'tenant-a';
const HOUR = 3600_000;
// The test's clock starts at the real hour (Azurite checks SAS expiry and jose token times against the
// real clock) and then moves only when the test moves it.
const T0 = new Date(Math.floor(Date.now() / HOUR) * HOUR);

let app: App;
let server: Server;
let url: string;
let runtime: LocalOrchestrationRuntime;
let dataDir: string;
const clock = new ManualClock(T0.getTime());
const logger = new RecordingLogger();
const timers: { at: Date; fn: () => void; cancelled: boolean }[] = [];
const scheduler: TimerScheduler = {
  schedule(at, fn) {
    const t = { at, fn, cancelled: false };
    timers.push(t);
    return () => (t.cancelled = true);
  },
};
function advanceTo(to: Date | string) {
  clock.set(to);
  for (const t of timers.splice(0)) {
    if (t.cancelled) continue;
    if (t.at.getTime() <= clock.now().getTime()) t.fn();
    else timers.push(t);
  }
}

const token = (roles: Role[] = ['investigator'], tenantId = TENANT, subject = 'inv-1') => app.devTokens!.sign({ tenantId, subject, roles }, 48 * 3600 * 365);
async function api(method: string, path: string, body?: unknown, bearer?: string) {
  const res = await fetch(`${url}/api/${path}`, {
    method,
    headers: { authorization: `Bearer ${bearer ?? (await token())}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as any) : undefined };
}
const police = (path: string, headers: Record<string, string> = {}) => fetch(`${url}${path}`, { headers: { 'x-forwarded-for': '203.0.113.10', ...headers } });
const pathOf = (link: string) => new URL(link).pathname;

const VIDEO = randomBytes(300_000);
const IMAGE = randomBytes(4_000);

/** Creates an incident through the API and publishes its items as fixtures (blob + record). */
async function publishedIncident(quarantineSecond = false) {
  const created = await api('POST', 'incidents', {
    storeId: 'store-7',
    occurredAt: new Date(T0.getTime() - 23 * HOUR).toISOString(),
    category: 'theft',
    description: 'Items concealed near the exit',
    evidence: [
      { fileName: 'aisle.mp4', contentType: 'video/mp4', sizeBytes: VIDEO.length },
      { fileName: 'still.jpg', contentType: 'image/jpeg', sizeBytes: IMAGE.length },
    ],
  }, await token(['uploader', 'investigator']));
  expect(created.status).toBe(201);
  const incidentId: string = created.body.incident.id;
  const [video, image] = created.body.uploads.map((u: { evidenceId: string }) => u.evidenceId) as [string, string];
  // Sealed with the incident's data key, as the worker writes redacted media.
  const wrapped = (await app.deps.incidents.get(TENANT, incidentId))!.doc.dataKey!;
  const key = await app.deps.dataKeys.open({ tenantId: TENANT, incidentId }, wrapped);
  for (const [id, data, type] of [[video, VIDEO, 'video/mp4'], [image, IMAGE, 'image/jpeg']] as const) {
    const blobName = `${TENANT}/${incidentId}/${id}/redacted.a1`;
    const sealed = encryptBuffer(data, { key, keyRef: dataKeyRefFor({ tenantId: TENANT, incidentId }) });
    await app.deps.blobs.upload(CONTAINERS.evidence, blobName, sealed, { contentType: 'application/octet-stream' });
    await updateIncident(app.deps, TENANT, incidentId, (i) => {
      const e = i.evidence.find((x) => x.id === id)!;
      if (quarantineSecond && id === image) {
        e.status = 'quarantined';
        e.quarantine = { code: 'verification-failed', reason: 'a face remained', at: clock.now().toISOString() };
      } else {
        e.status = 'published';
        e.redacted = { blobName, sha256: 'b'.repeat(64), sizeBytes: data.length, storedBytes: sealed.length, contentType: type, reportBlobName: 'r' };
        e.publishedAt = clock.now().toISOString();
      }
      return i;
    });
  }
  return { incidentId, video, image };
}

async function settle() {
  for (let i = 0; i < 20; i++) {
    await runtime.idle();
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function shareAndLink(incidentId: string, evidenceIds: string[], extra: Record<string, unknown> = {}) {
  const res = await api('POST', `incidents/${incidentId}/shares`, {
    recipient: { agency: 'City Police', officerEmail: 'officer@police.example' },
    purpose: 'investigation',
    evidenceIds,
    accessMode: 'view',
    ...extra,
  });
  expect(res.status).toBe(201);
  await settle();
  const link = await readOutboxLink(join(dataDir, 'outbox'), res.body.id, TENANT);
  expect(link).toBeDefined();
  return { share: res.body, link: link!, path: pathOf(link!) };
}

beforeAll(async () => {
  const services = inject('services');
  dataDir = await mkdtemp(join(tmpdir(), 'bystander-shares-it-'));
  const config = loadConfig(localSettings({ ...services, pids: [], stop: async () => undefined } as LocalServices, dataDir, { COSMOS_DATABASE: DB }));
  let base = '';
  app = await createApp(config, { clock, logger, publicBaseUrl: () => base });
  runtime = new LocalOrchestrationRuntime(orchestrators, activities(async () => app), clock, logger, scheduler, 0);
  server = createLocalHttpServer(mountedRoutes, { app, orchestrations: () => runtime });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  runtime?.stop();
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
});

describe('share API (investigators)', () => {
  it('creates a share (201, Location, no token), lists it, and refuses bad input, wrong roles and other tenants', async () => {
    const { incidentId, video, image } = await publishedIncident(true);
    const body = { recipient: { agency: 'City Police', officerEmail: 'officer@police.example' }, purpose: 'prosecution', evidenceIds: [video], accessMode: 'view-download' };

    const unknown = await api('POST', `incidents/${incidentId}/shares`, { ...body, officerName: 'DS Jones' });
    expect(unknown.status).toBe(400);
    expect(unknown.headers.get('content-type')).toBe('application/problem+json');
    expect(unknown.body.unknownFields).toEqual(['officerName']);

    const quarantined = await api('POST', `incidents/${incidentId}/shares`, { ...body, evidenceIds: [video, image] });
    expect(quarantined.status).toBe(422);
    expect(quarantined.body.refused).toEqual([{ evidenceId: image, status: 'quarantined' }]);

    expect((await api('POST', `incidents/${incidentId}/shares`, body, await token(['uploader']))).status).toBe(403);
    expect((await api('POST', `incidents/${incidentId}/shares`, body, await token(['investigator'], 'tenant-b'))).status).toBe(404);
    expect((await api('POST', `incidents/${incidentId}/shares`, { ...body, expiresInHours: 24 * 7 + 1 })).status).toBe(400);

    const created = await api('POST', `incidents/${incidentId}/shares`, body);
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`/api/shares/${created.body.id}`);
    expect(created.body).toMatchObject({ status: 'pending', accessMode: 'view-download', purpose: 'prosecution', evidenceIds: [video] });
    expect(Date.parse(created.body.expiresAt) - clock.now().getTime()).toBe(72 * HOUR);
    expect(JSON.stringify(created.body)).not.toMatch(/token|hash/i);
    await settle();

    const list = await api('GET', `incidents/${incidentId}/shares`);
    expect(list.status).toBe(200);
    expect(list.body.shares).toEqual([expect.objectContaining({ id: created.body.id, status: 'active', access: { views: 0, media: 0, downloads: 0, denied: 0 } })]);
    expect((await api('GET', `incidents/${incidentId}/shares`, undefined, await token(['investigator'], 'tenant-b'))).status).toBe(404);
    expect((await api('GET', `incidents/${incidentId}/shares`, undefined, await token(['uploader']))).status).toBe(403);
    expect((await api('DELETE', `shares/${created.body.id}`, undefined, await token(['admin'], 'tenant-b'))).status).toBe(404);
    expect((await api('DELETE', `shares/${created.body.id}`, undefined, await token(['uploader']))).status).toBe(403);
  });
});

describe('the police page', () => {
  it('serves the page with strict headers, media with Range (206), and counts every access', async () => {
    const { incidentId, video, image } = await publishedIncident();
    const { share, path } = await shareAndLink(incidentId, [video, image]);
    const page = await police(path);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toContain('no-store');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('x-robots-tag')).toContain('noindex');
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/media-src 'self'/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    const html = await page.text();
    expect(html).toContain(`<video controls preload="metadata" playsinline src="${path}/media/${video}">`);
    expect(html).toContain(`<img src="${path}/media/${image}"`);
    expect(html).toContain('City Police');
    expect(html).not.toContain('/download/');

    const ranged = await police(`${path}/media/${video}`, { range: 'bytes=1000-1999' });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-range')).toBe(`bytes 1000-1999/${VIDEO.length}`);
    expect(ranged.headers.get('content-disposition')).toBe('inline');
    expect(ranged.headers.get('cache-control')).toContain('no-store');
    expect(Buffer.from(await ranged.arrayBuffer()).equals(VIDEO.subarray(1000, 2000))).toBe(true);
    const whole = await police(`${path}/media/${image}`);
    expect(whole.status).toBe(200);
    expect(Buffer.from(await whole.arrayBuffer()).equals(IMAGE)).toBe(true);
    expect((await police(`${path}/media/${video}`, { range: `bytes=${VIDEO.length}-` })).status).toBe(416);

    const noDownload = await police(`${path}/download/${video}`);
    expect(noDownload.status).toBe(404);
    expect(await noDownload.text()).toContain('This link is not available');

    const list = await api('GET', `incidents/${incidentId}/shares`);
    expect(list.body.shares[0].access).toEqual({ views: 1, media: 2, downloads: 0, denied: 1 });
    expect(list.body.shares[0].id).toBe(share.id);
  });

  it('view+download shares offer an attachment download', async () => {
    const { incidentId, video } = await publishedIncident();
    const { path } = await shareAndLink(incidentId, [video], { accessMode: 'view-download' });
    expect(await (await police(path)).text()).toContain(`href="${path}/download/${video}"`);
    const dl = await police(`${path}/download/${video}`);
    expect(dl.status).toBe(200);
    expect(dl.headers.get('content-disposition')).toBe('attachment; filename="redacted-aisle.mp4"');
    expect(Buffer.from(await dl.arrayBuffer()).equals(VIDEO)).toBe(true);
  });

  it('unknown, revoked and expired links get the same neutral page and status; revocation is immediate', async () => {
    const { incidentId, video } = await publishedIncident();
    const a = await shareAndLink(incidentId, [video]);
    const b = await shareAndLink(incidentId, [video], { expiresInHours: 1 });
    expect((await police(a.path)).status).toBe(200);

    const revoked = await api('DELETE', `shares/${a.share.id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.status).toBe('revoked');
    await settle();
    expect((await runtime.status(shareInstanceId(a.share.id)))?.runtimeStatus).toBe('Completed');

    advanceTo(new Date(Date.parse(b.share.expiresAt) - 1));
    expect((await police(b.path)).status).toBe(200);
    advanceTo(b.share.expiresAt);

    const responses = await Promise.all([a.path, b.path, `/s/${newShareToken()}`, '/s/not-a-token', `${a.path}/media/${video}`].map((p) => police(p)));
    const seen = await Promise.all(
      responses.map(async (r) => ({ status: r.status, body: await r.text(), csp: r.headers.get('content-security-policy'), type: r.headers.get('content-type') })),
    );
    for (const s of seen) expect(s).toEqual(seen[0]);
    expect(seen[0]!.status).toBe(404);
  });

  it('expires by the durable timer: marks the share expired and tells the sharer', async () => {
    const { incidentId, video } = await publishedIncident();
    const { share } = await shareAndLink(incidentId, [video], { expiresInHours: 2, notifySharerEmail: 'lp@retailer.example' });
    advanceTo(share.expiresAt);
    const done = await runtime.waitForCompletion(shareInstanceId(share.id));
    expect(done.output).toEqual({ status: 'expired', shareId: share.id });
    const list = await api('GET', `incidents/${incidentId}/shares`);
    expect(list.body.shares.find((s: { id: string }) => s.id === share.id).status).toBe('expired');
    const folder = join(dataDir, 'outbox', TENANT, share.id);
    const messages = await Promise.all((await readdir(folder)).map(async (f) => JSON.parse(await readFile(join(folder, f), 'utf8'))));
    expect(messages.map((m) => m.kind).sort()).toEqual(['share-ended', 'share-link']);
    expect(messages.find((m) => m.kind === 'share-ended')).toMatchObject({ reason: 'expired', to: { sharerId: 'inv-1', email: 'lp@retailer.example' } });
  });

  it('evidence erased after sharing makes the share dead', async () => {
    const { incidentId, video } = await publishedIncident();
    const { path } = await shareAndLink(incidentId, [video]);
    expect((await police(path)).status).toBe(200);
    await app.deps.incidents.delete(TENANT, incidentId);
    expect((await police(path)).status).toBe(404);
    expect((await police(`${path}/media/${video}`)).status).toBe(404);
  });

  it('rate-limits invalid attempts per client, then refuses that client even with a valid link', async () => {
    const { incidentId, video } = await publishedIncident();
    const { path } = await shareAndLink(incidentId, [video]);
    // Clients are told apart by their socket address (other loopback addresses), never by headers they set.
    const attacker = '127.0.0.99';
    for (let i = 0; i < 20; i++) expect((await timedGet(`${url}/s/${newShareToken()}`, attacker, { 'x-forwarded-for': `192.0.2.${i}` })).status).toBe(404);
    const limited = await timedGet(`${url}${path}`, attacker, { 'x-forwarded-for': '192.0.2.100' });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await timedGet(`${url}${path}`, '127.0.0.100')).status).toBe(200);
  });

  it('audits creation, views, media, denials and revocation on the tenant chain, and never stores or logs the token', async () => {
    const { incidentId, video } = await publishedIncident();
    const { share, path, link } = await shareAndLink(incidentId, [video]);
    const secret = link.slice(link.lastIndexOf('/') + 1);
    await police(path);
    await (await police(`${path}/media/${video}`, { range: 'bytes=0-99' })).arrayBuffer();
    await (await police(`${path}/media/${video}`, { range: 'bytes=100-199' })).arrayBuffer(); // coalesced
    await api('DELETE', `shares/${share.id}`);
    await police(path);
    await app.deps.sharing.denials.idle(); // a known link's denial is audited after its response

    const cosmos = new CosmosClient({ endpoint: inject('services').cosmosEndpoint, key: COSMOS_EMULATOR_KEY, connectionPolicy: { enableEndpointDiscovery: false } });
    const { resources: events } = await cosmos
      .database(DB)
      .container('audit')
      .items.query({ query: 'SELECT * FROM c WHERE c.tenantId = @t', parameters: [{ name: '@t', value: TENANT }] })
      .fetchAll();
    const mine = events.filter((e) => e.target?.shareId === share.id).sort((x, y) => x.seq - y.seq);
    expect(mine.map((e) => `${e.action}:${e.outcome}`)).toEqual(['share.create:succeeded', 'share.view:allowed', 'share.media:allowed', 'share.revoke:succeeded', 'share.denied:denied']);
    expect(mine.find((e) => e.action === 'share.view')).toMatchObject({ actor: { type: 'police-link', id: share.id }, origin: { channel: 'share-page' } });
    expect(mine.at(-1)).toMatchObject({ reason: 'share-revoked' });

    // The token appears nowhere: no Cosmos container, no log line, no orchestration history.
    for (const container of COSMOS_CONTAINERS) {
      const { resources } = await cosmos.database(DB).container(container).items.query('SELECT * FROM c').fetchAll();
      expect(JSON.stringify(resources)).not.toContain(secret);
    }
    expect(logger.lines.join('\n')).not.toContain(secret);
    expect(JSON.stringify(runtime.history(shareInstanceId(share.id)))).not.toContain(secret);
  });
});
