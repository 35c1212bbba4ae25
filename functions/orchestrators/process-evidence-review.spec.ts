/**
 * processEvidence's review path through the durable-functions replay engine (local runtime), with
 * activities recorded by the test and timers it fires by hand: which renders wait for a reviewer,
 * edits re-rendering one job per version, approval, rejection and the chained deadline timers.
 */
import { describe, expect, it } from 'vitest';
import { processEvidenceOrchestrator, type ProcessEvidenceInput } from './process-evidence.js';
import { ACTIVITIES } from '../activities/names.js';
import type { RedactionResult, ReviewReason } from '../../shared/domain/redaction.js';
import { MAX_TIMER_STEP_MS } from '../../shared/retention/policy.js';
import { runtimeWith as harness, settle } from '../../test/orchestration/harness.js';

const T0 = new Date('2026-01-01T00:00:00Z');
const HOUR = 3600_000;
const ref = { tenantId: 't1', incidentId: 'i1', evidenceId: 'e1' };
const base: ProcessEvidenceInput = { ...ref, redactionTimeoutMinutes: 30, maxAttempts: 2, review: 'when-needed', reviewDeadlineHours: 72 };

function result(jobId: string, review?: { needed: boolean; reasons: ReviewReason[] }, verification: 'passed' | 'failed' = 'passed'): RedactionResult {
  const suffix = jobId.slice(jobId.lastIndexOf('.') + 1);
  return {
    version: 1,
    outcome: 'succeeded',
    jobId,
    ...ref,
    attempt: 1,
    output: { container: 'evidence', name: `t1/i1/e1/redacted.${suffix}`, sha256: 'a'.repeat(64), bytes: 10, storedBytes: 60, contentType: 'video/mp4' },
    report: { container: 'reports', name: `t1/i1/e1/report.json.${suffix}` },
    summary: { frames: 1, durationSeconds: 1, width: 2, height: 2, tracksObscured: 1, tracksKept: 0, regionsObscured: 1, subjectMatched: null, verification, models: [], ...(review ? { review } : {}) },
  };
}
const unsure = (jobId = 'e1.a1') => result(jobId, { needed: true, reasons: ['subject-ambiguous'] });

function setup(input: ProcessEvidenceInput = base) {
  const h = harness({ processEvidence: processEvidenceOrchestrator }, Object.values(ACTIVITIES), {
    [ACTIVITIES.inspectEvidence]: async () => ({ ok: true, mediaKind: 'video' }),
    [ACTIVITIES.recordReviewRender]: async (arg) => ({ ok: (arg as { result: unknown }).result !== null }),
  }, T0);
  const names = () => h.calls.map((c) => c.name);
  const start = async () => {
    await h.runtime.start('processEvidence', 'e1', input);
    await settle(h.runtime);
  };
  const raise = async (name: string, data: unknown) => {
    await h.runtime.raiseEvent('e1', name, data);
    await settle(h.runtime);
  };
  return { ...h, names, start, raise };
}

describe('processEvidence: review before publishing', () => {
  it('when-needed: an unsure render waits for a reviewer; edits re-render from the sealed original; approval publishes', async () => {
    const t = setup();
    await t.start();
    expect(t.calls.find((c) => c.name === ACTIVITIES.dispatchRedaction)!.input).toEqual({ ref, attempt: 1, reviewable: true });
    await t.raise('RedactionResult', unsure());
    expect(t.calls.find((c) => c.name === ACTIVITIES.recordRedaction)!.input).toMatchObject({ reviewable: true });
    const held = t.calls.find((c) => c.name === ACTIVITIES.enterReview)!.input;
    expect(held).toEqual({ ref, reasons: ['subject-ambiguous'], since: T0.toISOString(), deadline: new Date(T0.getTime() + 72 * HOUR).toISOString() });
    expect((await t.runtime.status('e1'))?.customStatus).toEqual({ stage: 'awaiting-review', version: 0, deadline: new Date(T0.getTime() + 72 * HOUR).toISOString() });
    expect(t.names()).not.toContain(ACTIVITIES.discardOriginal);

    // Edits v1 ▸ one job for that version; a late result of another job is ignored.
    await t.raise('ReviewDecision', { kind: 'edits', version: 1 });
    expect(t.calls.filter((c) => c.name === ACTIVITIES.dispatchRedaction).at(-1)!.input).toEqual({ ref, attempt: 1, reviewable: true, reviewVersion: 1 });
    expect((await t.runtime.status('e1'))?.customStatus).toMatchObject({ stage: 'review-rendering', version: 1 });
    await t.raise('RedactionResult', result('e1.a2'));
    expect(t.names()).not.toContain(ACTIVITIES.recordReviewRender);
    await t.raise('RedactionResult', result('e1.r1', { needed: false, reasons: [] }));
    expect(t.calls.find((c) => c.name === ACTIVITIES.recordReviewRender)!.input).toMatchObject({ ref, version: 1, result: { jobId: 'e1.r1' } });
    expect((await t.runtime.status('e1'))?.customStatus).toMatchObject({ stage: 'awaiting-review', version: 1 });
    expect(t.names()).not.toContain(ACTIVITIES.publishEvidence);

    await t.raise('ReviewDecision', { kind: 'approve', version: 1 });
    const done = await t.runtime.waitForCompletion('e1');
    expect(done.output).toEqual({ status: 'published', evidenceId: 'e1', attempts: 1, reviewed: true });
    expect(t.names().slice(-2)).toEqual([ACTIVITIES.discardOriginal, ACTIVITIES.publishEvidence]);
    expect(t.timers.count()).toBe(0);
  });

  it('a review render that never arrives leaves the earlier render in place and the item waiting', async () => {
    const t = setup();
    await t.start();
    await t.raise('RedactionResult', unsure());
    await t.raise('ReviewDecision', { kind: 'edits', version: 1 });
    t.advance(31 * 60_000);
    t.timers.fireAll(); // fires the render's timeout (and the deadline step, which is not due: re-armed)
    await settle(t.runtime);
    expect(t.calls.find((c) => c.name === ACTIVITIES.recordReviewRender)!.input).toMatchObject({ version: 1, result: null });
    expect((await t.runtime.status('e1'))?.customStatus).toMatchObject({ stage: 'awaiting-review', version: 0 });
  });

  it('rejection deletes the original and quarantines (review-rejected); nothing is published', async () => {
    const t = setup();
    await t.start();
    await t.raise('RedactionResult', unsure());
    await t.raise('ReviewDecision', { kind: 'reject', reason: 'subject-not-visible' });
    const done = await t.runtime.waitForCompletion('e1');
    expect(done.output).toEqual({ status: 'quarantined', evidenceId: 'e1', code: 'review-rejected' });
    expect(t.calls.at(-1)!.input).toMatchObject({ ref, code: 'review-rejected' });
    expect(t.names()).not.toContain(ACTIVITIES.publishEvidence);
  });

  it('the deadline (longer than one durable timer) is reached through chained timers of at most 6 days, then the item is quarantined', async () => {
    const t = setup({ ...base, reviewDeadlineHours: 10 * 24 });
    await t.start();
    await t.raise('RedactionResult', unsure());
    const pending = t.timers.pendingAt();
    expect(pending).toHaveLength(1);
    expect(pending[0]!.getTime() - T0.getTime()).toBe(MAX_TIMER_STEP_MS);
    t.advance(MAX_TIMER_STEP_MS);
    t.timers.fireAll();
    await settle(t.runtime);
    expect(t.names()).not.toContain(ACTIVITIES.quarantineEvidence);
    expect(t.timers.pendingAt()[0]!.getTime()).toBe(T0.getTime() + 10 * 24 * HOUR);
    t.advance(10 * 24 * HOUR - MAX_TIMER_STEP_MS);
    t.timers.fireAll();
    const done = await t.runtime.waitForCompletion('e1');
    expect(done.output).toEqual({ status: 'quarantined', evidenceId: 'e1', code: 'review-deadline-passed' });
    expect(t.names().slice(-2)).toEqual([ACTIVITIES.reviewDeadlinePassed, ACTIVITIES.quarantineEvidence]);
  });

  it('withdrawn (the incident was deleted while the item waited) ends the orchestration without touching the item', async () => {
    const t = setup();
    await t.start();
    await t.raise('RedactionResult', unsure());
    const before = t.calls.length;
    await t.raise('ReviewDecision', { kind: 'withdrawn' });
    const done = await t.runtime.waitForCompletion('e1');
    expect(done.output).toEqual({ status: 'quarantined', evidenceId: 'e1', code: 'incident-deleted' });
    expect(t.calls.length).toBe(before);
    expect(t.timers.count()).toBe(0);
  });

  it('always: a render the engine is sure of still waits for a reviewer', async () => {
    const t = setup({ ...base, review: 'always' });
    await t.start();
    await t.raise('RedactionResult', result('e1.a1', { needed: false, reasons: [] }));
    expect(t.calls.find((c) => c.name === ACTIVITIES.enterReview)!.input).toMatchObject({ reasons: [] });
    expect(t.names()).not.toContain(ACTIVITIES.publishEvidence);
  });

  it('when-needed: a render the engine is sure of publishes without review', async () => {
    const t = setup();
    await t.start();
    await t.raise('RedactionResult', result('e1.a1', { needed: false, reasons: [] }));
    const done = await t.runtime.waitForCompletion('e1');
    expect(done.output).toEqual({ status: 'published', evidenceId: 'e1', attempts: 1 });
    expect(t.names()).not.toContain(ACTIVITIES.enterReview);
  });

  it('never (and inputs from before review existed): jobs are not reviewable and nothing waits', async () => {
    const { review: _r, reviewDeadlineHours: _h, ...legacy } = base;
    for (const input of [{ ...base, review: 'never' as const }, legacy]) {
      const t = setup(input);
      await t.start();
      expect(t.calls.find((c) => c.name === ACTIVITIES.dispatchRedaction)!.input).toEqual({ ref, attempt: 1 });
      await t.raise('RedactionResult', unsure());
      const done = await t.runtime.waitForCompletion('e1');
      expect(done.output).toMatchObject({ status: 'published' });
      expect(t.names()).not.toContain(ACTIVITIES.enterReview);
    }
  });
});
