/**
 * Retention policy: how long an incident (record, evidence, shares, keys) is kept, per tenant, by
 * incident category and outcome — always counted from the incident date (`occurredAt`), never from
 * the last update, so editing a record can never extend its life. A legal hold suspends deletion;
 * when it is lifted, an incident whose retention already ended is due immediately.
 *
 * Default policy (days from the incident date), chosen for UK/EU retail CCTV practice:
 * | outcome              | days | why                                                              |
 * |----------------------|------|------------------------------------------------------------------|
 * | none                 |   30 | unused footage: common CCTV practice (≈ 30 days); no purpose after |
 * | reported-to-police   |  365 | time for investigation and a charging decision                  |
 * | prosecution          | 2555 | 7 years: trial, appeals and the 6-year civil limitation period    |
 * Override: violence + reported-to-police = 730 days (serious offences take longer to charge).
 * A tenant may override any (category, outcome) pair; within a category the days must not decrease
 * as the outcome escalates (none ≤ reported-to-police ≤ prosecution), so a misconfiguration cannot
 * delete prosecution evidence before unused footage. Longer needs for one incident → legal hold.
 */
import { z } from 'zod';

export const INCIDENT_CATEGORIES = ['theft', 'violence', 'criminal-damage', 'fraud', 'antisocial', 'other'] as const;
export type IncidentCategory = (typeof INCIDENT_CATEGORIES)[number];
export const INCIDENT_OUTCOMES = ['none', 'reported-to-police', 'prosecution'] as const;
export type IncidentOutcome = (typeof INCIDENT_OUTCOMES)[number];

/** One day in milliseconds (retention is counted in exact 24-hour days, UTC). */
export const DAY_MS = 24 * 60 * 60 * 1000;
/** Longest single durable timer step (Durable Functions timers are limited to < 7 days). */
export const MAX_TIMER_STEP_MS = 6 * DAY_MS;

const Days = z.number().int().min(1).max(36_500);
const Category = z.enum(INCIDENT_CATEGORIES);
const Outcome = z.enum(INCIDENT_OUTCOMES);

/** Per-tenant retention policy (strict: unknown keys are rejected). */
export const RetentionPolicySchema = z
  .strictObject({
    version: z.literal(1),
    /** Days by outcome, for every category without an override. */
    defaults: z.strictObject({ none: Days, 'reported-to-police': Days, prosecution: Days }),
    /** Per-category overrides of individual outcomes. */
    overrides: z.partialRecord(Category, z.partialRecord(Outcome, Days)).default({}),
  })
  .superRefine((policy, ctx) => {
    for (const category of INCIDENT_CATEGORIES) {
      const days = INCIDENT_OUTCOMES.map((o) => policy.overrides[category]?.[o] ?? policy.defaults[o]);
      for (let i = 1; i < days.length; i++) {
        if ((days[i] ?? 0) < (days[i - 1] ?? 0)) {
          ctx.addIssue({
            code: 'custom',
            path: ['overrides', category],
            message: `retention for ${category} must not decrease as the outcome escalates (${INCIDENT_OUTCOMES.join(' ≤ ')})`,
          });
          break;
        }
      }
    }
  });
export type RetentionPolicy = z.infer<typeof RetentionPolicySchema>;

/** The documented default policy (see module doc). */
export const DEFAULT_RETENTION_POLICY: RetentionPolicy = RetentionPolicySchema.parse({
  version: 1,
  defaults: { none: 30, 'reported-to-police': 365, prosecution: 2555 },
  overrides: { violence: { 'reported-to-police': 730 } },
});

/** Validates a tenant's policy; throws a ZodError describing the first problems. */
export function parseRetentionPolicy(input: unknown): RetentionPolicy {
  return RetentionPolicySchema.parse(input);
}

/** The fields of an incident that retention depends on — and nothing else (not updatedAt). */
export interface RetentionSubject {
  /** When the incident happened (UTC ISO string or Date). */
  occurredAt: string | Date;
  category: IncidentCategory;
  outcome: IncidentOutcome;
  /** True while a legal hold is in place. */
  onLegalHold: boolean;
}

/** Retention period in days for a category and outcome under a policy. */
export function retentionDays(policy: RetentionPolicy, category: IncidentCategory, outcome: IncidentOutcome): number {
  return policy.overrides[category]?.[outcome] ?? policy.defaults[outcome];
}

function instant(value: string | Date): number {
  const t = value instanceof Date ? value.getTime() : Date.parse(value);
  if (!Number.isFinite(t)) throw new RangeError('retention: occurredAt is not a valid date');
  return t;
}

/**
 * When the incident's retention ends: occurredAt + retentionDays. Depends only on the incident
 * date, category and outcome — never on when the record was created or last edited.
 */
export function deletionDueAt(incident: Omit<RetentionSubject, 'onLegalHold'>, policy: RetentionPolicy): Date {
  return new Date(instant(incident.occurredAt) + retentionDays(policy, incident.category, incident.outcome) * DAY_MS);
}

/** True when the incident must be deleted now: retention ended and no legal hold. */
export function isDeletionDue(incident: RetentionSubject, policy: RetentionPolicy, now: Date): boolean {
  return !incident.onLegalHold && now.getTime() >= deletionDueAt(incident, policy).getTime();
}

/** What a retention orchestrator should do next. */
export type RetentionDecision =
  /** Retention ended and no hold: run the deletion orchestration now. */
  | { kind: 'delete'; dueAt: Date; lateByMs: number }
  /** Not yet due: sleep until `fireAt` (≤ one timer step), then re-read the incident and decide again. */
  | { kind: 'wait'; dueAt: Date; fireAt: Date }
  /**
   * Under legal hold: log the skip, then wait for the hold-lifted event or re-check at `fireAt`.
   * `overdue` tells whether deletion will be due immediately once the hold is lifted.
   */
  | { kind: 'held'; dueAt: Date; overdue: boolean; fireAt: Date };

/**
 * Pure decision step for a durable retention orchestrator. Call it after each wake-up with the
 * *current* incident (outcome and hold may have changed) and the orchestration's current time.
 */
export function retentionDecision(
  incident: RetentionSubject,
  policy: RetentionPolicy,
  now: Date,
  maxStepMs: number = MAX_TIMER_STEP_MS,
): RetentionDecision {
  assertStep(maxStepMs);
  const dueAt = deletionDueAt(incident, policy);
  const t = now.getTime();
  if (incident.onLegalHold) return { kind: 'held', dueAt, overdue: t >= dueAt.getTime(), fireAt: new Date(t + maxStepMs) };
  if (t >= dueAt.getTime()) return { kind: 'delete', dueAt, lateByMs: t - dueAt.getTime() };
  return { kind: 'wait', dueAt, fireAt: new Date(Math.min(dueAt.getTime(), t + maxStepMs)) };
}

/**
 * The chain of durable-timer fire times from `now` to `dueAt`, each at most `maxStepMs` after the
 * previous one; the last equals `dueAt`. Empty when `dueAt` is not in the future.
 */
export function nextTimerSteps(now: Date, dueAt: Date, maxStepMs: number = MAX_TIMER_STEP_MS): Date[] {
  assertStep(maxStepMs);
  const steps: Date[] = [];
  const end = dueAt.getTime();
  for (let t = now.getTime(); t < end; ) {
    t = Math.min(end, t + maxStepMs);
    steps.push(new Date(t));
  }
  return steps;
}

function assertStep(maxStepMs: number): void {
  if (!Number.isFinite(maxStepMs) || maxStepMs <= 0 || maxStepMs > 7 * DAY_MS) {
    throw new RangeError('retention: timer step must be in (0, 7 days]');
  }
}
