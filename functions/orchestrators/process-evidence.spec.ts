import { describe, expect, it } from 'vitest';
import * as df from 'durable-functions';
import { processEvidenceOrchestrator, type ProcessEvidenceInput } from './process-evidence.js';
import { ACTIVITIES } from '../activities/names.js';
import { ActionType, DurableOrchestrationInput, HistoryEvents, Orchestrator, type HistoryEvent } from '../../local/durable-internals.js';
import { runtimeWith as harness, settle } from '../../test/orchestration/harness.js';
import type { RedactionResult } from '../../shared/domain/redaction.js';

const input: ProcessEvidenceInput = { tenantId: 't1', incidentId: 'i1', evidenceId: 'e1', redactionTimeoutMinutes: 30, maxAttempts: 2 };
const ref = { tenantId: 't1', incidentId: 'i1', evidenceId: 'e1' };
const T0 = new Date('2026-01-01T00:00:00Z');

const succeeded = (attempt: number): RedactionResult => ({
  version: 1,
  outcome: 'succeeded',
  jobId: `e1.a${attempt}`,
  tenantId: 't1',
  incidentId: 'i1',
  evidenceId: 'e1',
  attempt,
  output: { container: 'evidence', name: `t1/i1/e1/redacted.a${attempt}`, sha256: 'a'.repeat(64), bytes: 10, storedBytes: 60, contentType: 'video/mp4' },
  report: { container: 'reports', name: `t1/i1/e1/report.json.a${attempt}` },
  summary: { frames: 1, durationSeconds: 1, width: 2, height: 2, tracksObscured: 1, tracksKept: 0, regionsObscured: 1, subjectMatched: null, verification: 'passed', models: [] },
});

// --- history helpers (the wire shape the Durable extension sends) ---
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);
const started = (m = 0) => new HistoryEvents.OrchestratorStarted({ eventId: -1, timestamp: at(m), isPlayed: false });
const execution = () => new HistoryEvents.ExecutionStarted({ eventId: -1, timestamp: at(0), isPlayed: false, name: 'processEvidence', input: JSON.stringify(input) });
const completed = (id: number, result: unknown, m = 0) =>
  new HistoryEvents.TaskCompleted({ eventId: -1, timestamp: at(m), isPlayed: false, taskScheduledId: id, result: JSON.stringify(result) });
const timerFired = (id: number, m: number) => new HistoryEvents.TimerFired({ eventId: -1, timestamp: at(m), isPlayed: false, timerId: id, fireAt: at(m) });
const raised = (data: unknown, m = 0) => new HistoryEvents.EventRaised({ eventId: -1, timestamp: at(m), isPlayed: false, name: 'RedactionResult', input: JSON.stringify(data) });

type State = { isDone: boolean; output?: unknown; customStatus?: unknown; actions: Array<Array<Record<string, unknown>>> };

async function run(history: HistoryEvent[]): Promise<State> {
  const context = new df.DummyOrchestrationContext();
  const orchestrator = new Orchestrator(processEvidenceOrchestrator);
  return orchestrator.handle(new DurableOrchestrationInput('e1', history, input), context);
}

const flat = (s: State) => s.actions.flat().map((a) => ({ type: a.actionType, name: a.functionName, event: a.externalEventName, fireAt: a.fireAt }));

describe('processEvidence with DummyOrchestrationContext and a recorded history', () => {
  it('starts by inspecting the evidence, with ids only as input', async () => {
    const state = await run([started(), execution()]);
    expect(state.isDone).toBe(false);
    expect(flat(state)).toEqual([{ type: ActionType.CallActivityWithRetry, name: ACTIVITIES.inspectEvidence, event: undefined, fireAt: undefined }]);
    expect(state.actions[0]![0]!.input).toEqual(ref);
    expect(state.customStatus).toEqual({ stage: 'inspecting' });
  });

  it('after dispatching, waits for the result and a timer at now + timeout', async () => {
    const state = await run([started(), execution(), started(1), completed(0, { ok: true, mediaKind: 'video' }, 1), started(1), completed(1, { jobId: 'e1.a1' }, 1)]);
    const actions = flat(state);
    expect(actions.slice(2)).toEqual([
      { type: ActionType.WaitForExternalEvent, name: undefined, event: 'RedactionResult', fireAt: undefined },
      { type: ActionType.CreateTimer, name: undefined, event: undefined, fireAt: at(1 + 30) },
    ]);
    expect(state.customStatus).toEqual({ stage: 'redacting', attempt: 1, maxAttempts: 2 });
  });

  it('quarantines media that fails inspection and never dispatches a job', async () => {
    const state = await run([started(), execution(), started(), completed(0, { ok: false, code: 'media-not-recognised', reason: 'x' })]);
    const names = flat(state).map((a) => a.name);
    expect(names).toEqual([ACTIVITIES.inspectEvidence, ACTIVITIES.quarantineEvidence]);
    expect(names).not.toContain(ACTIVITIES.dispatchRedaction);
  });

  it('publishes only after recording and discarding the original, in that order', async () => {
    const history = [
      started(), execution(),
      started(), completed(0, { ok: true, mediaKind: 'video' }),
      started(), completed(1, { jobId: 'e1.a1' }),
      started(2), raised(succeeded(1), 2),
      started(3), completed(3, { ok: true }, 3),
      started(3), completed(4, { deleted: true }, 3),
      started(3), completed(5, { status: 'published' }, 3),
    ];
    const state = await run(history);
    expect(state.isDone).toBe(true);
    expect(state.output).toEqual({ status: 'published', evidenceId: 'e1', attempts: 1 });
    expect(flat(state).filter((a) => a.name).map((a) => a.name)).toEqual([
      ACTIVITIES.inspectEvidence,
      ACTIVITIES.dispatchRedaction,
      ACTIVITIES.recordRedaction,
      ACTIVITIES.discardOriginal,
      ACTIVITIES.publishEvidence,
    ]);
  });

  it('a non-retryable failure quarantines at once', async () => {
    const failed: RedactionResult = { version: 1, outcome: 'failed', jobId: 'e1.a1', tenantId: 't1', incidentId: 'i1', evidenceId: 'e1', attempt: 1, code: 'media-corrupt', reason: 'truncated', retryable: false };
    const state = await run([started(), execution(), started(), completed(0, { ok: true, mediaKind: 'video' }), started(), completed(1, { jobId: 'e1.a1' }), started(2), raised(failed, 2)]);
    const names = flat(state).filter((a) => a.name).map((a) => a.name);
    expect(names.at(-1)).toBe(ACTIVITIES.quarantineEvidence);
    expect(names.filter((n) => n === ACTIVITIES.dispatchRedaction)).toHaveLength(1);
    expect(state.actions.flat().at(-1)!.input).toMatchObject({ ref, code: 'media-corrupt' });
  });
});

function runtimeWith(activityImpl: Partial<Record<string, (input: unknown) => Promise<unknown>>>) {
  return harness({ processEvidence: processEvidenceOrchestrator }, Object.values(ACTIVITIES), activityImpl, T0);
}

describe('processEvidence through durable-functions replay engine (local runtime)', () => {
  it('happy path: result event ▸ record ▸ discard ▸ publish; the timer is cancelled', async () => {
    const { runtime, calls, timers } = runtimeWith({ [ACTIVITIES.inspectEvidence]: async () => ({ ok: true, mediaKind: 'video' }) });
    await runtime.start('processEvidence', 'e1', input);
    await settle(runtime);
    expect(calls.map((c) => c.name)).toEqual([ACTIVITIES.inspectEvidence, ACTIVITIES.dispatchRedaction]);
    expect((await runtime.status('e1'))?.customStatus).toEqual({ stage: 'redacting', attempt: 1, maxAttempts: 2 });
    await runtime.raiseEvent('e1', 'RedactionResult', succeeded(1));
    const done = await runtime.waitForCompletion('e1');
    expect(done.output).toEqual({ status: 'published', evidenceId: 'e1', attempts: 1 });
    expect(calls.map((c) => c.name).slice(2)).toEqual([ACTIVITIES.recordRedaction, ACTIVITIES.discardOriginal, ACTIVITIES.publishEvidence]);
    expect(timers.count()).toBe(0);
  });

  it('timeout ▸ retry ▸ timeout ▸ quarantine with a clear reason', async () => {
    const { runtime, calls, timers, advance } = runtimeWith({ [ACTIVITIES.inspectEvidence]: async () => ({ ok: true, mediaKind: 'video' }) });
    await runtime.start('processEvidence', 'e1', input);
    await settle(runtime);
    advance(31 * 60_000);
    expect(timers.fireAll()).toBe(1);
    await settle(runtime);
    expect(calls.filter((c) => c.name === ACTIVITIES.dispatchRedaction).map((c) => c.input)).toEqual([{ ref, attempt: 1 }, { ref, attempt: 2 }]);
    advance(31 * 60_000);
    timers.fireAll();
    const done = await runtime.waitForCompletion('e1');
    expect(done.output).toEqual({ status: 'quarantined', evidenceId: 'e1', code: 'redaction-timeout' });
    const q = calls.find((c) => c.name === ACTIVITIES.quarantineEvidence)!.input as { code: string; reason: string };
    expect(q.reason).toMatch(/2 redaction attempts failed/);
    expect(calls.map((c) => c.name)).not.toContain(ACTIVITIES.publishEvidence);
  });

  it('a worker crash (retryable failure) is retried and the second attempt publishes', async () => {
    const { runtime, calls } = runtimeWith({ [ACTIVITIES.inspectEvidence]: async () => ({ ok: true, mediaKind: 'video' }) });
    await runtime.start('processEvidence', 'e1', input);
    await settle(runtime);
    await runtime.raiseEvent('e1', 'RedactionResult', { version: 1, outcome: 'failed', jobId: 'e1.a1', tenantId: 't1', incidentId: 'i1', evidenceId: 'e1', attempt: 1, code: 'worker-crash', reason: 'exit 137', retryable: true });
    await settle(runtime);
    await runtime.raiseEvent('e1', 'RedactionResult', succeeded(2));
    const done = await runtime.waitForCompletion('e1');
    expect(done.output).toEqual({ status: 'published', evidenceId: 'e1', attempts: 2 });
    expect(calls.filter((c) => c.name === ACTIVITIES.dispatchRedaction)).toHaveLength(2);
  });

  it('a failing activity is retried by the engine (retry options) before the orchestration moves on', async () => {
    let failures = 0;
    const { runtime, calls } = runtimeWith({
      [ACTIVITIES.inspectEvidence]: async () => {
        if (failures++ < 2) throw new Error('storage hiccup');
        return { ok: true, mediaKind: 'video' };
      },
    });
    await runtime.start('processEvidence', 'e1', input);
    await settle(runtime);
    await settle(runtime);
    expect(calls.filter((c) => c.name === ACTIVITIES.inspectEvidence)).toHaveLength(3);
    expect(calls.map((c) => c.name)).toContain(ACTIVITIES.dispatchRedaction);
  });

  it('replaying the recorded history yields the same actions and output (determinism)', async () => {
    const { runtime } = runtimeWith({ [ACTIVITIES.inspectEvidence]: async () => ({ ok: true, mediaKind: 'video' }) });
    await runtime.start('processEvidence', 'e1', input);
    await settle(runtime);
    await runtime.raiseEvent('e1', 'RedactionResult', succeeded(1));
    const done = await runtime.waitForCompletion('e1');
    const history = runtime.history('e1');
    const first = await new Orchestrator(processEvidenceOrchestrator).handle(new DurableOrchestrationInput('e1', history, input), new df.DummyOrchestrationContext());
    const second = await new Orchestrator(processEvidenceOrchestrator).handle(new DurableOrchestrationInput('e1', structuredClone(history), input), new df.DummyOrchestrationContext());
    expect(first.isDone).toBe(true);
    expect(first.output).toEqual(done.output);
    expect(JSON.stringify(second.actions)).toEqual(JSON.stringify(first.actions));
    // ids only: nothing in the history is media or personal data
    const text = JSON.stringify(history);
    expect(text).not.toMatch(/description|fileName|subjectHints/);
  });
});
