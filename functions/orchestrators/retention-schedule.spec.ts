import { describe, expect, it } from 'vitest';
import { createIncident } from '../../shared/usecases/incidents.js';
import { patchIncident } from '../../shared/usecases/versions.js';
import { liftHold, placeHold } from '../../shared/usecases/holds.js';
import { sweepRetention } from '../../shared/usecases/retention.js';
import { deletionInstanceId, retentionInstanceId } from '../../shared/domain/lifecycle.js';
import { CONTAINERS } from '../../shared/domain/incident.js';
import { MAX_TIMER_STEP_MS } from '../../shared/retention/policy.js';
import { updateIncident } from '../../shared/usecases/update-incident.js';
import { incidentDataKey } from '../../shared/usecases/sealed-media.js';
import { RecordingLogger } from '../../test/shares/fakes.js';
import { DAY, T0, admin, incidentBody, lifecycleFakes, lifecycleRuntime, retailer, seedDerivedData, type LifecycleFakes } from '../../test/lifecycle/fakes.js';

const at = (days: number) => new Date(T0.getTime() + days * DAY);

async function newIncident(f: LifecycleFakes, rt: ReturnType<typeof lifecycleRuntime>, extra: Record<string, unknown> = {}) {
  const { incident } = await createIncident(f.deps, retailer, incidentBody(extra), undefined, rt.rt);
  await rt.settle();
  return incident;
}

/** Nothing left anywhere that names the incident (or its share): blobs, records, versions, links, outbox, orchestrations. */
async function traces(f: LifecycleFakes, rt: ReturnType<typeof lifecycleRuntime>, incidentId: string, shareId?: string) {
  const ids = [incidentId, ...(shareId ? [shareId] : [])];
  const docs = [...f.rawIncidents.docs.values(), ...f.versions.docs.values(), ...f.shares.docs.values(), ...f.links.docs.values(), ...f.privacyRequests.docs.values()];
  return {
    blobs: ids.flatMap((id) => f.blobs.mentioning(id)),
    records: docs.filter((d) => ids.some((id) => JSON.stringify(d.doc).includes(id))).map((d) => d.doc.id),
    outbox: f.outboxFiles().filter((p) => ids.some((id) => p.includes(id))),
    orchestrations: rt.rt.instanceIds().filter((i) => ids.some((id) => i.includes(id))),
  };
}

describe('Retention: a fake clock drives the real retentionSchedule over 400+ days', () => {
  it('chained ≤6-day timers, edits that never extend, a hold that skips and a lift that deletes at once, then nothing is left', async () => {
    const f = lifecycleFakes();
    const rt = lifecycleRuntime(f);
    const incident = await newIncident(f, rt);
    const id = incident.id;
    const scheduleId = retentionInstanceId('t1', id);
    const { shareId } = await seedDerivedData(f, (await f.deps.incidents.get('t1', id))!.doc);

    // Created with its due date from the incident date (theft, outcome none → 30 days), schedule running.
    expect(incident.deleteAfter).toBe(at(30).toISOString());
    expect((await rt.rt.status(scheduleId))?.runtimeStatus).toBe('Running');

    // Day 29 of 30: an edit of the description does not move the due date.
    await rt.advanceTo(at(29));
    const edited = await patchIncident(f.deps, rt.rt, retailer, id, { description: 'Two bottles taken from aisle 4' });
    expect(edited.deleteAfter).toBe(at(30).toISOString());
    // …while the outcome changing is recomputed from the incident date (365 days), never from today.
    await rt.advanceTo(at(29.5));
    const reported = await patchIncident(f.deps, rt.rt, retailer, id, { outcome: 'reported-to-police' });
    expect(reported.deleteAfter).toBe(at(365).toISOString());
    await rt.settle();

    // Day 30 passes: still there (the schedule re-read the new outcome).
    await rt.advanceTo(at(31));
    expect(await f.deps.incidents.get('t1', id)).toBeDefined();

    // Day 100: legal hold. Day 365 passes: retention skips and logs why, every wake-up (≤ 6 days).
    await rt.advanceTo(at(100));
    await placeHold(f.deps, rt.rt, admin, id, { reason: 'Court order 2027/113' });
    await rt.advanceTo(at(399));
    expect(await f.deps.incidents.get('t1', id)).toBeDefined();
    const skips = (await f.events()).filter((e) => e.action === 'retention.skip-held' && e.target.incidentId === id);
    expect(skips.length).toBeGreaterThanOrEqual(5);
    expect(skips.every((e) => e.reason === 'legal-hold' && e.outcome === 'denied' && Date.parse(e.at) >= at(365).getTime())).toBe(true);

    // Day 400: the hold is lifted — overdue, so it is deleted promptly (no 6-day wait).
    await rt.advanceTo(at(400));
    await liftHold(f.deps, rt.rt, admin, id);
    await rt.advanceTo(new Date(at(400).getTime() + 60_000));
    expect(await f.deps.incidents.get('t1', id)).toBeUndefined();

    // Every timer was at most 6 days; continueAsNew kept the history tiny over 400 days.
    expect(rt.timers.lengths.length).toBeGreaterThan(60);
    expect(Math.max(...rt.timers.lengths)).toBeLessThanOrEqual(MAX_TIMER_STEP_MS);
    expect(rt.maxHistory(scheduleId)).toBeGreaterThan(0);
    expect(rt.maxHistory(scheduleId)).toBeLessThanOrEqual(8);

    // One deletion certificate: ids, hashes and kinds only, the wrapped key first.
    const certs = (await f.events()).filter((e) => e.action === 'retention.delete');
    expect(certs).toHaveLength(1);
    const items = certs[0]!.deleted!;
    expect(items[0]).toEqual({ kind: 'wrapped-key', id: `incidents/t1/${id}/dataKey` });
    const kinds = new Set(items.map((i) => i.kind));
    for (const k of ['wrapped-key', 'blob', 'report', 'share', 'outbox', 'record-version', 'record', 'orchestration'] as const) expect(kinds).toContain(k);
    expect(items.find((i) => i.id.startsWith('evidence/'))?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(certs[0])).not.toMatch(/Items taken|bottles|officer@|Court order/);

    // The deletion's own history is purged by the next sweep; then nothing is findable by id.
    await rt.advanceTo(new Date(at(400).getTime() + 10 * 60_000));
    await sweepRetention(f.deps, rt.rt);
    expect(await traces(f, rt, id, shareId)).toEqual({ blobs: [], records: [], outbox: [], orchestrations: [] });
    expect(f.blobs.blobs.size).toBe(0);
  });

  it('deletes within 24 h of the due date when nothing holds it (the timer lands on the due date), logging one ids-only line', async () => {
    const f = lifecycleFakes();
    const logger = new RecordingLogger();
    f.deps.logger = logger;
    const rt = lifecycleRuntime(f);
    const incident = await newIncident(f, rt, { occurredAt: at(-3).toISOString() });
    await rt.advanceTo(at(26.9));
    expect(await f.deps.incidents.get('t1', incident.id)).toBeDefined();
    expect(logger.lines.filter((l) => l.includes('incident deleted'))).toEqual([]);
    await rt.advanceTo(new Date(at(27).getTime() + 1000));
    expect(await f.deps.incidents.get('t1', incident.id)).toBeUndefined();
    const cert = (await f.events()).find((e) => e.action === 'retention.delete')!;
    expect(Date.parse(cert.at) - at(27).getTime()).toBeLessThan(DAY);
    // An operator sees why the record disappeared: one line, ids and counts only.
    const lines = logger.lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => String(l.m).startsWith('incident deleted'));
    expect(lines).toEqual([{ level: 'info', m: 'incident deleted: retention ended', tenantId: 't1', incidentId: incident.id, cause: 'retention', items: expect.any(Number) }]);
  });

  it('the sweeper deletes an overdue incident that has no running schedule (safety net), and repairs a stale index', async () => {
    const f = lifecycleFakes();
    const rt = lifecycleRuntime(f);
    // Created without an orchestration client: no schedule exists.
    const { incident } = await createIncident(f.deps, retailer, incidentBody(), undefined);
    const { incident: later } = await createIncident(f.deps, retailer, incidentBody(), undefined);
    // A stale index entry: `later` was reported to police (365 days) but its index still says day 1.
    await updateIncident(f.deps, 't1', later.id, (i) => ({ ...i, outcome: 'reported-to-police', deleteAfter: at(1).toISOString() }));
    await rt.advanceTo(at(31));
    expect(rt.rt.instanceIds()).toEqual([]);
    const sweep = await sweepRetention(f.deps, rt.rt);
    expect(sweep).toMatchObject({ due: 2, deletionsStarted: 1, notDue: 1 });
    expect((await f.deps.incidents.get('t1', later.id))?.doc.deleteAfter).toBe(at(365).toISOString());
    await rt.settle();
    expect(await f.deps.incidents.get('t1', incident.id)).toBeUndefined();
    expect((await f.events()).find((e) => e.action === 'retention.delete')?.reason).toBe('retention-ended-sweeper');
    // Second sweep purges the finished deletion's history.
    await rt.advanceTo(at(31.01));
    await sweepRetention(f.deps, rt.rt);
    expect(rt.rt.instanceIds().filter((i) => i.includes(incident.id))).toEqual([]);
    expect(await rt.rt.status(deletionInstanceId('t1', incident.id))).toBeUndefined();
  });

  it('a deletion that keeps failing alerts (deletion-failed), audits the failure and leaves the incident for the sweeper', async () => {
    const f = lifecycleFakes();
    const lines: Array<Record<string, unknown>> = [];
    f.deps.logger = { info() {}, warn() {}, error: (message, fields) => lines.push({ message, ...fields }) };
    const rt = lifecycleRuntime(f);
    const incident = await newIncident(f, rt, { occurredAt: at(-3).toISOString() });
    // Storage is down for the whole deletion: listing the incident's blobs fails every time.
    f.blobs.list = () => {
      throw new Error('storage unavailable');
    };
    await rt.advanceTo(new Date(at(27).getTime() + 1000));
    await rt.advanceTo(at(28));
    expect((await rt.rt.status(deletionInstanceId('t1', incident.id)))?.runtimeStatus).toBe('Failed');
    expect(lines.some((l) => l.alert === 'deletion-failed' && l.incidentId === incident.id)).toBe(true);
    const failed = (await f.events()).find((e) => e.action === 'retention.delete' && e.outcome === 'failed');
    expect(failed?.reason).toBe('deletion-step-failed');
    expect((await f.deps.incidents.get('t1', incident.id))?.doc.deleteAfter).toBeDefined();
  });

  it('a stale index never deletes early: the deletion re-checks the due date', async () => {
    const f = lifecycleFakes();
    const rt = lifecycleRuntime(f);
    const { incident } = await createIncident(f.deps, retailer, incidentBody({ occurredAt: at(0).toISOString() }), undefined);
    await updateIncident(f.deps, 't1', incident.id, (i) => ({ ...i, deleteAfter: at(1).toISOString() }));
    await rt.advanceTo(at(2));
    const sweep = await sweepRetention(f.deps, rt.rt);
    expect(sweep).toMatchObject({ due: 1, notDue: 1, deletionsStarted: 0 });
    expect((await f.deps.incidents.get('t1', incident.id))?.doc.deleteAfter).toBe(at(30).toISOString());
  });

  it('Crypto-shredding order: the wrapped key is destroyed before any blob, and the sealed media is unreadable afterwards', async () => {
    const f = lifecycleFakes();
    const rt = lifecycleRuntime(f);
    // Created without a schedule (as if it was lost), then 40 days pass: the sweeper deletes it.
    const { incident } = await createIncident(f.deps, retailer, incidentBody({ occurredAt: at(0).toISOString() }), undefined);
    const { evidence } = await seedDerivedData(f, (await f.deps.incidents.get('t1', incident.id))!.doc);
    f.clock.advance(40 * DAY);
    const copy = f.blobs.blobs.get(`${CONTAINERS.evidence}/${evidence.redacted!.blobName}`)!.data;
    const order: string[] = [];
    const blobsDelete = f.blobs.delete.bind(f.blobs);
    f.blobs.delete = async (c, n) => (order.push(`blob:${c}`), blobsDelete(c, n));
    const replace = f.rawIncidents.replace.bind(f.rawIncidents);
    f.rawIncidents.replace = async (doc, etag) => (order.push(doc.dataKey ? 'record' : 'record-without-key'), replace(doc, etag));
    await sweepRetention(f.deps, rt.rt);
    await rt.settle();
    expect(order.indexOf('record-without-key')).toBeGreaterThanOrEqual(0);
    expect(order.indexOf('record-without-key')).toBeLessThan(order.findIndex((o) => o.startsWith('blob:')));
    // A restored copy of the ciphertext: no key can be obtained for it any more.
    expect(copy.length).toBeGreaterThan(0);
    expect(await f.deps.incidents.get('t1', incident.id)).toBeUndefined();
    const stored = [...f.rawIncidents.docs.values()].find((d) => d.doc.id === incident.id);
    expect(stored).toBeUndefined();
    await expect(incidentDataKey(f.deps, 't1', incident.id)).rejects.toThrow(/no data key/);
    expect(JSON.stringify([...f.versions.docs.values()])).not.toContain('test:kek');
  });
});
