import { describe, expect, it } from 'vitest';
import * as df from 'durable-functions';
import { shareLifecycleOrchestrator } from './share-lifecycle.js';
import { SHARE_ACTIVITIES, shareActivityHandlers } from '../activities/share-activities.js';
import { ActionType, DurableOrchestrationInput, HistoryEvents, Orchestrator } from '../../local/durable-internals.js';
import { LocalOrchestrationRuntime, type TimerScheduler } from '../../local/orchestration-runtime.js';
import { silentLogger } from '../../shared/adapters/console-logger.js';
import { SHARE_LIFECYCLE, SHARE_REVOKED_EVENT, createShare, resolveShare, revokeShare, shareInstanceId, type ShareLifecycleInput } from '../../shared/usecases/shares.js';
import { T0, client, fakeDeps, investigator, seedIncident, shareBody } from '../../test/shares/fakes.js';

const HOUR = 3600_000;
const DAY = 24 * HOUR;

/** Timers fire when the test moves the shared clock past them. */
function clockedTimers(f: ReturnType<typeof fakeDeps>) {
  const pending: { at: Date; fn: () => void; cancelled: boolean }[] = [];
  const scheduler: TimerScheduler = {
    schedule(at, fn) {
      const t = { at, fn, cancelled: false };
      pending.push(t);
      return () => (t.cancelled = true);
    },
  };
  return {
    scheduler,
    scheduled: () => pending.filter((t) => !t.cancelled).map((t) => t.at.toISOString()),
    /** Moves the clock to `to` and fires every timer due by then. */
    advanceTo(to: Date) {
      f.clock.set(to);
      const due = pending.filter((t) => !t.cancelled && t.at.getTime() <= to.getTime());
      for (const t of due) pending.splice(pending.indexOf(t), 1);
      due.forEach((t) => t.fn());
      return due.length;
    },
  };
}

function setup() {
  const f = fakeDeps();
  const timers = clockedTimers(f);
  const calls: string[] = [];
  const handlers = shareActivityHandlers(async () => f.deps);
  const activities = Object.fromEntries(
    Object.entries(handlers).map(([name, fn]) => [
      name,
      async (input: unknown) => {
        calls.push(name);
        return fn(input);
      },
    ]),
  );
  const runtime = new LocalOrchestrationRuntime({ [SHARE_LIFECYCLE]: shareLifecycleOrchestrator }, activities, f.clock, silentLogger, timers.scheduler, 0);
  return { f, timers, runtime, calls };
}

async function settle(runtime: LocalOrchestrationRuntime) {
  for (let i = 0; i < 20; i++) {
    await runtime.idle();
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe('shareLifecycle (durable-functions replay engine, local runtime, fake clock)', () => {
  it('sends the link, chains timers in ≤ 6-day steps up to a 7-day expiry, then expires the share and tells the sharer', async () => {
    const { f, timers, runtime, calls } = setup();
    await seedIncident(f);
    const view = await createShare(f.deps, runtime, investigator, 'inc-1', shareBody({ expiresInHours: 168, notifySharerEmail: 'lp-team@retailer.example' }));
    await settle(runtime);
    expect(calls).toEqual([SHARE_ACTIVITIES.issueShareLink]);
    expect(f.notifier.sent.map((n) => n.kind)).toEqual(['share-link']);
    const token = f.notifier.lastToken()!;
    expect(timers.scheduled()).toEqual([new Date(T0.getTime() + 6 * DAY).toISOString()]);
    expect((await runtime.status(shareInstanceId(view.id)))?.customStatus).toMatchObject({ stage: 'active', expiresAt: view.expiresAt });

    expect(timers.advanceTo(new Date(T0.getTime() + 6 * DAY))).toBe(1);
    await settle(runtime);
    expect(timers.scheduled()).toEqual([view.expiresAt]);
    expect((await resolveShare(f.deps, token, client())).ok).toBe(true);

    timers.advanceTo(new Date(view.expiresAt));
    const done = await runtime.waitForCompletion(shareInstanceId(view.id));
    expect(done.output).toEqual({ status: 'expired', shareId: view.id });
    expect(calls).toEqual([SHARE_ACTIVITIES.issueShareLink, SHARE_ACTIVITIES.expireShare, SHARE_ACTIVITIES.notifySharer]);
    expect((await f.shares.get('t1', view.id))!.doc.status).toBe('expired');
    expect(f.notifier.sent.at(-1)).toEqual({
      kind: 'share-ended',
      tenantId: 't1',
      shareId: view.id,
      incidentRef: 'inc-1',
      reason: 'expired',
      at: view.expiresAt,
      to: { sharerId: 'user-inv', email: 'lp-team@retailer.example' },
    });
    expect(f.audit.filter((a) => a.action === 'share.expire')).toHaveLength(1);
    expect((await resolveShare(f.deps, token, client())).ok).toBe(false);
  });

  it('revocation raises an event that ends the orchestration early; the timer is cancelled', async () => {
    const { f, timers, runtime, calls } = setup();
    await seedIncident(f);
    const view = await createShare(f.deps, runtime, investigator, 'inc-1', shareBody());
    await settle(runtime);
    await revokeShare(f.deps, runtime, investigator, view.id);
    const done = await runtime.waitForCompletion(shareInstanceId(view.id));
    expect(done.output).toEqual({ status: 'revoked', shareId: view.id });
    expect(timers.scheduled()).toEqual([]);
    expect(calls).toEqual([SHARE_ACTIVITIES.issueShareLink]);
    expect(f.notifier.sent.map((n) => n.kind)).toEqual(['share-link']);
  });

  it('retries the notification; when every attempt fails the share fails (never usable) and the sharer is told', async () => {
    const { f, runtime, calls } = setup();
    await seedIncident(f);
    f.notifier.failuresLeft = 6; // every attempt of the link; the sharer notice then goes through
    const view = await createShare(f.deps, runtime, investigator, 'inc-1', shareBody());
    const done = await runtime.waitForCompletion(shareInstanceId(view.id));
    expect(done.output).toEqual({ status: 'failed', shareId: view.id, reason: 'notification-failed' });
    expect(calls.filter((c) => c === SHARE_ACTIVITIES.issueShareLink)).toHaveLength(6);
    expect(calls.slice(-2)).toEqual([SHARE_ACTIVITIES.failShare, SHARE_ACTIVITIES.notifySharer]);
    expect((await f.shares.get('t1', view.id))!.doc.status).toBe('failed');
    expect(f.notifier.sent).toEqual([expect.objectContaining({ kind: 'share-ended', reason: 'notification-failed' })]);
    // Every attempt issued a new token and retired the last: none of them works.
    expect(f.links.docs.size).toBe(1);
  });

  it('a transient notification failure is retried and the share becomes active', async () => {
    const { f, runtime, calls } = setup();
    await seedIncident(f);
    f.notifier.failuresLeft = 2;
    const view = await createShare(f.deps, runtime, investigator, 'inc-1', shareBody());
    await settle(runtime);
    expect(calls.filter((c) => c === SHARE_ACTIVITIES.issueShareLink)).toHaveLength(3);
    expect((await f.shares.get('t1', view.id))!.doc.status).toBe('active');
    expect((await resolveShare(f.deps, f.notifier.lastToken()!, client())).ok).toBe(true);
  });
});

describe('shareLifecycle with DummyOrchestrationContext and a recorded history', () => {
  const input: ShareLifecycleInput = { tenantId: 't1', incidentId: 'inc-1', shareId: 'sh-1', expiresAt: new Date(T0.getTime() + 13 * DAY).toISOString(), maxTimerDays: 6 };
  const at = (ms: number) => new Date(T0.getTime() + ms);
  const started = (ms = 0) => new HistoryEvents.OrchestratorStarted({ eventId: -1, timestamp: at(ms), isPlayed: false });
  const execution = () => new HistoryEvents.ExecutionStarted({ eventId: -1, timestamp: at(0), isPlayed: false, name: SHARE_LIFECYCLE, input: JSON.stringify(input) });
  const completed = (id: number, result: unknown, ms = 0) =>
    new HistoryEvents.TaskCompleted({ eventId: -1, timestamp: at(ms), isPlayed: false, taskScheduledId: id, result: JSON.stringify(result) });
  const fired = (id: number, ms: number) => new HistoryEvents.TimerFired({ eventId: -1, timestamp: at(ms), isPlayed: false, timerId: id, fireAt: at(ms) });
  const run = (history: unknown[]) =>
    new Orchestrator(shareLifecycleOrchestrator).handle(new DurableOrchestrationInput('share-sh-1', history, input), new df.DummyOrchestrationContext()) as Promise<{
      isDone: boolean;
      output?: unknown;
      actions: Array<Array<Record<string, unknown>>>;
    }>;
  const flat = (s: { actions: Array<Array<Record<string, unknown>>> }) =>
    s.actions.flat().map((a) => ({ type: a.actionType, name: a.functionName ?? a.externalEventName, fireAt: (a.fireAt as Date | undefined)?.toISOString() }));

  it('starts with the link activity, whose input is ids only', async () => {
    const s = await run([started(), execution()]);
    expect(flat(s)).toEqual([{ type: ActionType.CallActivityWithRetry, name: SHARE_ACTIVITIES.issueShareLink, fireAt: undefined }]);
    expect(s.actions[0]![0]!.input).toEqual({ tenantId: 't1', incidentId: 'inc-1', shareId: 'sh-1' });
  });

  it('a 13-day expiry becomes timers at +6 d, +12 d and +13 d, from currentUtcDateTime', async () => {
    const h = [started(), execution(), started(1000), completed(0, { sent: true }, 1000)];
    let s = await run(h);
    expect(flat(s).slice(1)).toEqual([
      { type: ActionType.CreateTimer, name: undefined, fireAt: at(1000 + 6 * DAY).toISOString() },
      { type: ActionType.WaitForExternalEvent, name: SHARE_REVOKED_EVENT, fireAt: undefined },
    ]);
    h.push(started(1000 + 6 * DAY), fired(1, 1000 + 6 * DAY));
    s = await run(h);
    expect(flat(s).at(-2)).toEqual({ type: ActionType.CreateTimer, name: undefined, fireAt: at(1000 + 12 * DAY).toISOString() });
    h.push(started(1000 + 12 * DAY), fired(2, 1000 + 12 * DAY));
    s = await run(h);
    expect(flat(s).at(-2)).toEqual({ type: ActionType.CreateTimer, name: undefined, fireAt: input.expiresAt });
    h.push(started(13 * DAY), fired(3, 13 * DAY));
    s = await run(h);
    expect(flat(s).at(-1)).toEqual({ type: ActionType.CallActivityWithRetry, name: SHARE_ACTIVITIES.expireShare, fireAt: undefined });
    expect(JSON.stringify(h)).not.toMatch(/officer|@|link|token/i);
  });
});
