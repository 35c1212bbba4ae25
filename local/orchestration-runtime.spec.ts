import { describe, expect, it } from 'vitest';
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import { silentLogger } from '../shared/adapters/console-logger.js';
import { LocalOrchestrationRuntime } from './orchestration-runtime.js';
import { ManualClock, manualTimers } from '../test/lifecycle/fakes.js';

const DAY = 24 * 3600_000;

/** Counts to `input.until` one day at a time, continuing as new after each timer. */
const counter: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<{ n: number; until: number }>();
  const seen = (yield context.df.callActivity('record', input.n)) as number;
  if (input.n >= input.until) return { done: input.n, seen };
  const wake = context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + DAY));
  const nudge = context.df.waitForExternalEvent('Nudge');
  yield context.df.Task.any([wake, nudge]);
  context.df.continueAsNew({ n: input.n + 1, until: input.until });
  return undefined;
};

function setup() {
  const clock = new ManualClock(Date.parse('2027-01-01T00:00:00Z'));
  const timers = manualTimers(clock);
  const recorded: number[] = [];
  const rt = new LocalOrchestrationRuntime({ counter }, { record: async (n) => (recorded.push(n as number), recorded.length) }, clock, silentLogger, timers.scheduler, 0);
  const tick = async () => {
    await rt.quiesce();
    const next = timers.next();
    if (next) {
      clock.set(next);
      timers.fireDue(clock.now());
    }
    await rt.quiesce();
  };
  return { rt, clock, timers, recorded, tick };
}

describe('local runtime: continueAsNew and purge', () => {
  it('continueAsNew restarts with the new input and an empty history, keeping the instance id', async () => {
    const { rt, recorded, tick } = setup();
    await rt.start('counter', 'c-1', { n: 1, until: 5 });
    for (let i = 0; i < 10; i++) await tick();
    expect(recorded).toEqual([1, 2, 3, 4, 5]);
    const done = await rt.waitForCompletion('c-1');
    expect(done.runtimeStatus).toBe('Completed');
    expect(done.output).toEqual({ done: 5, seen: 5 });
    expect(done.input).toEqual({ n: 5, until: 5 });
    // History of the last execution only (not five executions' worth).
    expect(rt.history('c-1').length).toBeLessThanOrEqual(6);
  });

  it('an event raised while the instance waits wakes it before its timer', async () => {
    const { rt, recorded, clock } = setup();
    await rt.start('counter', 'c-2', { n: 1, until: 2 });
    await rt.quiesce();
    await rt.raiseEvent('c-2', 'Nudge', {});
    await rt.quiesce();
    expect(recorded).toEqual([1, 2]);
    expect((await rt.status('c-2'))?.runtimeStatus).toBe('Completed');
    expect(clock.now().toISOString()).toBe('2027-01-01T00:00:00.000Z');
  });

  it('purge removes a terminal instance and refuses a running one', async () => {
    const { rt, tick } = setup();
    await rt.start('counter', 'c-3', { n: 1, until: 2 });
    await rt.quiesce();
    expect(await rt.purge('c-3')).toBe(false);
    await tick();
    expect((await rt.status('c-3'))?.runtimeStatus).toBe('Completed');
    expect(await rt.purge('c-3')).toBe(true);
    expect(await rt.status('c-3')).toBeUndefined();
    expect(rt.instanceIds()).toEqual([]);
    expect(await rt.purge('c-3')).toBe(false);
    expect(await rt.start('counter', 'c-3', { n: 2, until: 2 })).toBe('started');
  });
});
