import { describe, expect, it } from 'vitest';
import { createIncident, MAX_CLOCK_SKEW_MS } from './incidents.js';
import { ProblemError, type Problem } from '../http/problem.js';
import { parseRetentionPolicy } from '../retention/policy.js';
import { DAY, T0, incidentBody, lifecycleFakes, lifecycleRuntime, retailer } from '../../test/lifecycle/fakes.js';

/** occurredAt `ms` before the fake clock's now (T0). */
const before = (ms: number) => new Date(T0.getTime() - ms).toISOString();

async function refusal(p: Promise<unknown>): Promise<Problem> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ProblemError) return err.problem;
    throw err;
  }
  throw new Error('expected the request to be refused');
}

describe('createIncident: the incident date against the clock', () => {
  it('computes deleteAfter from occurredAt (30 days for theft, outcome none) on any clock', async () => {
    const f = lifecycleFakes();
    const { incident, uploads } = await createIncident(f.deps, retailer, incidentBody({ occurredAt: before(3 * DAY) }));
    expect(incident.deleteAfter).toBe(new Date(T0.getTime() + 27 * DAY).toISOString());
    expect(uploads).toHaveLength(1);
  });

  it('refuses an incident whose retention has already ended with 422 naming the rule and the end date; stores nothing, issues no slot, audits the refusal', async () => {
    const f = lifecycleFakes();
    const rt = lifecycleRuntime(f);
    const occurredAt = before(30 * DAY); // occurredAt + 30 days = now: already ended
    const problem = await refusal(createIncident(f.deps, retailer, incidentBody({ occurredAt }), 'origin-1', rt.rt));
    expect(problem).toMatchObject({
      status: 422,
      type: 'https://bystander.dev/problems/retention-ended',
      retention: { category: 'theft', outcome: 'none', days: 30, occurredAt, endedAt: T0.toISOString() },
    });
    expect(problem.detail).toContain(T0.toISOString());
    expect(problem.detail).toContain('30 days');
    expect(f.rawIncidents.docs.size).toBe(0);
    expect([...f.blobs.blobs.keys()]).toEqual([]);
    await rt.settle();
    expect(rt.rt.instanceIds()).toEqual([]); // no retention schedule either
    const events = await f.events();
    expect(events.map((e) => [e.action, e.outcome, e.reason, e.actor.id])).toEqual([['incident.create', 'denied', 'retention-ended', retailer.subject]]);
    expect(events[0]!.target).toEqual({});
  });

  it('accepts an incident one millisecond inside its retention', async () => {
    const f = lifecycleFakes();
    const { incident } = await createIncident(f.deps, retailer, incidentBody({ occurredAt: before(30 * DAY - 1) }));
    expect(incident.deleteAfter).toBe(new Date(T0.getTime() + 1).toISOString());
  });

  it("uses the tenant's policy: a 90-day theft rule accepts what the default refuses", async () => {
    const f = lifecycleFakes();
    f.deps.lifecycle!.retentionPolicy = () =>
      parseRetentionPolicy({ version: 1, defaults: { none: 90, 'reported-to-police': 365, prosecution: 2555 } });
    const { incident } = await createIncident(f.deps, retailer, incidentBody({ occurredAt: before(60 * DAY) }));
    expect(incident.deleteAfter).toBe(new Date(T0.getTime() + 30 * DAY).toISOString());
    const problem = await refusal(createIncident(f.deps, retailer, incidentBody({ occurredAt: before(91 * DAY) })));
    expect(problem).toMatchObject({ status: 422, retention: { days: 90 } });
  });

  it('an outcome declared at creation selects its rule: a 40-day-old theft reported to police is kept 365 days', async () => {
    const f = lifecycleFakes();
    const occurredAt = before(40 * DAY);
    expect((await refusal(createIncident(f.deps, retailer, incidentBody({ occurredAt })))).status).toBe(422);
    const { incident } = await createIncident(f.deps, retailer, incidentBody({ occurredAt, outcome: 'reported-to-police' }));
    expect(incident).toMatchObject({ outcome: 'reported-to-police', deleteAfter: new Date(T0.getTime() + 325 * DAY).toISOString() });
    const problem = await refusal(createIncident(f.deps, retailer, incidentBody({ occurredAt: before(800 * DAY), category: 'violence', outcome: 'reported-to-police' })));
    expect(problem).toMatchObject({ status: 422, retention: { category: 'violence', outcome: 'reported-to-police', days: 730 } });
  });

  it('refuses occurredAt in the future beyond the clock skew with 400; within the skew is accepted', async () => {
    const f = lifecycleFakes();
    const ahead = (ms: number) => new Date(T0.getTime() + ms).toISOString();
    await expect(createIncident(f.deps, retailer, incidentBody({ occurredAt: ahead(MAX_CLOCK_SKEW_MS) }))).resolves.toBeDefined();
    const problem = await refusal(createIncident(f.deps, retailer, incidentBody({ occurredAt: ahead(MAX_CLOCK_SKEW_MS + 1000) })));
    expect(problem).toMatchObject({ status: 400, type: 'https://bystander.dev/problems/bad-request' });
    expect(problem.detail).toContain('in the future');
    expect(f.rawIncidents.docs.size).toBe(1);
  });

  it('moves with the clock: the same body is accepted today and refused 30 days later', async () => {
    const f = lifecycleFakes();
    const body = incidentBody({ occurredAt: T0.toISOString() });
    await createIncident(f.deps, retailer, body);
    f.clock.advance(30 * DAY);
    expect((await refusal(createIncident(f.deps, retailer, body))).status).toBe(422);
  });
});
