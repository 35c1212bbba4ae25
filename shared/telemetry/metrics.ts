import { metrics, type Counter, type Histogram } from '@opentelemetry/api';

/**
 * The operator's numbers (OpenTelemetry metrics; Application Insights customMetrics in Azure).
 * Attributes are codes and queue names only. Instruments come from the global meter provider at
 * first use, so a provider registered at start-up (or by a test) receives them.
 */
interface Instruments {
  fps: Histogram;
  realTimeFactor: Histogram;
  corrections: Counter;
  verificationFailures: Counter;
  outcomes: Counter;
  queueAge: Histogram;
  reviewWait: Histogram;
  reviews: Counter;
}

let instruments: Instruments | undefined;
function get(): Instruments {
  if (instruments) return instruments;
  const meter = metrics.getMeter('bystander');
  instruments = {
    fps: meter.createHistogram('bystander.redaction.fps', { description: 'Frames redacted per second of the job (download, redaction, verification, upload)', unit: '{frame}/s' }),
    realTimeFactor: meter.createHistogram('bystander.redaction.realtime_factor', { description: 'Seconds of media redacted per second of the job (above 1: faster than real time)', unit: '1' }),
    corrections: meter.createCounter('bystander.verification.corrections', { description: 'Faces the verifier found that the engine then obscured in a correction round', unit: '{face}' }),
    verificationFailures: meter.createCounter('bystander.verification.failures', { description: 'Redactions whose independent verification failed (quarantined)', unit: '{job}' }),
    outcomes: meter.createCounter('bystander.evidence.outcomes', { description: 'Evidence items that ended published or quarantined (attribute code: the quarantine code); quarantine rate = quarantined / all', unit: '{item}' }),
    queueAge: meter.createHistogram('bystander.queue.age', { description: 'How long a message waited in its queue before a consumer took it', unit: 's' }),
    reviewWait: meter.createHistogram('bystander.review.wait', { description: 'How long an item waited in review, from held to decided (attribute decision: approved, rejected, deadline)', unit: 's' }),
    reviews: meter.createCounter('bystander.review.held', { description: 'Evidence items held for human review (attribute reason: the first review reason, or tenant-reviews-all)', unit: '{item}' }),
  };
  return instruments;
}

export const telemetryMetrics = {
  redaction(summary: { frames: number; durationSeconds: number }, wallSeconds: number) {
    if (wallSeconds <= 0) return;
    if (summary.frames > 0) get().fps.record(summary.frames / wallSeconds);
    if (summary.durationSeconds > 0) get().realTimeFactor.record(summary.durationSeconds / wallSeconds);
  },
  verification(status: 'passed' | 'failed' | 'skipped', corrections: number | undefined) {
    if (corrections) get().corrections.add(corrections);
    if (status === 'failed') get().verificationFailures.add(1);
  },
  outcome(outcome: 'published' | 'quarantined', code?: string) {
    get().outcomes.add(1, { outcome, ...(code ? { code } : {}) });
  },
  queueAge(queue: string, seconds: number) {
    if (seconds >= 0) get().queueAge.record(seconds, { queue });
  },
  reviewHeld(reason: string) {
    get().reviews.add(1, { reason });
  },
  reviewWait(decision: 'approved' | 'rejected' | 'deadline', seconds: number) {
    if (seconds >= 0) get().reviewWait.record(seconds, { decision });
  },
};
