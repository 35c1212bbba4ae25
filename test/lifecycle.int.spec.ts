import { spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CosmosClient } from '@azure/cosmos';
import { CONTAINERS, blobNames, type EvidenceRecord } from '../shared/domain/incident.js';
import { EXPORTS_CONTAINER, deletionInstanceId, retentionInstanceId } from '../shared/domain/lifecycle.js';
import { encryptBuffer } from '../shared/crypto/segmented-aead.js';
import { createIncident } from '../shared/usecases/incidents.js';
import { updateIncident } from '../shared/usecases/update-incident.js';
import { COSMOS_CONTAINERS } from '../shared/composition.js';
import { COSMOS_EMULATOR_KEY } from '../local/services.js';
import { CosmosAuditStore } from '../shared/adapters/azure/cosmos-audit-store.js';
import { verifyStoredChain, type AuditEvent } from '../shared/audit/index.js';
import type { Stack } from '../local/stack.js';
import { ShiftedClock, incidentBody, testStack } from './helpers.js';

/**
 * Record lifecycle over the real handlers, Azurite and the Cosmos emulator: legal hold, versions,
 * PATCH, privacy requests, and deletion that leaves nothing findable by id in blobs, records
 * (every Cosmos container but the audit trail, which keeps the certificate) or the outbox.
 */
let stack: Stack;
const tenant = `t-life-${randomUUID().slice(0, 8)}`;
let adminToken: string;
const clock = new ShiftedClock();
const DAY = 24 * 3600_000;
const video = { fileName: 'cam1.mp4', contentType: 'video/mp4', sizeBytes: 1000 };

beforeAll(async () => {
  stack = await testStack('lifecycle', { worker: false, clock });
  adminToken = await stack.devToken(['uploader', 'investigator', 'admin'], tenant, 'admin-1');
});
afterEach(() => clock.reset());
afterAll(async () => stack?.stop());

async function call(method: string, path: string, body?: unknown, token = adminToken) {
  const res = await fetch(`${stack.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, body: json, headers: res.headers };
}

async function until<T>(fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Makes the incident's first evidence published with sealed media, a report and a leftover original; shares it (real share flow + outbox). */
async function withDerivedData(incidentId: string): Promise<{ shareId: string }> {
  const deps = stack.app.deps;
  const doc = (await deps.incidents.get(tenant, incidentId))!.doc;
  const ev = doc.evidence[0]!;
  const key = await deps.dataKeys.open({ tenantId: tenant, incidentId }, doc.dataKey!);
  const plain = Buffer.alloc(50_000, 9);
  const sealed = encryptBuffer(plain, { key, keyRef: `dk1:${incidentId}`, segmentSize: 16 * 1024 });
  const blobName = `${blobNames.redacted(tenant, incidentId, ev.id)}.a1`;
  const reportName = `${blobNames.report(tenant, incidentId, ev.id)}.a1`;
  await deps.blobs.upload(CONTAINERS.evidence, blobName, sealed);
  await deps.blobs.upload(CONTAINERS.reports, reportName, Buffer.from('{}'));
  await deps.blobs.upload(CONTAINERS.quarantine, blobNames.ingest(tenant, incidentId, ev.id), Buffer.from('leftover'));
  const published: EvidenceRecord = {
    ...ev,
    status: 'published',
    redacted: { blobName, sha256: createHash('sha256').update(plain).digest('hex'), sizeBytes: plain.length, storedBytes: sealed.length, contentType: 'video/mp4', reportBlobName: reportName },
    publishedAt: new Date().toISOString(),
  };
  await updateIncident(deps, tenant, incidentId, (i) => ({ ...i, evidence: [published, ...i.evidence.slice(1)] }));
  const share = await call('POST', `/api/incidents/${incidentId}/shares`, {
    recipient: { agency: 'Metropolitan Police', officerEmail: 'officer@police.example' },
    purpose: 'investigation',
    evidenceIds: [ev.id],
    accessMode: 'view',
  });
  expect(share.status).toBe(201);
  await until(async () => ((await outboxFiles()).some((f) => f.includes(share.body.id)) ? true : undefined));
  return { shareId: share.body.id };
}

function cosmos() {
  return new CosmosClient({ endpoint: stack.config.COSMOS__accountEndpoint, key: COSMOS_EMULATOR_KEY, connectionPolicy: { enableEndpointDiscovery: false } });
}

/** The tenant's audit chain, verified end to end. */
async function auditEvents(): Promise<AuditEvent[]> {
  const store = new CosmosAuditStore(cosmos(), stack.config.COSMOS_DATABASE, 'audit');
  expect(await verifyStoredChain(store, tenant)).toMatchObject({ ok: true });
  return (await store.list(tenant, 1, 100_000)).events;
}

async function outboxFiles(): Promise<string[]> {
  const walk = async (dir: string): Promise<string[]> => {
    const names = await readdir(dir).catch(() => [] as string[]);
    const out: string[] = [];
    for (const n of names) {
      const p = join(dir, n);
      if ((await stat(p)).isDirectory()) out.push(...(await walk(p)));
      else out.push(p);
    }
    return out;
  };
  return walk(join(stack.config.BYSTANDER_DATA_DIR, 'outbox'));
}

/** Everything that still names one of `ids`: blobs (every container), Cosmos documents (but the audit trail), outbox files, orchestrations. */
async function findable(ids: string[]) {
  const blobs: string[] = [];
  for (const container of [...Object.values(CONTAINERS), EXPORTS_CONTAINER]) {
    for await (const b of stack.app.deps.blobs.list(container, `${tenant}/`)) if (ids.some((id) => b.name.includes(id))) blobs.push(`${container}/${b.name}`);
  }
  const client = cosmos();
  const records: string[] = [];
  for (const container of COSMOS_CONTAINERS.filter((c) => c !== 'audit')) {
    const { resources } = await client.database(stack.config.COSMOS_DATABASE).container(container).items.query('SELECT * FROM c').fetchAll();
    for (const r of resources) if (ids.some((id) => JSON.stringify(r).includes(id))) records.push(`${container}/${r.id}`);
  }
  const outbox = (await outboxFiles()).filter((f) => ids.some((id) => f.includes(id)));
  const orchestrations = stack.runtime.instanceIds().filter((i) => ids.some((id) => i.includes(id)));
  return { blobs, records, outbox, orchestrations };
}

describe('Legal hold, versions and PATCH over the API', () => {
  it('Legal hold (admin) refuses erasure with the reason; Versions list who changed which fields and revert; PATCH keeps the due date; lift', async () => {
    const body = incidentBody([video]);
    const created = await call('POST', '/api/incidents', body);
    expect(created.status).toBe(201);
    const id = created.body.incident.id;
    const due = new Date(Date.parse(body.occurredAt) + 30 * DAY).toISOString(); // occurredAt + 30 days
    expect(created.body.incident.deleteAfter).toBe(due);
    expect((await stack.runtime.status(retentionInstanceId(tenant, id)))?.runtimeStatus).toMatch(/Running|Pending/);

    const uploader = await stack.devToken(['uploader'], tenant, 'uploader-1');
    expect((await call('POST', `/api/incidents/${id}/hold`, { reason: 'Court order 9' }, uploader)).status).toBe(403);
    expect((await call('POST', `/api/incidents/${id}/hold`, { reason: 'Court order 9', extra: 1 })).status).toBe(400);
    const held = await call('POST', `/api/incidents/${id}/hold`, { reason: 'Court order 9' });
    expect(held.status).toBe(200);
    expect(held.body.legalHold.reason).toBe('Court order 9');

    const patched = await call('PATCH', `/api/incidents/${id}`, { description: 'Corrected description' }, uploader);
    expect(patched.status).toBe(200);
    expect(patched.body.deleteAfter).toBe(due);
    expect((await call('PATCH', `/api/incidents/${id}`, { storeId: 'elsewhere' }, uploader)).status).toBe(400);

    const erasure = await call('POST', '/api/privacy-requests', { type: 'erasure', incidentIds: [id] });
    expect(erasure.status).toBe(202);
    const refused = await until(async () => {
      const r = await call('GET', `/api/privacy-requests/${erasure.body.id}`);
      return r.body.status === 'refused' ? r.body : undefined;
    });
    expect(refused.results).toEqual([{ incidentId: id, outcome: 'refused', reason: 'legal-hold' }]);
    expect((await call('GET', `/api/incidents/${id}`)).status).toBe(200);

    const versions = await call('GET', `/api/incidents/${id}/versions`);
    expect(versions.status).toBe(200);
    expect(versions.body.versions.slice(0, 2).map((v: any) => [v.by, v.changed])).toEqual([
      ['uploader-1', ['description']],
      ['admin-1', ['legalHold']],
    ]);
    const reverted = await call('POST', `/api/incidents/${id}/versions/1/revert`);
    expect(reverted.status).toBe(200);
    expect(reverted.body.incident.description).toBe('Items taken from aisle 4 without payment');

    expect((await call('DELETE', `/api/incidents/${id}/hold`)).status).toBe(200);
    expect((await call('DELETE', `/api/incidents/${id}/hold`)).status).toBe(409);
  });

  it('an incident whose retention ended before it was declared is refused (422, problem details), stored nowhere, audited', async () => {
    const occurredAt = new Date(clock.now().getTime() - 31 * DAY).toISOString();
    const before = (await auditEvents()).length;
    const refused = await call('POST', '/api/incidents', incidentBody([video], { storeId: 'store-late', occurredAt }));
    expect(refused.status).toBe(422);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(refused.body).toMatchObject({ type: 'https://bystander.dev/problems/retention-ended', retention: { category: 'theft', days: 30, occurredAt } });
    expect(refused.body.uploads).toBeUndefined();
    const { resources } = await cosmos().database(stack.config.COSMOS_DATABASE).container('incidents').items
      .query({ query: 'SELECT c.id FROM c WHERE c.tenantId = @t AND c.storeId = @s', parameters: [{ name: '@t', value: tenant }, { name: '@s', value: 'store-late' }] })
      .fetchAll();
    expect(resources).toEqual([]);
    const added = (await auditEvents()).slice(before);
    expect(added.map((e) => [e.action, e.outcome, e.reason])).toEqual([['incident.create', 'denied', 'retention-ended']]);
  });

  it('an overdue incident under hold is skipped (audited); lifting the hold deletes it promptly', async () => {
    const principal = { tenantId: tenant, subject: 'uploader-3', roles: ['uploader' as const] };
    // Created without a schedule, held, then 31 days pass: overdue.
    const { incident } = await createIncident(stack.app.deps, principal, incidentBody([video]));
    expect((await call('POST', `/api/incidents/${incident.id}/hold`, { reason: 'Litigation hold 4' })).status).toBe(200);
    clock.advance(31 * DAY);
    const sweep = await stack.sweep();
    expect(sweep.held).toBeGreaterThanOrEqual(1);
    await until(async () => ((await stack.runtime.status(retentionInstanceId(tenant, incident.id)))?.customStatus as any)?.stage === 'held' || undefined);
    expect((await call('GET', `/api/incidents/${incident.id}`)).status).toBe(200);
    expect((await call('DELETE', `/api/incidents/${incident.id}/hold`)).status).toBe(200);
    await until(async () => ((await call('GET', `/api/incidents/${incident.id}`)).status === 404 ? true : undefined), 30_000);
    const events = (await auditEvents()).filter((e) => e.target.incidentId === incident.id);
    const skip = events.findIndex((e) => e.action === 'retention.skip-held' && e.reason === 'legal-hold');
    const lift = events.findIndex((e) => e.action === 'hold.lift');
    const cert = events.findIndex((e) => e.action === 'retention.delete' && !!e.deleted);
    expect(skip).toBeGreaterThanOrEqual(0);
    expect(lift).toBeGreaterThan(skip);
    expect(cert).toBeGreaterThan(lift);
  });
});

describe('Deletion leaves nothing findable by id (Azurite + Cosmos emulator + outbox)', () => {
  it('erasure request: shreds the key, deletes blobs, shares, links, outbox, versions, exports, record; certificate in the audit trail', async () => {
    const created = await call('POST', '/api/incidents', incidentBody([video], { occurredAt: new Date().toISOString() }));
    const id = created.body.incident.id;
    const { shareId } = await withDerivedData(id);
    await call('PATCH', `/api/incidents/${id}`, { outcome: 'reported-to-police' });

    // An access request first: its bundle is a derived copy that must go too.
    const access = await call('POST', '/api/privacy-requests', { type: 'access', incidentIds: [id] });
    const ready = await until(async () => {
      const r = await call('GET', `/api/privacy-requests/${access.body.id}`);
      return r.body.status === 'completed' ? r.body : undefined;
    });
    const download = await fetch(`${stack.url}${ready.download.url}`, { headers: { authorization: `Bearer ${adminToken}` } });
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('application/gzip');
    expect((await download.arrayBuffer()).byteLength).toBeGreaterThan(1000);

    const before = await findable([id, shareId]);
    expect(before.blobs.length).toBeGreaterThanOrEqual(3);
    const bundle = `${tenant}/${access.body.id}.tar.gz`;
    expect(await stack.app.deps.blobs.getProperties(EXPORTS_CONTAINER, bundle)).toBeDefined();
    expect(before.records.length).toBeGreaterThanOrEqual(3);
    expect(before.outbox.length).toBeGreaterThanOrEqual(1);

    const erasure = await call('POST', '/api/privacy-requests', { type: 'erasure', incidentIds: [id] });
    const done = await until(async () => {
      const r = await call('GET', `/api/privacy-requests/${erasure.body.id}`);
      return r.body.status === 'completed' ? r.body : undefined;
    });
    expect(done.erasedCount).toBe(1);
    expect((await call('GET', `/api/incidents/${id}`)).status).toBe(404);

    await until(async () => ((await stack.runtime.status(`privacy-${tenant}-${erasure.body.id}`))?.runtimeStatus === 'Completed' ? true : undefined));
    await stack.sweep(); // purges finished histories queued for purging
    expect(await findable([id, shareId])).toEqual({ blobs: [], records: [], outbox: [], orchestrations: [] });
    expect(await stack.app.deps.blobs.getProperties(EXPORTS_CONTAINER, bundle)).toBeUndefined();
    // The certificate: ids and hashes only, the wrapped key first.
    const cert = (await auditEvents()).find((e) => e.action === 'privacy.erasure' && e.target.incidentId === id && e.deleted)!;
    expect(cert.deleted![0]).toEqual({ kind: 'wrapped-key', id: `incidents/${tenant}/${id}/dataKey` });
    expect(cert.deleted!.map((d) => d.kind)).toEqual(expect.arrayContaining(['blob', 'report', 'share', 'outbox', 'record-version', 'record']));
    expect(cert.deleted!.some((d) => d.id === `${EXPORTS_CONTAINER}/${bundle}`)).toBe(true);
    expect(JSON.stringify(cert)).not.toMatch(/officer@|Metropolitan|aisle/);
  });

  it('the sweeper finds an overdue incident without a schedule through the cross-partition due index and deletes it', async () => {
    const principal = { tenantId: tenant, subject: 'uploader-2', roles: ['uploader' as const] };
    // Created without a schedule (as before schedules existed, or with its schedule lost); 31 days pass.
    const { incident } = await createIncident(stack.app.deps, principal, incidentBody([video]));
    expect(await stack.app.deps.lifecycle!.dueIndex.findDue(clock.now(), 1000)).not.toContainEqual({ tenantId: tenant, incidentId: incident.id });
    clock.advance(31 * DAY);
    const due = await stack.app.deps.lifecycle!.dueIndex.findDue(clock.now(), 1000);
    expect(due).toContainEqual({ tenantId: tenant, incidentId: incident.id });
    expect(due.every((d) => typeof d.incidentId === 'string')).toBe(true);
    const sweep = await stack.sweep();
    expect(sweep.deletionsStarted).toBeGreaterThanOrEqual(1);
    await stack.runtime.waitForCompletion(deletionInstanceId(tenant, incident.id));
    expect(await stack.app.deps.incidents.get(tenant, incident.id)).toBeUndefined();
    await stack.sweep();
    expect(await findable([incident.id])).toEqual({ blobs: [], records: [], outbox: [], orchestrations: [] });
  });
});

describe('CLI against the emulator: bystander audit verify / keys rewrap', () => {
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [join(import.meta.dirname, '..', 'bin', 'bystander.mjs'), ...args], {
      encoding: 'utf8',
      timeout: 120_000,
      env: {
        PATH: process.env.PATH ?? '',
        BYSTANDER_MODE: 'local',
        BYSTANDER_GEOGRAPHY: 'local',
        STORAGE_CONNECTION_STRING: stack.config.STORAGE_CONNECTION_STRING!,
        COSMOS__accountEndpoint: stack.config.COSMOS__accountEndpoint,
        COSMOS_KEY: COSMOS_EMULATOR_KEY,
        COSMOS_DATABASE: stack.config.COSMOS_DATABASE,
        AUTH__issuer: stack.config.AUTH__issuer,
        AUTH__audience: stack.config.AUTH__audience,
        AUTH_DEV_KEY_DIR: stack.config.AUTH_DEV_KEY_DIR!,
        BYSTANDER_DATA_DIR: stack.config.BYSTANDER_DATA_DIR,
      },
    });

  it('audit verify walks every tenant chain (exit 0); keys rewrap finds nothing to re-wrap with an unrotated KEK', async () => {
    const one = run('audit', 'verify', '--tenant', tenant);
    expect(one.stderr).toBe('');
    expect(one.status).toBe(0);
    expect(one.stdout).toMatch(new RegExp(`ok\\s+${tenant}: \\d+ events`));
    const all = run('audit', 'verify');
    expect(all.status).toBe(0);
    expect(all.stdout).toContain(tenant);
    const rewrap = run('keys', 'rewrap');
    expect(rewrap.status).toBe(0);
    expect(rewrap.stdout).toMatch(/re-wrapped 0/);
  });
});
