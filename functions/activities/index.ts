import type { Deps } from '../../shared/usecases/deps.js';
import {
  discardOriginal,
  dispatchRedaction,
  inspectEvidence,
  publishEvidence,
  quarantineEvidence,
  recordRedaction,
  type EvidenceRef,
} from '../../shared/usecases/evidence.js';
import type { RedactionResult, ReviewReason } from '../../shared/domain/redaction.js';
import { enterReview, recordReviewRender, reviewDeadlinePassed } from '../../shared/usecases/review.js';
import { ACTIVITIES } from './names.js';
import { inSpan, traceparentOf } from '../../shared/telemetry/trace.js';

type Activity = (input: unknown) => Promise<unknown>;

/**
 * Thin activities: each one is a use case over the composed dependencies. Registered with
 * durable-functions in functions/index.ts and called directly by the local runtime.
 */
export function activityHandlers(deps: () => Promise<Deps>): Record<string, Activity> {
  return Object.fromEntries(Object.entries(evidenceActivities(deps)).map(([name, fn]) => [name, tracedActivity(name, fn)]));
}

function evidenceActivities(deps: () => Promise<Deps>): Record<string, Activity> {
  return {
    [ACTIVITIES.inspectEvidence]: async (ref) => inspectEvidence(await deps(), ref as EvidenceRef),
    [ACTIVITIES.dispatchRedaction]: async (input) => dispatchRedaction(await deps(), input as { ref: EvidenceRef; attempt: number; reviewable?: boolean; reviewVersion?: number }),
    [ACTIVITIES.recordRedaction]: async (input) => recordRedaction(await deps(), input as { ref: EvidenceRef; result: RedactionResult; reviewable?: boolean }),
    [ACTIVITIES.discardOriginal]: async (ref) => discardOriginal(await deps(), ref as EvidenceRef),
    [ACTIVITIES.publishEvidence]: async (ref) => publishEvidence(await deps(), ref as EvidenceRef),
    [ACTIVITIES.quarantineEvidence]: async (input) => quarantineEvidence(await deps(), input as { ref: EvidenceRef; code: string; reason: string }),
    [ACTIVITIES.enterReview]: async (input) => enterReview(await deps(), input as { ref: EvidenceRef; reasons: ReviewReason[]; since: string; deadline: string }),
    [ACTIVITIES.recordReviewRender]: async (input) => recordReviewRender(await deps(), input as { ref: EvidenceRef; version: number; result: RedactionResult | null }),
    [ACTIVITIES.reviewDeadlinePassed]: async (ref) => reviewDeadlinePassed(await deps(), ref as EvidenceRef),
  };
}

/**
 * Each activity is a span in the evidence item's trace (the traceparent its input carries); the
 * activity passes its own span on, so a redaction job dispatched here is this span's child.
 */
function tracedActivity(name: string, fn: Activity): Activity {
  return (input) => {
    const carrier = input as { traceparent?: string; ref?: { traceparent?: string; evidenceId?: string }; evidenceId?: string } | undefined;
    const ref = carrier?.ref ?? carrier;
    return inSpan(`activity ${name}`, { parent: ref?.traceparent ?? null, attributes: { 'bystander.evidence_id': ref?.evidenceId ?? '' } }, () => {
      const own = traceparentOf();
      if (!own || !ref?.traceparent) return fn(input);
      return fn(carrier?.ref ? { ...carrier, ref: { ...carrier.ref, traceparent: own } } : { ...carrier, traceparent: own });
    });
  };
}
