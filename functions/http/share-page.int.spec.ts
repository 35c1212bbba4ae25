/**
 * The police share page under attack, over loopback HTTP through the real route table, against
 * Azurite and the Cosmos DB emulator (issue 14): timing of dead links, and who the rate limit keys on.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { newShareToken } from '../../shared/domain/share.js';
import { flushShareDenials } from '../../shared/usecases/shares.js';
import { CosmosAuditStore } from '../../shared/adapters/azure/cosmos-audit-store.js';
import { cosmosClient } from '../../shared/adapters/azure/cosmos-store.js';
import { COSMOS_EMULATOR_KEY } from '../../local/services.js';
import { loopbackClient, median, probabilityFaster, startShareHttp, timedGet, type ShareHttp } from '../../test/shares/http-fixture.js';

let h: ShareHttp;
let clientNo = 0;
/** A loopback address no earlier request used (its own invalid-attempt budget). */
const freshClient = () => loopbackClient(10_000 + clientNo++);

beforeAll(async () => {
  h = await startShareHttp(inject('services'), 'it-share-page');
});

afterAll(async () => {
  await h?.stop();
});

describe('dead links take as long as links that never existed (timing oracle)', () => {
  it('unknown, malformed, revoked and expired links: overlapping latency on the page and the media route', async () => {
    const { incidentId, evidenceId } = await h.publishedIncident();
    const revoked = await h.share(incidentId, [evidenceId]);
    const expired = await h.share(incidentId, [evidenceId], { expiresInHours: 1 });
    const expiredUntimed = await h.share(incidentId, [evidenceId], { expiresInHours: 1 });
    expect((await h.api('DELETE', `shares/${revoked.shareId}`)).status).toBe(200);
    h.clock.advance(2 * 3600_000);
    await h.expire(incidentId, expired.shareId); // the timer fired: status expired; expiredUntimed is past expiresAt, still `active` in its record

    const classes: Record<string, () => string> = {
      'page unknown': () => `/s/${newShareToken()}`,
      'page malformed': () => `/s/${newShareToken().slice(0, 40)}!x`,
      'page revoked': () => revoked.path,
      'page expired': () => expired.path,
      'page expired, timer not yet fired': () => expiredUntimed.path,
      'media unknown': () => `/s/${newShareToken()}/media/${evidenceId}`,
      'media revoked': () => `${revoked.path}/media/${evidenceId}`,
      'media expired': () => `${expired.path}/media/${evidenceId}`,
    };
    // Bounded: 8 warm-up + 40 measured rounds, interleaved in random order so load drift hits every class alike.
    const samples = new Map(Object.keys(classes).map((k) => [k, [] as number[]]));
    const bodies = new Set<string>();
    for (let round = 0; round < 48; round++) {
      for (const name of Object.keys(classes).sort(() => Math.random() - 0.5)) {
        const r = await timedGet(`${h.url}${classes[name]!()}`, freshClient());
        expect(r.status, name).toBe(404);
        bodies.add(`${r.headers['content-type']}|${r.headers['content-security-policy']}|${r.body}`);
        if (round >= 8) samples.get(name)!.push(r.ms);
      }
    }
    expect(bodies.size).toBe(1); // same status, headers and body

    // P(a request of the never-existed class is faster than one of the dead class): 0.5 when
    // indistinguishable; before the fix it was ≥ 0.94 for every dead class (9.6-12 ms vs 2.8 ms medians).
    const report = [...samples].map(([name, xs]) => {
      const base = samples.get(name.startsWith('page') ? 'page unknown' : 'media unknown')!;
      return { name, medianMs: +median(xs).toFixed(2), pUnknownFaster: +probabilityFaster(base, xs).toFixed(3) };
    });
    for (const r of report) expect(r.pUnknownFaster, JSON.stringify(report)).toBeGreaterThan(0.25);
    for (const r of report) expect(r.pUnknownFaster, JSON.stringify(report)).toBeLessThan(0.75);

    // The known links' denials are still audited, once per share and window, after the responses.
    await h.app.deps.sharing.denials.idle();
    const list = await h.api('GET', `incidents/${incidentId}/shares`);
    const byId = new Map(list.body.shares.map((s: { id: string; access: { denied: number } }) => [s.id, s.access.denied]));
    expect(byId.get(revoked.shareId)).toBe(1);
    expect(byId.get(expired.shareId)).toBe(1);
    expect(byId.get(expiredUntimed.shareId)).toBe(1);
  });
});

describe('the rate limit keys on the address the deployment guarantees (here: the socket)', () => {
  it('rotating X-Forwarded-For and X-Azure-ClientIP does not evade the limit', async () => {
    const attacker = freshClient();
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) {
      const spoofed = `198.51.100.${i + 1}`;
      const r = await timedGet(`${h.url}/s/${newShareToken()}`, attacker, { 'x-forwarded-for': spoofed, 'x-azure-clientip': spoofed, 'x-client-ip': spoofed });
      statuses.push(r.status);
    }
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(404));
    expect(statuses.slice(20)).toEqual(Array(5).fill(429));
  });

  it('a limited client appending a hop is still limited, with a valid link too; another socket is not', async () => {
    const { incidentId, evidenceId } = await h.publishedIncident();
    const live = await h.share(incidentId, [evidenceId]);
    const attacker = freshClient();
    for (let i = 0; i < 20; i++) expect((await timedGet(`${h.url}/s/${newShareToken()}`, attacker)).status).toBe(404);
    expect((await timedGet(`${h.url}${live.path}`, attacker)).status).toBe(429);
    for (const xff of [attacker, `${attacker}, 203.0.113.99`, '203.0.113.99', `203.0.113.99:5555, [2001:db8::1]:443`]) {
      const r = await timedGet(`${h.url}${live.path}`, attacker, { 'x-forwarded-for': xff, 'x-azure-clientip': '203.0.113.99' });
      expect(r.status, xff).toBe(429);
      expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
    }
    expect((await timedGet(`${h.url}${live.path}`, freshClient())).status).toBe(200);
  });
});

describe('denials on a known link cost a bounded number of writes', () => {
  it('60 requests for a revoked link from 3 clients: one denial event at once, one summary, denied counter 2', async () => {
    const { incidentId, evidenceId } = await h.publishedIncident();
    const revoked = await h.share(incidentId, [evidenceId]);
    expect((await h.api('DELETE', `shares/${revoked.shareId}`)).status).toBe(200);
    const clients = [freshClient(), freshClient(), freshClient()];
    for (let i = 0; i < 60; i++) {
      const path = i % 2 ? revoked.path : `${revoked.path}/media/${evidenceId}`;
      expect((await timedGet(`${h.url}${path}`, clients[i % 3]!, { 'x-forwarded-for': `198.51.100.${i}` })).status).toBe(404);
    }
    await h.app.deps.sharing.denials.idle();
    const during = (await h.api('GET', `incidents/${incidentId}/shares`)).body.shares.find((s: { id: string }) => s.id === revoked.shareId);
    expect(during.access.denied).toBe(1); // the first denial of the window, written after its response

    h.clock.advance(5 * 60_000); // the window closes: its 59 repeats become one summary event
    await flushShareDenials(h.app.deps);
    const after = (await h.api('GET', `incidents/${incidentId}/shares`)).body.shares.find((s: { id: string }) => s.id === revoked.shareId);
    expect(after.access.denied).toBe(2);

    const store = new CosmosAuditStore(cosmosClient({ endpoint: inject('services').cosmosEndpoint, key: COSMOS_EMULATOR_KEY }), 'it-share-page');
    const events = (await store.list(h.tenantId, 1, 10_000)).events.filter((e) => e.action === 'share.denied' && e.target.shareId === revoked.shareId);
    expect(events.map((e) => [e.reason, e.target.attempts])).toEqual([
      ['share-revoked', undefined],
      ['share-revoked', 59],
    ]);
  });
});
