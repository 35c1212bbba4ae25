import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobClient } from '@azure/storage-blob';
import { CONTAINERS, blobNames } from '../shared/domain/incident.js';
import type { Stack } from '../local/stack.js';
import { uploadSasPermissions } from '../shared/adapters/azure/blob-store.js';
import { client, incidentBody, testStack } from './helpers.js';

let stack: Stack;
let api: ReturnType<typeof client>;

beforeAll(async () => {
  stack = await testStack('api', { worker: false });
  api = client(stack, await stack.devToken(['uploader', 'investigator']));
});
afterAll(async () => stack?.stop());

const video = { fileName: 'cam1.mp4', contentType: 'video/mp4', sizeBytes: 1000 };

describe('POST /api/incidents (minimised record, upload slots)', () => {
  it('creates the incident and one create-only upload URL per evidence item, valid at most 15 minutes', async () => {
    const res = await api.createIncident(incidentBody([video, { fileName: 'still.jpg', contentType: 'image/jpeg', sizeBytes: 10 }]));
    expect(res.status).toBe(201);
    expect(res.body.uploads).toHaveLength(2);
    const slot = res.body.uploads[0];
    const expires = Date.parse(slot.expiresAt) - Date.now();
    expect(expires).toBeGreaterThan(0);
    expect(expires).toBeLessThanOrEqual(15 * 60_000);
    const sas = new URL(slot.url).searchParams;
    expect(sas.get('sp')).toBe(uploadSasPermissions('emulator')); // 'c' in Azure; Azurite needs 'w' for Put Block (see blob-store.ts)
    expect(new URL(slot.url).pathname).toContain(`/ingest/dev-tenant/${res.body.incident.id}/${slot.evidenceId}`);
    expect(res.body.incident.evidence[0].status).toBe('awaiting-upload');
    expect(JSON.stringify(res.body)).not.toMatch(/blobName/);
  });

  it('stores the description and subject hints sealed with the incident data key (field-level encryption)', async () => {
    const hints = [{ atSeconds: 2, box: { x: 10, y: 20, w: 30, h: 40 } }];
    const res = await api.createIncident(incidentBody([{ ...video, subjectHints: hints }], { description: 'Red jacket, left via the north door' }));
    expect(res.status).toBe(201);
    const { cosmosClient } = await import('../shared/adapters/azure/cosmos-store.js');
    const { COSMOS_EMULATOR_KEY } = await import('../local/services.js');
    const raw = (await cosmosClient({ endpoint: stack.config.COSMOS__accountEndpoint, key: COSMOS_EMULATOR_KEY }).database(stack.config.COSMOS_DATABASE).container('incidents').item(res.body.incident.id, 'dev-tenant').read()).resource;
    const text = JSON.stringify(raw);
    expect(text).not.toContain('Red jacket');
    expect(raw.description).toMatch(/^bf1\./);
    expect(raw.evidence[0].subjectHints).toEqual([]);
    expect(raw.evidence[0].sealedSubjectHints).toMatch(/^bf1\./);
    expect(raw.dataKey).toMatchObject({ algorithm: 'RSA-OAEP-256' });
    // The API reads it back in clear for the tenant.
    expect((await api.getIncident(res.body.incident.id)).body.description).toBe('Red jacket, left via the north door');
  });

  it('the upload URL can create the blob once (If-None-Match: *), but never read it', async () => {
    const res = await api.createIncident(incidentBody([{ ...video, sizeBytes: 4 }]));
    const slot = res.body.uploads[0];
    const put = (body: string) => fetch(slot.url, { method: 'PUT', headers: { ...slot.headers, 'if-none-match': '*' }, body });
    expect((await put('abcd')).status).toBe(201);
    expect((await fetch(slot.url)).status).toBe(403);
    expect((await put('wxyz')).status).toBeGreaterThanOrEqual(400);
  });

  it('rejects unknown fields with RFC 7807 problem details listing them, and stores nothing', async () => {
    const res = await api.createIncident(incidentBody([{ ...video, faceOfSuspect: 'x' }], { ethnicity: 'n/a', customerName: 'Jo' }));
    expect(res.status).toBe(400);
    expect(res.body.type).toMatch(/validation$/);
    expect(res.body.unknownFields.sort()).toEqual(['customerName', 'ethnicity', 'evidence.0.faceOfSuspect']);
    expect(res.body.title).toMatch(/Unknown fields/);
  });

  it('rejects oversized fields and wrong content types with a clear 400', async () => {
    const long = await api.createIncident(incidentBody([video], { description: 'x'.repeat(501) }));
    expect(long.status).toBe(400);
    expect(long.body.errors[0].path).toBe('description');
    const wrongType = await api.createIncident(incidentBody([{ ...video, contentType: 'text/plain' }]));
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.errors[0].path).toBe('evidence.0.contentType');
    const huge = await api.createIncident(incidentBody([{ ...video, sizeBytes: 10 * 1024 ** 3 }]));
    expect(huge.status).toBe(413);
  });

  it('refuses special-category data and derogatory language in free text with 422 naming the phrase', async () => {
    const res = await api.createIncident(incidentBody([video], { description: 'A Muslim woman took two bottles' }));
    expect(res.status).toBe(422);
    expect(res.body.phrase).toBe('Muslim');
    expect(res.body.detail).toContain('"Muslim"');
    const slur = await api.createIncident(incidentBody([video], { description: 'some junkie grabbed the till' }));
    expect(slur.status).toBe(422);
    expect(slur.body.phrase).toBe('junkie');
  });

  it('rejects malformed JSON and a non-JSON body', async () => {
    const token = await stack.devToken(['uploader']);
    const bad = await fetch(`${stack.url}/api/incidents`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{"storeId":' });
    expect(bad.status).toBe(400);
    const text = await fetch(`${stack.url}/api/incidents`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' }, body: 'hello' });
    expect(text.status).toBe(415);
  });
});

describe('authentication and tenant isolation', () => {
  it('requires a valid bearer token (401), the right role (403)', async () => {
    const none = await fetch(`${stack.url}/api/incidents`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    const forged = await fetch(`${stack.url}/api/incidents/x`, { headers: { authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJ0aWQiOiJ4In0.c2lnbmF0dXJl' } });
    expect(forged.status).toBe(401);
    const uploaderOnly = client(stack, await stack.devToken(['uploader']));
    const created = await api.createIncident(incidentBody([video]));
    const res = await uploaderOnly.content(created.body.incident.id, created.body.uploads[0].evidenceId);
    expect(res.status).toBe(403);
  });

  it("another tenant's incident is not found (404), and its evidence is not served", async () => {
    const created = await api.createIncident(incidentBody([video]));
    const other = client(stack, await stack.devToken(['uploader', 'investigator', 'admin'], 'other-tenant'));
    const read = await other.getIncident(created.body.incident.id);
    expect(read.status).toBe(404);
    const media = await other.content(created.body.incident.id, created.body.uploads[0].evidenceId);
    expect(media.status).toBe(404);
    expect((await api.getIncident(created.body.incident.id)).status).toBe(200);
  });

  it('GET /api/health reports each dependency without a token', async () => {
    const res = await fetch(`${stack.url}/api/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(Object.keys(body.dependencies).sort()).toEqual(['blobStorage', 'cosmos', 'keyVault', 'queueStorage']);
    expect(Object.values(body.dependencies).every((d: any) => d.ok)).toBe(true);
  });
});

describe('upload events (blob trigger path)', () => {
  it('a blob on no slot is deleted and nothing starts', async () => {
    const name = blobNames.ingest('dev-tenant', 'no-such-incident', 'no-such-evidence');
    await stack.app.deps.blobs.upload(CONTAINERS.ingest, name, Buffer.from('stray'));
    await stack.pump();
    expect(await stack.app.deps.blobs.getProperties(CONTAINERS.ingest, name)).toBeUndefined();
    expect(await stack.runtime.status('no-such-evidence')).toBeUndefined();
  });

  it('an upload whose size differs from the declared one is rejected and deleted', async () => {
    const created = await api.createIncident(incidentBody([{ ...video, sizeBytes: 100 }]));
    const slot = created.body.uploads[0];
    expect((await api.upload(slot, Buffer.alloc(0))).status).toBe(201);
    const e = await api.waitFor(created.body.incident.id, slot.evidenceId, ['rejected']);
    expect(e.quarantine.reason).toMatch(/empty|differs/);
    const name = blobNames.ingest('dev-tenant', created.body.incident.id, slot.evidenceId);
    expect(await stack.app.deps.blobs.getProperties(CONTAINERS.ingest, name)).toBeUndefined();
  });

  it('a duplicate BlobCreated event starts nothing new', async () => {
    const created = await api.createIncident(incidentBody([{ ...video, sizeBytes: 5 }]));
    const slot = created.body.uploads[0];
    await api.upload(slot, Buffer.from('hello'));
    await stack.pump();
    const { onEvidenceUploaded, blobCreatedEvent } = await import('../functions/triggers/on-evidence-uploaded.js');
    const { InvocationContext } = (await import('@azure/functions')).default;
    const name = blobNames.ingest('dev-tenant', created.body.incident.id, slot.evidenceId);
    const env = { app: stack.app, orchestrations: () => stack.runtime };
    const again = await onEvidenceUploaded(blobCreatedEvent(CONTAINERS.ingest, name, 'http://x', 5), new InvocationContext(), env);
    expect(again?.outcome).toBe('duplicate');
  });

  it('content that is not what it claims (text named .mp4) is quarantined and the original never served', async () => {
    const bytes = Buffer.from('this is not a video at all, just text');
    const created = await api.createIncident(incidentBody([{ ...video, sizeBytes: bytes.length }]));
    const slot = created.body.uploads[0];
    await api.upload(slot, bytes);
    const e = await api.waitFor(created.body.incident.id, slot.evidenceId, ['quarantined', 'published']);
    expect(e.status).toBe('quarantined');
    expect(e.quarantine.code).toBe('media-not-recognised');
    const name = blobNames.ingest('dev-tenant', created.body.incident.id, slot.evidenceId);
    expect(await stack.app.deps.blobs.getProperties(CONTAINERS.ingest, name)).toBeUndefined();
    expect((await api.content(created.body.incident.id, slot.evidenceId)).status).toBe(404);
    const dl = new BlobClient(`${slot.url}`);
    await expect(dl.download()).rejects.toThrow();
  });
});
