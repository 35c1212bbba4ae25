import { describe, expect, it } from 'vitest';
import {
  DAY_MS,
  DEFAULT_RETENTION_POLICY,
  MAX_TIMER_STEP_MS,
  deletionDueAt,
  isDeletionDue,
  nextTimerSteps,
  parseRetentionPolicy,
  retentionDays,
  retentionDecision,
  type RetentionPolicy,
  type RetentionSubject,
} from './policy.js';

const T0 = Date.parse('2025-03-01T10:00:00.000Z');
const day = (n: number) => new Date(T0 + n * DAY_MS);
const policy = DEFAULT_RETENTION_POLICY;

describe('retention policy configuration', () => {
  it('has documented defaults: 30 days unused, 1 year reported, 7 years prosecution', () => {
    expect(retentionDays(policy, 'theft', 'none')).toBe(30);
    expect(retentionDays(policy, 'theft', 'reported-to-police')).toBe(365);
    expect(retentionDays(policy, 'fraud', 'prosecution')).toBe(2555);
    expect(retentionDays(policy, 'violence', 'reported-to-police')).toBe(730);
    expect(retentionDays(policy, 'violence', 'none')).toBe(30);
  });

  it('accepts per-tenant overrides by category and outcome', () => {
    const p = parseRetentionPolicy({
      version: 1,
      defaults: { none: 14, 'reported-to-police': 180, prosecution: 2190 },
      overrides: { antisocial: { none: 7 } },
    });
    expect(retentionDays(p, 'antisocial', 'none')).toBe(7);
    expect(retentionDays(p, 'theft', 'none')).toBe(14);
  });

  it.each([
    ['an unknown key', { version: 1, defaults: { none: 30, 'reported-to-police': 365, prosecution: 2555 }, forever: true }],
    ['an unknown category', { version: 1, defaults: { none: 30, 'reported-to-police': 365, prosecution: 2555 }, overrides: { shoplifting: { none: 1 } } }],
    ['fractional days', { version: 1, defaults: { none: 30.5, 'reported-to-police': 365, prosecution: 2555 } }],
    ['zero days', { version: 1, defaults: { none: 0, 'reported-to-police': 365, prosecution: 2555 } }],
    ['a missing outcome', { version: 1, defaults: { none: 30, prosecution: 2555 } }],
    ['prosecution shorter than unused', { version: 1, defaults: { none: 30, 'reported-to-police': 365, prosecution: 2555 }, overrides: { fraud: { prosecution: 10 } } }],
  ])('rejects %s', (_name, input) => {
    expect(() => parseRetentionPolicy(input)).toThrow();
  });
});

describe('retention is counted from the incident date', () => {
  const incident: RetentionSubject = { occurredAt: day(0).toISOString(), category: 'theft', outcome: 'none', onLegalHold: false };

  it('deletion is due exactly retentionDays after occurredAt', () => {
    expect(deletionDueAt(incident, policy)).toEqual(day(30));
    expect(isDeletionDue(incident, policy, new Date(day(30).getTime() - 1))).toBe(false);
    expect(isDeletionDue(incident, policy, day(30))).toBe(true);
  });

  it('an edit on day 29 of 30 does not extend retention', () => {
    // The stored record after an edit on day 29 (extra fields are what an incident record carries).
    const edited = { ...incident, description: 'updated text', updatedAt: day(29).toISOString(), createdAt: day(1).toISOString() };
    expect(deletionDueAt(edited, policy)).toEqual(day(30));
    expect(retentionDecision(edited, policy, day(29))).toEqual({ kind: 'wait', dueAt: day(30), fireAt: day(30) });
    expect(isDeletionDue(edited, policy, day(30))).toBe(true);
  });

  it('a late-created record of an old incident is due at once', () => {
    const old = { ...incident, occurredAt: day(-40).toISOString() };
    expect(retentionDecision(old, policy, day(0))).toMatchObject({ kind: 'delete', lateByMs: 10 * DAY_MS });
  });

  it('an outcome escalation (reported to police) extends from the incident date, not from the change', () => {
    const reported = { ...incident, outcome: 'reported-to-police' as const };
    expect(deletionDueAt(reported, policy)).toEqual(day(365));
  });

  it('rejects an invalid incident date', () => {
    expect(() => deletionDueAt({ ...incident, occurredAt: 'yesterday' }, policy)).toThrow(RangeError);
  });
});

describe('legal hold', () => {
  const incident: RetentionSubject = { occurredAt: day(0).toISOString(), category: 'theft', outcome: 'none', onLegalHold: true };

  it('a held incident is never due, and the decision says why', () => {
    expect(isDeletionDue(incident, policy, day(500))).toBe(false);
    expect(retentionDecision(incident, policy, day(10))).toEqual({ kind: 'held', dueAt: day(30), overdue: false, fireAt: day(16) });
    expect(retentionDecision(incident, policy, day(45))).toMatchObject({ kind: 'held', overdue: true });
  });

  it('lifting the hold after the retention end makes deletion due immediately', () => {
    const lifted = { ...incident, onLegalHold: false };
    expect(isDeletionDue(lifted, policy, day(100))).toBe(true);
    expect(retentionDecision(lifted, policy, day(100))).toEqual({ kind: 'delete', dueAt: day(30), lateByMs: 70 * DAY_MS });
  });

  it('lifting the hold before the retention end resumes the normal schedule', () => {
    const lifted = { ...incident, onLegalHold: false };
    expect(retentionDecision(lifted, policy, day(12))).toEqual({ kind: 'wait', dueAt: day(30), fireAt: day(18) });
  });
});

describe('chained durable timers (≤ 6-day steps)', () => {
  it('yields a chain of fire times each at most 6 days apart, ending at the due time', () => {
    const steps = nextTimerSteps(day(0), day(400));
    expect(steps).toHaveLength(67); // ceil(400 / 6)
    expect(steps.at(-1)).toEqual(day(400));
    let prev = day(0).getTime();
    for (const s of steps) {
      expect(s.getTime() - prev).toBeGreaterThan(0);
      expect(s.getTime() - prev).toBeLessThanOrEqual(MAX_TIMER_STEP_MS);
      prev = s.getTime();
    }
  });

  it('is empty when the due time is not in the future', () => {
    expect(nextTimerSteps(day(5), day(5))).toEqual([]);
    expect(nextTimerSteps(day(6), day(5))).toEqual([]);
    expect(nextTimerSteps(day(0), new Date(day(0).getTime() + 1000))).toEqual([new Date(day(0).getTime() + 1000)]);
  });

  it('honours a custom step and rejects steps beyond the timer limit', () => {
    expect(nextTimerSteps(day(0), day(10), DAY_MS)).toHaveLength(10);
    expect(() => nextTimerSteps(day(0), day(10), 8 * DAY_MS)).toThrow(RangeError);
    expect(() => nextTimerSteps(day(0), day(10), 0)).toThrow(RangeError);
  });
});

/**
 * Drives a retention orchestrator loop with a fake clock: on each wake-up it re-reads the incident
 * (through `stateAt`) and follows retentionDecision; external events (hold lifted) wake it early.
 */
function simulate(stateAt: (now: Date) => RetentionSubject, p: RetentionPolicy, wakeEvents: Date[], maxDays = 3000) {
  let now = day(0);
  const timers: number[] = [];
  const skippedHeld: Date[] = [];
  for (let i = 0; i < 10_000; i++) {
    const d = retentionDecision(stateAt(now), p, now);
    if (d.kind === 'delete') return { deletedAt: now, timers, skippedHeld, dueAt: d.dueAt };
    if (d.kind === 'held') skippedHeld.push(now);
    const external = wakeEvents.find((e) => e.getTime() > now.getTime() && e.getTime() < d.fireAt.getTime());
    const next = external ?? d.fireAt;
    if (!external) timers.push(next.getTime() - now.getTime());
    now = next;
    if (now.getTime() > day(maxDays).getTime()) break;
  }
  throw new Error('never deleted');
}

describe('retention over 400+ days with a fake clock', () => {
  it('a reported incident with edits is deleted at day 365 via chained ≤ 6-day timers', () => {
    const r = simulate(
      (now) => ({
        occurredAt: day(0).toISOString(),
        category: 'theft',
        outcome: now >= day(20) ? 'reported-to-police' : 'none', // reported on day 20
        onLegalHold: false,
        // edits on days 29, 200 and 364 would go here; they do not touch the retention inputs
      }),
      policy,
      [],
    );
    expect(r.deletedAt).toEqual(day(365));
    expect(r.timers.length).toBe(61);
    expect(Math.max(...r.timers)).toBeLessThanOrEqual(MAX_TIMER_STEP_MS);
  });

  it('a hold placed on day 200 and lifted on day 430 defers deletion to the lift, then deletes promptly', () => {
    const holdPlaced = day(200);
    const holdLifted = day(430);
    const r = simulate(
      (now) => ({
        occurredAt: day(0).toISOString(),
        category: 'theft',
        outcome: 'reported-to-police',
        onLegalHold: now >= holdPlaced && now < holdLifted,
      }),
      policy,
      [holdPlaced, holdLifted],
    );
    expect(r.dueAt).toEqual(day(365));
    expect(r.deletedAt).toEqual(holdLifted); // overdue → deleted at once (well within 24 h)
    expect(r.skippedHeld.length).toBeGreaterThan(30); // each held wake-up is a logged skip
    expect(r.skippedHeld.every((d) => d >= holdPlaced && d < holdLifted)).toBe(true);
    expect(Math.max(...r.timers)).toBeLessThanOrEqual(MAX_TIMER_STEP_MS);
  });

  it('a hold lifted before the end does not shorten or extend retention', () => {
    const r = simulate(
      (now) => ({ occurredAt: day(0).toISOString(), category: 'violence', outcome: 'reported-to-police', onLegalHold: now >= day(100) && now < day(150) }),
      policy,
      [day(100), day(150)],
    );
    expect(r.deletedAt).toEqual(day(730));
  });
});
