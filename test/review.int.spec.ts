/**
 * Review before publishing (issue 13 item 4) through the HTTP API of the local stack, with the real
 * pipeline and CPU worker: a still whose subject mark covers two people is held for review, the
 * reviewer sees only the redacted render, edits re-render from the original sealed under the
 * incident's key, approval publishes and deletes it; rejection and the deadline quarantine. Tenant
 * isolation, roles and bad input on every route.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../local/stack.js';
import { CONTAINERS, blobNames } from '../shared/domain/incident.js';
import { DEMO_CLIP, generateSampleImage } from './fixtures/media/generate.js';
import { recordReviewRender, reviewDeadlinePassed } from '../shared/usecases/review.js';
import { quarantineEvidence } from '../shared/usecases/evidence.js';
import { client, incidentBody, sha256, testStack } from './helpers.js';

let stack: Stack;
let image: Buffer;
let investigator: string;
let uploader: string;
let admin: string;
let otherTenant: string;
const TENANT = 'dev-tenant';
// The still at t = 0 of the demo scene: face 0 at (90, 150) ~70 px, face 2 at (330, 260) ~40 px.
// A subject mark around both is ambiguous: the engine cannot tell whom to keep.
const bothFaces = { atSeconds: 0, box: { x: 40, y: 100, w: 320, h: 190 } };

async function call(method: string, path: string, token: string, body?: unknown) {
  const res = await fetch(`${stack.url}/api/${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as any) : undefined };
}

/** Creates an incident with the still, uploads it and waits until it is held for review. */
async function heldForReview() {
  const api = client(stack, investigator);
  const created = await api.createIncident(incidentBody([{ fileName: 'aisle.jpg', contentType: 'image/jpeg', sizeBytes: image.length, sha256: sha256(image), subjectHints: [bothFaces] }]));
  expect(created.status).toBe(201);
  const slot = created.body.uploads[0];
  expect((await api.upload(slot, image)).status).toBe(201);
  const e = await api.waitFor(created.body.incident.id, slot.evidenceId, ['awaiting-review', 'published', 'quarantined'], 180_000);
  expect(e.status).toBe('awaiting-review');
  return { incidentId: created.body.incident.id as string, evidenceId: slot.evidenceId as string };
}

async function record(incidentId: string, evidenceId: string) {
  return (await stack.app.deps.incidents.get(TENANT, incidentId))!.doc.evidence.find((e) => e.id === evidenceId)!;
}

async function waitUntil<T>(what: string, read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 180_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    await stack.pump();
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  stack = await testStack('review', { worker: true });
  const dir = await mkdtemp(join(tmpdir(), 'bystander-review-'));
  await generateSampleImage(join(dir, 'aisle.jpg'), { width: DEMO_CLIP.width, height: DEMO_CLIP.height, seed: DEMO_CLIP.seed, faces: DEMO_CLIP.faces }, 'jpeg');
  image = await readFile(join(dir, 'aisle.jpg'));
  investigator = await stack.devToken(['uploader', 'investigator']);
  uploader = await stack.devToken(['uploader']);
  admin = await stack.devToken(['uploader', 'investigator', 'admin']);
  otherTenant = await stack.devToken(['uploader', 'investigator', 'admin'], 'tenant-b');
}, 300_000);
afterAll(async () => stack?.stop());

describe('tenant settings: the review rule', () => {
  it('defaults to when-needed; admins change it (audited); others and bad input are refused', async () => {
    expect(await call('GET', 'settings', investigator)).toEqual({ status: 200, body: { review: 'when-needed', reviewDeadlineHours: 72 } });
    expect((await call('GET', 'settings', uploader)).status).toBe(403);
    expect((await call('PUT', 'settings', investigator, { review: 'always' })).status).toBe(403);
    const unknown = await call('PUT', 'settings', admin, { review: 'always', retentionDays: 1 });
    expect(unknown.status).toBe(400);
    expect(unknown.body.unknownFields).toEqual(['retentionDays']);
    expect((await call('PUT', 'settings', admin, { review: 'sometimes' })).status).toBe(400);
    expect(await call('PUT', 'settings', otherTenant, { review: 'always' })).toEqual({ status: 200, body: { review: 'always', reviewDeadlineHours: 72 } });
    // Another tenant's choice does not touch this one.
    expect((await call('GET', 'settings', investigator)).body.review).toBe('when-needed');
    expect((await call('GET', 'settings', otherTenant)).body.review).toBe('always');
  });
});

describe('an unsure render held for review', () => {
  let incidentId: string;
  let evidenceId: string;
  let path: string;

  beforeAll(async () => {
    ({ incidentId, evidenceId } = await heldForReview());
    path = `incidents/${incidentId}/evidence/${evidenceId}`;
  }, 300_000);

  it('waits with its reasons and deadline; the original exists only sealed under the incident key', async () => {
    const e = await record(incidentId, evidenceId);
    expect(e.review).toMatchObject({ state: 'ready', renderVersion: 0, history: [] });
    expect(e.review!.reasons).toContain('subject-ambiguous');
    expect(Date.parse(e.review!.deadline) - Date.parse(e.review!.since)).toBe(72 * 3600_000);
    expect(await stack.app.deps.blobs.getProperties(CONTAINERS.ingest, blobNames.ingest(TENANT, incidentId, evidenceId))).toBeUndefined();
    const sealedName = blobNames.sealedOriginal(TENANT, incidentId, evidenceId);
    const { stream } = await stack.app.deps.blobs.download(CONTAINERS.evidence, sealedName);
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    const sealed = Buffer.concat(chunks);
    expect(sealed.subarray(0, 4).toString('ascii')).toBe('BYSA');
    expect(sealed.includes(image.subarray(200, 264))).toBe(false);
    const status = await call('GET', `incidents/${incidentId}/evidence-status`, investigator);
    expect(status.body.evidence[0]).toMatchObject({ status: 'awaiting-review', review: { state: 'ready', renderVersion: 0 }, live: { stage: 'awaiting-review', version: 0 } });
  });

  it('GET …/review shows the reasons, the render and its tracks; roles, tenants and unknown ids are refused', async () => {
    const res = await call('GET', `${path}/review`, investigator);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ evidenceId, status: 'awaiting-review', state: 'ready', render: { version: 0, contentType: 'image/jpeg', width: 640, height: 360 }, edits: null, history: [] });
    const faces = res.body.tracks.filter((t: any) => t.class === 'face');
    expect(faces.length).toBeGreaterThanOrEqual(2);
    expect(faces.every((t: any) => t.kept === false && t.boxes.length >= 1)).toBe(true);
    expect((await call('GET', `${path}/review`, uploader)).status).toBe(403);
    expect((await call('GET', `${path}/review`, otherTenant)).status).toBe(404);
    expect((await call('GET', `incidents/${incidentId}/evidence/nope/review`, investigator)).status).toBe(404);
  });

  it('the preview is the redacted render — never the original — and only reviewers of this tenant get it; the published-content route refuses it', async () => {
    const res = await fetch(`${stack.url}/api/${path}/preview`, { headers: { authorization: `Bearer ${investigator}` } });
    expect(res.status).toBe(200);
    const bytes = Buffer.from(await res.arrayBuffer());
    const e = await record(incidentId, evidenceId);
    expect(sha256(bytes)).toBe(e.redacted!.sha256);
    expect(sha256(bytes)).not.toBe(sha256(image));
    expect(res.headers.get('cache-control')).toBe('no-store');
    const part = await fetch(`${stack.url}/api/${path}/preview`, { headers: { authorization: `Bearer ${investigator}`, range: 'bytes=0-9' } });
    expect(part.status).toBe(206);
    expect(Buffer.from(await part.arrayBuffer())).toEqual(bytes.subarray(0, 10));
    expect((await fetch(`${stack.url}/api/${path}/preview`, { headers: { authorization: `Bearer ${uploader}` } })).status).toBe(403);
    expect((await fetch(`${stack.url}/api/${path}/preview`, { headers: { authorization: `Bearer ${otherTenant}` } })).status).toBe(404);
    expect((await client(stack, investigator).content(incidentId, evidenceId)).status).toBe(404);
  });

  it('refuses bad edits: unknown fields, unknown or wrong-class track ids, a stale base version, other roles and tenants', async () => {
    const view = (await call('GET', `${path}/review`, investigator)).body;
    const face = view.tracks.find((t: any) => t.class === 'face').id;
    const unknown = await call('POST', `${path}/review/edits`, investigator, { baseVersion: 0, keepTracks: [face], note: 'x' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.unknownFields).toEqual(['note']);
    const missing = await call('POST', `${path}/review/edits`, investigator, { baseVersion: 0, keepTracks: [999_999] });
    expect(missing.status).toBe(400);
    expect(missing.body.detail).toMatch(/track 999999 is not in the current render/);
    const bodies = await call('POST', `${path}/review/edits`, investigator, { baseVersion: 0, obscureBodies: [face] });
    expect(bodies.status).toBe(400);
    expect(bodies.body.detail).toMatch(/face track/);
    expect((await call('POST', `${path}/review/edits`, investigator, { baseVersion: 0, keepTracks: [face], obscureTracks: [face] })).status).toBe(400);
    expect((await call('POST', `${path}/review/edits`, investigator, { baseVersion: 0, boxes: [{ atSeconds: 0, fromSeconds: 1, toSeconds: 2, box: { x: 1, y: 1, w: 5, h: 5 } }] })).status).toBe(400);
    const stale = await call('POST', `${path}/review/edits`, investigator, { baseVersion: 3, keepTracks: [face] });
    expect(stale.status).toBe(409);
    expect(stale.body.code).toBe('stale-version');
    expect((await call('POST', `${path}/review/edits`, uploader, { baseVersion: 0, keepTracks: [face] })).status).toBe(403);
    expect((await call('POST', `${path}/review/edits`, otherTenant, { baseVersion: 0, keepTracks: [face] })).status).toBe(404);
    expect((await call('POST', `${path}/review/approve`, otherTenant, { version: 0 })).status).toBe(404);
    expect((await call('POST', `${path}/review/reject`, investigator, { reason: 'because' })).status).toBe(400);
    expect((await record(incidentId, evidenceId)).review!.history).toEqual([]);
  });

  it('edits re-render from the sealed original (one version at a time), and approving that render publishes it and deletes the original', async () => {
    const view = (await call('GET', `${path}/review`, investigator)).body;
    const [keep, other] = view.tracks.filter((t: any) => t.class === 'face');
    const before = (await record(incidentId, evidenceId)).redacted!.sha256;
    const box = { atSeconds: 0, fromSeconds: 0, toSeconds: 0, box: { x: 560, y: 20, w: 60, h: 60 } };
    const accepted = await call('POST', `${path}/review/edits`, investigator, { baseVersion: 0, keepTracks: [keep.id], boxes: [box] });
    expect(accepted).toEqual({ status: 202, body: { version: 1, state: 'rendering' } });
    const busy = await call('POST', `${path}/review/edits`, investigator, { baseVersion: 1, keepTracks: [keep.id] });
    expect(busy.status).toBe(409);
    expect(['render-in-progress', 'stale-version']).toContain(busy.body.code);
    const early = await call('POST', `${path}/review/approve`, investigator, { version: 1 });
    expect(early.status).toBe(409);

    const ready = await waitUntil('the review render', () => call('GET', `${path}/review`, investigator), (r) => r.body.state === 'ready');
    expect(ready.body.render.version).toBe(1);
    expect(ready.body.edits).toMatchObject({ version: 1, keepTracks: [keep.id], boxes: [box] });
    expect(ready.body.history).toEqual([{ version: 1, kind: 'edits', by: expect.any(String), at: expect.any(String) }]);
    const kept = ready.body.tracks.find((t: any) => t.id === keep.id);
    expect(kept.kept).toBe(true);
    expect(ready.body.tracks.find((t: any) => t.id === other.id).kept).toBe(false);
    expect(ready.body.reasons).not.toContain('subject-ambiguous');
    const e = await record(incidentId, evidenceId);
    expect(e.redacted!.sha256).not.toBe(before);
    expect(e.redacted!.blobName).toMatch(/\.r1$/);
    expect((e.summary as any).editsVersion).toBe(1);

    expect((await call('POST', `${path}/review/approve`, investigator, { version: 0 })).body.code).toBe('stale-version');
    expect(await call('POST', `${path}/review/approve`, investigator, { version: 1 })).toEqual({ status: 202, body: { status: 'publishing' } });
    const published = await client(stack, investigator).waitFor(incidentId, evidenceId, ['published', 'quarantined']);
    expect(published.status).toBe('published');
    const after = await record(incidentId, evidenceId);
    expect(after.redacted!.sha256).toBe(e.redacted!.sha256);
    expect(after.originalDeletedAt).toBeDefined();
    expect(after.review!.original).toBeUndefined();
    expect(after.review!.history.map((h) => h.kind)).toEqual(['edits', 'approved']);
    expect(await stack.app.deps.blobs.getProperties(CONTAINERS.evidence, blobNames.sealedOriginal(TENANT, incidentId, evidenceId))).toBeUndefined();
    const names: string[] = [];
    for await (const b of stack.app.deps.blobs.list(CONTAINERS.evidence, `${TENANT}/${incidentId}/${evidenceId}/`)) names.push(b.name);
    expect(names).toEqual([e.redacted!.blobName]);
    const content = await client(stack, investigator).content(incidentId, evidenceId);
    expect(sha256(Buffer.from(await content.arrayBuffer()))).toBe(e.redacted!.sha256);
    expect((await call('POST', `${path}/review/reject`, investigator, { reason: 'other' })).body.code).toBe('not-awaiting-review');
    const audit = await call('GET', `incidents/${incidentId}/audit?limit=200`, admin);
    const actions = audit.body.events.map((ev: any) => `${ev.action}:${ev.outcome}`);
    for (const a of ['evidence.awaiting-review:succeeded', 'review.read:allowed', 'review.edit:succeeded', 'review.edit:denied', 'review.approve:succeeded', 'evidence.published:succeeded']) expect(actions).toContain(a);
  }, 300_000);
});

describe('rejection and the deadline', () => {
  it('rejecting deletes the sealed original and quarantines with review-rejected', async () => {
    const { incidentId, evidenceId } = await heldForReview();
    const res = await call('POST', `incidents/${incidentId}/evidence/${evidenceId}/review/reject`, investigator, { reason: 'subject-not-visible' });
    expect(res).toEqual({ status: 202, body: { status: 'quarantined' } });
    const e = await client(stack, investigator).waitFor(incidentId, evidenceId, ['quarantined', 'published']);
    expect(e.status).toBe('quarantined');
    expect(e.quarantine.code).toBe('review-rejected');
    const rec = await record(incidentId, evidenceId);
    expect(rec.redacted).toBeUndefined();
    expect(rec.review!.history.map((h) => [h.kind, h.reason])).toEqual([['rejected', 'subject-not-visible']]);
    expect(await stack.app.deps.blobs.getProperties(CONTAINERS.evidence, blobNames.sealedOriginal(TENANT, incidentId, evidenceId))).toBeUndefined();
    expect(await stack.app.deps.blobs.getProperties(CONTAINERS.quarantine, blobNames.ingest(TENANT, incidentId, evidenceId))).toBeUndefined();
  }, 300_000);

  it('the deadline activities delete the original and quarantine with review-deadline-passed (the timer chain is in process-evidence-review.spec)', async () => {
    const { incidentId, evidenceId } = await heldForReview();
    const ref = { tenantId: TENANT, incidentId, evidenceId };
    await reviewDeadlinePassed(stack.app.deps, ref);
    await quarantineEvidence(stack.app.deps, { ref, code: 'review-deadline-passed', reason: 'no reviewer decided within 72 hours' });
    const rec = await record(incidentId, evidenceId);
    expect(rec.status).toBe('quarantined');
    expect(rec.review!.state).toBe('decided');
    expect(rec.review!.history.map((h) => h.kind)).toEqual(['deadline']);
    expect(rec.originalDeletedAt).toBeDefined();
    expect(await stack.app.deps.blobs.getProperties(CONTAINERS.evidence, blobNames.sealedOriginal(TENANT, incidentId, evidenceId))).toBeUndefined();
    expect((await call('POST', `incidents/${incidentId}/evidence/${evidenceId}/review/approve`, investigator, { version: 0 })).body.code).toBe('not-awaiting-review');
  }, 300_000);

  it('an erasure while the item waits withdraws the review: the orchestration ends, the sealed original and the render are deleted', async () => {
    const { incidentId, evidenceId } = await heldForReview();
    const erasure = await call('POST', 'privacy-requests', admin, { type: 'erasure', incidentIds: [incidentId] });
    expect(erasure.status).toBe(202);
    const done = await waitUntil('the erasure', () => call('GET', `privacy-requests/${erasure.body.id}`, admin), (r) => !['pending', 'running'].includes(r.body.status));
    expect(done.body.status).toBe('completed');
    const instance = await waitUntil('the review to be withdrawn', () => stack.runtime.status(evidenceId), (st) => st === undefined || st.runtimeStatus === 'Completed');
    if (instance) expect(instance.output).toEqual({ status: 'quarantined', evidenceId, code: 'incident-deleted' });
    expect(await stack.app.deps.incidents.get(TENANT, incidentId)).toBeUndefined();
    const left: string[] = [];
    for (const c of [CONTAINERS.ingest, CONTAINERS.evidence, CONTAINERS.quarantine, CONTAINERS.reports]) for await (const b of stack.app.deps.blobs.list(c, `${TENANT}/${incidentId}/`)) left.push(`${c}/${b.name}`);
    expect(left).toEqual([]);
    // A review render that finishes after the deletion finds no record: its output and report go too.
    const late = { output: { container: CONTAINERS.evidence, name: `${blobNames.redacted(TENANT, incidentId, evidenceId)}.r9` }, report: { container: CONTAINERS.reports, name: `${blobNames.report(TENANT, incidentId, evidenceId)}.r9` } };
    await stack.app.deps.blobs.upload(late.output.container, late.output.name, Buffer.from('sealed render'));
    await stack.app.deps.blobs.upload(late.report.container, late.report.name, Buffer.from('{}'));
    const result = { version: 1 as const, outcome: 'succeeded' as const, jobId: `${evidenceId}.r9`, tenantId: TENANT, incidentId, evidenceId, attempt: 1, output: { ...late.output, sha256: 'a'.repeat(64), bytes: 13, storedBytes: 13, contentType: 'video/mp4' }, report: late.report, summary: { frames: 1, durationSeconds: 0, width: 1, height: 1, tracksObscured: 0, tracksKept: 0, regionsObscured: 0, subjectMatched: null, verification: 'passed' as const, models: [] } };
    expect(await recordReviewRender(stack.app.deps, { ref: { tenantId: TENANT, incidentId, evidenceId }, version: 9, result })).toEqual({ ok: false, code: 'record-missing' });
    expect(await stack.app.deps.blobs.getProperties(late.output.container, late.output.name)).toBeUndefined();
    expect(await stack.app.deps.blobs.getProperties(late.report.container, late.report.name)).toBeUndefined();
  }, 300_000);
});
