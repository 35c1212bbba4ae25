/**
 * Drives a real orchestrator through the durable-functions replay engine (the local runtime) with
 * activities the test supplies and a timer scheduler and clock the test advances by hand.
 */
import type { OrchestrationHandler } from 'durable-functions';
import { LocalOrchestrationRuntime, type TimerScheduler } from '../../local/orchestration-runtime.js';
import { silentLogger } from '../../shared/adapters/console-logger.js';

/** A timer scheduler the test advances by hand (no real waiting). */
export function manualTimers() {
  const pending: { at: Date; fn: () => void; cancelled: boolean }[] = [];
  const scheduler: TimerScheduler = {
    schedule(atTime, fn) {
      const t = { at: atTime, fn, cancelled: false };
      pending.push(t);
      return () => (t.cancelled = true);
    },
  };
  return {
    scheduler,
    fireAll() {
      const due = pending.splice(0).filter((t) => !t.cancelled);
      due.forEach((t) => t.fn());
      return due.length;
    },
    count: () => pending.filter((t) => !t.cancelled).length,
    /** Fire times of the timers not yet fired or cancelled. */
    pendingAt: () => pending.filter((t) => !t.cancelled).map((t) => t.at),
  };
}

/**
 * A runtime with one orchestrator; every activity name in `names` records its calls and answers from
 * `activityImpl` (default `{ ok: true }`).
 */
export function runtimeWith(
  orchestrators: Record<string, OrchestrationHandler>,
  names: readonly string[],
  activityImpl: Partial<Record<string, (input: unknown) => Promise<unknown>>>,
  t0: Date,
) {
  const calls: { name: string; input: unknown }[] = [];
  const activities = Object.fromEntries(
    names.map((name) => [
      name,
      async (arg: unknown) => {
        calls.push({ name, input: arg });
        const impl = activityImpl[name];
        return impl ? impl(arg) : { ok: true };
      },
    ]),
  );
  const timers = manualTimers();
  let now = t0.getTime();
  const clock = { now: () => new Date(now) };
  const runtime = new LocalOrchestrationRuntime(orchestrators, activities, clock, silentLogger, timers.scheduler, 10);
  return { runtime, calls, timers, advance: (ms: number) => (now += ms), now: () => new Date(now) };
}

/** Lets the runtime run everything that is ready (activities, replays). */
export async function settle(runtime: LocalOrchestrationRuntime) {
  for (let i = 0; i < 20; i++) {
    await runtime.idle();
    await new Promise((r) => setTimeout(r, 5));
  }
}
