import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler, Task, TimerTask } from 'durable-functions';
import type { EvidenceRef, InspectResult, RecordResult } from '../../shared/usecases/evidence.js';
import { REDACTION_RESULT_EVENT, reviewJobIdFor } from '../../shared/usecases/evidence.js';
import { REVIEW_EVENT, type ReviewDecisionEvent } from '../../shared/usecases/review-names.js';
import type { RedactionResult, ReviewReason } from '../../shared/domain/redaction.js';
import type { ReviewMode } from '../../shared/domain/incident.js';
import { MAX_TIMER_STEP_MS } from '../../shared/retention/policy.js';
import { ACTIVITIES } from '../activities/names.js';

/**
 * Input: ids plus the workflow's fixed numbers and the tenant's review rule (see processEvidenceInput).
 * No personal data, no media. An input without `review` (started before review existed) behaves as `never`.
 */
export interface ProcessEvidenceInput {
  tenantId: string;
  incidentId: string;
  evidenceId: string;
  traceparent?: string;
  redactionTimeoutMinutes: number;
  maxAttempts: number;
  review?: ReviewMode;
  reviewDeadlineHours?: number;
}

export type ProcessEvidenceOutput =
  | { status: 'published'; evidenceId: string; attempts: number; reviewed?: boolean }
  | { status: 'quarantined'; evidenceId: string; code: string };

export type ProcessEvidenceStatus = {
  stage: 'inspecting' | 'redacting' | 'recording' | 'awaiting-review' | 'review-rendering' | 'publishing' | 'published' | 'quarantined';
  attempt?: number;
  maxAttempts?: number;
  code?: string;
  /** Review: the render version shown to the reviewer (0 = automatic), or the one being rendered; and the deadline. */
  version?: number;
  deadline?: string;
};

/** Transient failures of an activity (storage or Cosmos hiccups) are retried by the engine. */
const activityRetry = new df.RetryOptions(5_000, 4);
activityRetry.backoffCoefficient = 2;

/**
 * processEvidence: inspect ▸ (dispatch redaction ▸ wait for result or timeout) × attempts ▸ record
 * ▸ [review] ▸ discard original ▸ publish. Every failure path ends in quarantine; nothing is published
 * unless a redaction was recorded and the original discarded.
 *
 * Review (the tenant's rule, fixed in the input): `always`, or `when-needed` and the worker marked
 * the render unsure (summary.review.needed). The original is sealed with the incident's key and the
 * item waits in `awaiting-review` for a reviewer's decision (REVIEW_EVENT: ids and a version only —
 * the edits themselves are in the record) or the deadline (durable timers chained ≤ 6 days). Edits
 * re-render from the sealed original (one job per edit version) and the item waits again; approval
 * publishes the current render; rejection or the deadline deletes the original and quarantines.
 *
 * Deterministic: time comes only from `currentUtcDateTime`, all I/O happens in activities.
 */
export const processEvidenceOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<ProcessEvidenceInput>();
  const ref: EvidenceRef = {
    tenantId: input.tenantId,
    incidentId: input.incidentId,
    evidenceId: input.evidenceId,
    ...(input.traceparent ? { traceparent: input.traceparent } : {}),
  };
  const reviewMode: ReviewMode = input.review ?? 'never';
  const reviewable = reviewMode !== 'never';
  // The trace id rides along in the custom status too (an opaque id, copied from the input).
  const status = (s: ProcessEvidenceStatus) => context.df.setCustomStatus(input.traceparent ? { ...s, traceparent: input.traceparent } : s);
  const call = (name: string, arg: unknown): Task => context.df.callActivityWithRetry(name, activityRetry, arg);

  function* quarantine(code: string, reason: string): Generator<Task, ProcessEvidenceOutput, unknown> {
    status({ stage: 'quarantined', code });
    yield call(ACTIVITIES.quarantineEvidence, { ref, code, reason });
    return { status: 'quarantined', evidenceId: ref.evidenceId, code };
  }

  /**
   * Waits for the result of job `jobId` until the timeout; undefined on timeout. `accept` decides
   * which results count (a late success of an earlier automatic attempt is still a valid redaction).
   */
  function* awaitResult(accept: (r: RedactionResult) => boolean): Generator<Task, RedactionResult | undefined, unknown> {
    const deadline = new Date(context.df.currentUtcDateTime.getTime() + input.redactionTimeoutMinutes * 60_000);
    const timer: TimerTask = context.df.createTimer(deadline);
    while (true) {
      const event = context.df.waitForExternalEvent(REDACTION_RESULT_EVENT);
      const winner = yield context.df.Task.any([event, timer]);
      if (winner === timer) return undefined;
      const candidate = event.result as RedactionResult;
      if (!accept(candidate)) continue;
      if (!timer.isCompleted) timer.cancel();
      return candidate;
    }
  }

  status({ stage: 'inspecting' });
  const inspection = (yield call(ACTIVITIES.inspectEvidence, ref)) as InspectResult;
  if (!inspection.ok) return yield* quarantine(inspection.code, inspection.reason);

  let last = { code: 'redaction-timeout', reason: 'no redaction result arrived in time' };
  let recordedAttempt = 0;
  let reasons: ReviewReason[] = [];
  let needsReview = false;
  for (let attempt = 1; attempt <= input.maxAttempts && !recordedAttempt; attempt++) {
    status({ stage: 'redacting', attempt, maxAttempts: input.maxAttempts });
    yield call(ACTIVITIES.dispatchRedaction, reviewable ? { ref, attempt, reviewable } : { ref, attempt });
    // This attempt's result; a stale failure from an earlier attempt is ignored.
    const result: RedactionResult | undefined = yield* awaitResult((r) => r.outcome === 'succeeded' || r.attempt === attempt);
    if (!result) {
      last = { code: 'redaction-timeout', reason: `attempt ${attempt} produced no result within ${input.redactionTimeoutMinutes} minutes` };
      continue;
    }
    if (result.outcome === 'failed') {
      last = { code: result.code, reason: result.reason };
      if (result.retryable) continue;
      return yield* quarantine(result.code, result.reason);
    }

    status({ stage: 'recording', attempt });
    const recorded = (yield call(ACTIVITIES.recordRedaction, reviewable ? { ref, result, reviewable } : { ref, result })) as RecordResult;
    if (!recorded.ok) return yield* quarantine(recorded.code, recorded.reason);
    recordedAttempt = attempt;
    reasons = result.summary.review?.reasons ?? [];
    // A render whose verification failed is never published without a reviewer, whatever the rule.
    needsReview = reviewMode === 'always' || (reviewable && (result.summary.review?.needed === true || result.summary.verification === 'failed'));
  }
  if (!recordedAttempt) {
    return yield* quarantine(
      last.code === 'redaction-timeout' ? 'redaction-timeout' : last.code,
      `${input.maxAttempts} redaction attempts failed; last: ${last.reason}`,
    );
  }

  if (needsReview) {
    const since = context.df.currentUtcDateTime;
    const deadline = new Date(since.getTime() + (input.reviewDeadlineHours ?? 72) * 3600_000);
    yield call(ACTIVITIES.enterReview, { ref, reasons, since: since.toISOString(), deadline: deadline.toISOString() });
    let shown = 0;
    while (true) {
      status({ stage: 'awaiting-review', version: shown, deadline: deadline.toISOString() });
      const decision = context.df.waitForExternalEvent(REVIEW_EVENT);
      let fired = false;
      // Chained timers: JS durable timers must stay under 6 days.
      while (true) {
        const now = context.df.currentUtcDateTime.getTime();
        if (now >= deadline.getTime()) {
          fired = true;
          break;
        }
        const step: TimerTask = context.df.createTimer(new Date(Math.min(deadline.getTime(), now + MAX_TIMER_STEP_MS)));
        const winner = yield context.df.Task.any([decision, step]);
        if (winner === decision) {
          if (!step.isCompleted) step.cancel();
          break;
        }
      }
      if (fired) {
        yield call(ACTIVITIES.reviewDeadlinePassed, ref);
        return yield* quarantine('review-deadline-passed', `no reviewer decided within ${input.reviewDeadlineHours ?? 72} hours; the original was deleted`);
      }
      const event = decision.result as ReviewDecisionEvent;
      // The incident was deleted while the item waited (retention, erasure): nothing is left to act on.
      if (event.kind === 'withdrawn') {
        status({ stage: 'quarantined', code: 'incident-deleted' });
        return { status: 'quarantined', evidenceId: ref.evidenceId, code: 'incident-deleted' } satisfies ProcessEvidenceOutput;
      }
      if (event.kind === 'reject') return yield* quarantine('review-rejected', `a reviewer rejected the redaction (${event.reason})`);
      if (event.kind === 'approve') break;
      // Edits: one job per edit version, from the sealed original; the item waits again either way.
      status({ stage: 'review-rendering', version: event.version, deadline: deadline.toISOString() });
      yield call(ACTIVITIES.dispatchRedaction, { ref, attempt: 1, reviewable: true, reviewVersion: event.version });
      const jobId = reviewJobIdFor(ref, event.version);
      const result: RedactionResult | undefined = yield* awaitResult((r) => r.jobId === jobId);
      const rendered = (yield call(ACTIVITIES.recordReviewRender, { ref, version: event.version, result: result ?? null })) as { ok: boolean };
      if (rendered.ok) shown = event.version;
    }
  }

  status({ stage: 'publishing', attempt: recordedAttempt });
  yield call(ACTIVITIES.discardOriginal, ref);
  yield call(ACTIVITIES.publishEvidence, ref);
  status({ stage: 'published', attempt: recordedAttempt });
  return { status: 'published', evidenceId: ref.evidenceId, attempts: recordedAttempt, ...(needsReview ? { reviewed: true } : {}) } satisfies ProcessEvidenceOutput;
};
