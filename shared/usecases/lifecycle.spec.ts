import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createIncident } from './incidents.js';
import { listVersions, patchIncident, revertIncident } from './versions.js';
import { liftHold, placeHold } from './holds.js';
import { createPrivacyRequest, downloadPrivacyExport, getPrivacyRequest } from './privacy.js';
import { privacyInstanceId } from '../domain/lifecycle.js';
import { readTar } from '../domain/tar.js';
import { ProblemError } from '../http/problem.js';
import { AuthError } from '../auth/tokens.js';
import { DAY, T0, admin, incidentBody, lifecycleFakes, lifecycleRuntime, otherAdmin, retailer, seedDerivedData } from '../../test/lifecycle/fakes.js';

const at = (days: number) => new Date(T0.getTime() + days * DAY);
const status = (err: unknown) => (err instanceof ProblemError ? err.problem.status : err instanceof AuthError ? err.status : 0);
async function rejects(p: Promise<unknown>): Promise<number> {
  try {
    await p;
  } catch (err) {
    return status(err);
  }
  return 200;
}

async function setup() {
  const f = lifecycleFakes();
  const rt = lifecycleRuntime(f);
  const { incident } = await createIncident(f.deps, retailer, incidentBody(), undefined, rt.rt);
  await rt.settle();
  return { f, rt, id: incident.id };
}

describe('Legal hold (admin, audited; a held incident refuses erasure with the reason)', () => {
  it('places and lifts a hold, admin only, audited as hold.place / hold.lift without the free-text reason', async () => {
    const { f, rt, id } = await setup();
    expect(await rejects(placeHold(f.deps, rt.rt, retailer, id, { reason: 'Court order 17' }))).toBe(403);
    expect(await rejects(placeHold(f.deps, rt.rt, admin, id, { reason: 'Court order 17', note: 'x' }))).toBe(400);
    expect(await rejects(placeHold(f.deps, rt.rt, otherAdmin, id, { reason: 'Court order 17' }))).toBe(404);
    const held = await placeHold(f.deps, rt.rt, admin, id, { reason: 'Court order 17' });
    expect(held.legalHold).toMatchObject({ reason: 'Court order 17' });
    expect(await rejects(placeHold(f.deps, rt.rt, admin, id, { reason: 'again' }))).toBe(409);
    const lifted = await liftHold(f.deps, rt.rt, admin, id);
    expect(lifted.legalHold).toBeUndefined();
    expect(await rejects(liftHold(f.deps, rt.rt, admin, id))).toBe(409);
    const events = (await f.events()).filter((e) => e.action.startsWith('hold.'));
    expect(events.map((e) => [e.action, e.outcome, e.actor.id])).toEqual([
      ['hold.place', 'succeeded', 'user-admin'],
      ['hold.lift', 'succeeded', 'user-admin'],
    ]);
    expect(JSON.stringify(events)).not.toContain('Court order');
  });

  it('an erasure request for a held incident is refused with the reason legal-hold (audited), the other is erased', async () => {
    const { f, rt, id } = await setup();
    const { incident: other } = await createIncident(f.deps, retailer, incidentBody(), undefined, rt.rt);
    await placeHold(f.deps, rt.rt, admin, id, { reason: 'Court order 17' });
    const request = await createPrivacyRequest(f.deps, rt.rt, admin, { type: 'erasure', incidentIds: [id, other.id] });
    await rt.settle();
    const done = await getPrivacyRequest(f.deps, rt.rt, admin, request.id);
    expect(done.status).toBe('partially-refused');
    expect(done.results).toEqual([{ incidentId: id, outcome: 'refused', reason: 'legal-hold' }]);
    expect(done.erasedCount).toBe(1);
    expect(done.incidentIds).toEqual([id]); // erased ids are not kept
    expect(await f.deps.incidents.get('t1', id)).toBeDefined();
    expect(await f.deps.incidents.get('t1', other.id)).toBeUndefined();
    const events = await f.events();
    expect(events.find((e) => e.action === 'privacy.erasure-refused')).toMatchObject({ reason: 'legal-hold', outcome: 'denied', target: { incidentId: id, requestId: request.id } });
    const cert = events.find((e) => e.action === 'privacy.erasure' && e.deleted);
    expect(cert?.target).toEqual({ incidentId: other.id, requestId: request.id });
  });
});

describe('Versions and revert (admin; who, when, which fields; audited)', () => {
  it('every change keeps the previous version; listing shows field names only; revert restores as a new version', async () => {
    const { f, rt, id } = await setup();
    await rt.advanceTo(at(1));
    await patchIncident(f.deps, rt.rt, retailer, id, { description: 'Two bottles taken' });
    await rt.advanceTo(at(2));
    await patchIncident(f.deps, rt.rt, { ...retailer, subject: 'user-2' }, id, { category: 'fraud', outcome: 'reported-to-police' });
    expect(await rejects(listVersions(f.deps, retailer, id))).toBe(403);
    const list = await listVersions(f.deps, admin, id);
    expect(list.current).toBe(3);
    expect(list.versions.map((v) => [v.version, v.by, v.changed])).toEqual([
      [3, 'user-2', ['category', 'deleteAfter', 'outcome']],
      [2, 'user-up', ['description']],
      [1, 'user-up', ['created']],
    ]);
    expect(JSON.stringify(list)).not.toMatch(/bottles|aisle/);
    // Stored snapshots keep the description sealed and never copy the wrapped key.
    const stored = JSON.stringify([...f.versions.docs.values()]);
    expect(stored).not.toMatch(/bottles|aisle|test:kek/);

    const reverted = await revertIncident(f.deps, rt.rt, admin, id, '1');
    expect(reverted).toMatchObject({ revertedTo: 1, version: 4, descriptionRestored: true });
    expect(reverted.incident).toMatchObject({ description: 'Items taken from aisle 4 without payment', category: 'theft', outcome: 'none', deleteAfter: at(30).toISOString() });
    expect(await rejects(revertIncident(f.deps, rt.rt, admin, id, '99'))).toBe(404);
    expect(await rejects(revertIncident(f.deps, rt.rt, retailer, id, '1'))).toBe(403);
    const actions = (await f.events()).map((e) => e.action);
    expect(actions).toContain('incident.versions.list');
    expect((await f.events()).find((e) => e.action === 'incident.revert')?.target).toEqual({ incidentId: id, version: 1 });
  });

  it('PATCH is strict and screened, and an edit never extends retention (due date counted from the incident date)', async () => {
    const { f, rt, id } = await setup();
    expect(await rejects(patchIncident(f.deps, rt.rt, retailer, id, { storeId: 'x' }))).toBe(400);
    expect(await rejects(patchIncident(f.deps, rt.rt, retailer, id, {}))).toBe(400);
    expect(await rejects(patchIncident(f.deps, rt.rt, retailer, id, { description: 'A Muslim woman took two bottles' }))).toBe(422);
    await rt.advanceTo(at(29));
    const edited = await patchIncident(f.deps, rt.rt, retailer, id, { description: 'Edited on day 29 of 30' });
    expect(edited.deleteAfter).toBe(at(30).toISOString());
    await rt.advanceTo(at(30.01));
    expect(await f.deps.incidents.get('t1', id)).toBeUndefined();
  });
});

describe('Privacy requests (access bundle with expiry; erasure as retention; orchestration status)', () => {
  it('access exports record JSON without blob names, redacted media and recipients; the download expires after 7 days and the bundle is deleted', async () => {
    const { f, rt, id } = await setup();
    const { shareId } = await seedDerivedData(f, (await f.deps.incidents.get('t1', id))!.doc);
    expect(await rejects(createPrivacyRequest(f.deps, rt.rt, retailer, { type: 'access', incidentIds: [id] }))).toBe(403);
    expect(await rejects(createPrivacyRequest(f.deps, rt.rt, admin, { type: 'access', incidentIds: [id], subjectName: 'x' }))).toBe(400);
    const request = await createPrivacyRequest(f.deps, rt.rt, admin, { type: 'access', incidentIds: [id, 'missing-incident'] });
    await rt.settle();
    const view = await getPrivacyRequest(f.deps, rt.rt, admin, request.id);
    expect(view.status).toBe('completed');
    expect(view.download?.url).toBe(`/api/privacy-requests/${request.id}/download`);
    expect(view.results).toEqual([{ incidentId: id, outcome: 'exported' }, { incidentId: 'missing-incident', outcome: 'not-found' }]);
    expect(await rejects(getPrivacyRequest(f.deps, rt.rt, otherAdmin, request.id))).toBe(404);
    expect((await rt.rt.status(privacyInstanceId('t1', request.id)))?.customStatus).toMatchObject({ stage: 'available' });

    const file = await downloadPrivacyExport(f.deps, admin, request.id);
    const chunks: Buffer[] = [];
    for await (const c of file.stream) chunks.push(c as Buffer);
    const entries = readTar(gunzipSync(Buffer.concat(chunks)));
    const names = entries.map((e) => e.name);
    expect(names).toContain(`incidents/${id}/record.json`);
    expect(names).toContain(`incidents/${id}/recipients.json`);
    expect(names.some((n) => n.startsWith(`incidents/${id}/media/`) && n.endsWith('.mp4'))).toBe(true);
    const record = entries.find((e) => e.name.endsWith('record.json'))!.data.toString();
    expect(record).not.toMatch(/blobName|redacted\.a1|dataKey/);
    const recipients = JSON.parse(entries.find((e) => e.name.endsWith('recipients.json'))!.data.toString());
    expect(recipients).toMatchObject([{ shareId, agency: 'Metropolitan Police', officerEmail: 'officer@police.example' }]);
    expect(entries.find((e) => e.name.includes('/media/'))!.data).toEqual(Buffer.alloc(40_000, 7));

    // Day 7: the timer deletes the bundle; a late download is refused (410).
    await rt.advanceTo(at(7.01));
    expect(f.blobs.mentioning(request.id)).toEqual([]);
    expect(await rejects(downloadPrivacyExport(f.deps, admin, request.id))).toBe(410);
    expect((await getPrivacyRequest(f.deps, rt.rt, admin, request.id)).status).toBe('expired');
    const access = (await f.events()).filter((e) => e.action === 'privacy.access');
    expect(access.map((e) => e.outcome)).toEqual(expect.arrayContaining(['allowed', 'succeeded', 'denied']));
  });
});
