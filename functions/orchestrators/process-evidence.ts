import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler, Task, TimerTask } from 'durable-functions';
import type { EvidenceRef, InspectResult, RecordResult } from '../../shared/usecases/evidence.js';
import { REDACTION_RESULT_EVENT, processEvidenceInput } from '../../shared/usecases/evidence.js';
import type { RedactionResult } from '../../shared/domain/redaction.js';
import { ACTIVITIES } from '../activities/names.js';

/** Input: ids plus the workflow's fixed numbers (see processEvidenceInput). No personal data, no media. */
export type ProcessEvidenceInput = ReturnType<typeof processEvidenceInput>;

export type ProcessEvidenceOutput =
  | { status: 'published'; evidenceId: string; attempts: number }
  | { status: 'quarantined'; evidenceId: string; code: string };

export type ProcessEvidenceStatus = {
  stage: 'inspecting' | 'redacting' | 'recording' | 'publishing' | 'published' | 'quarantined';
  attempt?: number;
  maxAttempts?: number;
  code?: string;
};

/** Transient failures of an activity (storage or Cosmos hiccups) are retried by the engine. */
const activityRetry = new df.RetryOptions(5_000, 4);
activityRetry.backoffCoefficient = 2;

/**
 * processEvidence: inspect ▸ (dispatch redaction ▸ wait for result or timeout) × attempts ▸ record
 * ▸ discard original ▸ publish. Every failure path ends in quarantine; nothing is published unless
 * a redaction was recorded and the original discarded. Deterministic: time comes only from
 * `currentUtcDateTime`, all I/O happens in activities.
 */
export const processEvidenceOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<ProcessEvidenceInput>();
  const ref: EvidenceRef = {
    tenantId: input.tenantId,
    incidentId: input.incidentId,
    evidenceId: input.evidenceId,
    ...(input.traceparent ? { traceparent: input.traceparent } : {}),
  };
  // The trace id rides along in the custom status too (an opaque id, copied from the input).
  const status = (s: ProcessEvidenceStatus) => context.df.setCustomStatus(input.traceparent ? { ...s, traceparent: input.traceparent } : s);
  const call = (name: string, arg: unknown): Task => context.df.callActivityWithRetry(name, activityRetry, arg);

  function* quarantine(code: string, reason: string): Generator<Task, ProcessEvidenceOutput, unknown> {
    status({ stage: 'quarantined', code });
    yield call(ACTIVITIES.quarantineEvidence, { ref, code, reason });
    return { status: 'quarantined', evidenceId: ref.evidenceId, code };
  }

  status({ stage: 'inspecting' });
  const inspection = (yield call(ACTIVITIES.inspectEvidence, ref)) as InspectResult;
  if (!inspection.ok) return yield* quarantine(inspection.code, inspection.reason);

  let last = { code: 'redaction-timeout', reason: 'no redaction result arrived in time' };
  for (let attempt = 1; attempt <= input.maxAttempts; attempt++) {
    status({ stage: 'redacting', attempt, maxAttempts: input.maxAttempts });
    yield call(ACTIVITIES.dispatchRedaction, { ref, attempt });

    const deadline = new Date(context.df.currentUtcDateTime.getTime() + input.redactionTimeoutMinutes * 60_000);
    const timer: TimerTask = context.df.createTimer(deadline);
    let result: RedactionResult | undefined;
    // Wait for this attempt's result; a stale failure from an earlier attempt is ignored.
    while (!result) {
      const event = context.df.waitForExternalEvent(REDACTION_RESULT_EVENT);
      const winner = yield context.df.Task.any([event, timer]);
      if (winner === timer) break;
      const candidate = event.result as RedactionResult;
      if (candidate.outcome === 'failed' && candidate.attempt !== attempt) continue;
      result = candidate;
    }
    if (!result) {
      last = { code: 'redaction-timeout', reason: `attempt ${attempt} produced no result within ${input.redactionTimeoutMinutes} minutes` };
      continue;
    }
    if (!timer.isCompleted) timer.cancel();

    if (result.outcome === 'failed') {
      last = { code: result.code, reason: result.reason };
      if (result.retryable) continue;
      return yield* quarantine(result.code, result.reason);
    }

    status({ stage: 'recording', attempt });
    const recorded = (yield call(ACTIVITIES.recordRedaction, { ref, result })) as RecordResult;
    if (!recorded.ok) return yield* quarantine(recorded.code, recorded.reason);

    status({ stage: 'publishing', attempt });
    yield call(ACTIVITIES.discardOriginal, ref);
    yield call(ACTIVITIES.publishEvidence, ref);
    status({ stage: 'published', attempt });
    return { status: 'published', evidenceId: ref.evidenceId, attempts: attempt } satisfies ProcessEvidenceOutput;
  }
  return yield* quarantine(
    last.code === 'redaction-timeout' ? 'redaction-timeout' : last.code,
    `${input.maxAttempts} redaction attempts failed; last: ${last.reason}`,
  );
};
