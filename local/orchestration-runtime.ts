import azureFunctions from '@azure/functions';
import type { OrchestrationHandler } from 'durable-functions';
import type { Clock, Logger, Orchestrations } from '../shared/ports/index.js';
import { ActionType, DurableOrchestrationInput, HistoryEvents, Orchestrator, type HistoryEvent } from './durable-internals.js';

// @azure/functions is a CommonJS bundle without static named exports: take values from its default export.
const { InvocationContext } = azureFunctions;

/**
 * The embedded stack's orchestration runtime: it runs the SAME orchestrator generators through
 * durable-functions' own replay engine (Orchestrator / TaskOrchestrationExecutor), keeping each
 * instance's history in memory, executing the scheduled activities in-process, honouring timers and
 * delivering raised events. It is NOT durable (a restart loses running instances) and it is never
 * the production engine: in Azure, Durable Functions (task hub in the stamp's storage) does this.
 */

export type ActivityFn = (input: unknown) => Promise<unknown>;

export interface TimerScheduler {
  /** Calls `fn` at `at` (clock time); returns a cancel function. */
  schedule(at: Date, fn: () => void): () => void;
}

export const realTimers = (clock: Clock): TimerScheduler => ({
  schedule(at, fn) {
    const handle = setTimeout(fn, Math.max(0, at.getTime() - clock.now().getTime()));
    return () => clearTimeout(handle);
  },
});

export interface InstanceState {
  instanceId: string;
  name: string;
  input: unknown;
  runtimeStatus: 'Pending' | 'Running' | 'Completed' | 'Failed';
  customStatus?: unknown;
  output?: unknown;
  error?: string;
  history: HistoryEvent[];
  createdTime: Date;
  lastUpdatedTime: Date;
}

interface Instance extends InstanceState {
  /** Bumped by continueAsNew: results of the previous execution's activities and timers are dropped. */
  generation: number;
  /** Events not yet seen by the orchestrator; the next episode starts with OrchestratorStarted, then these. */
  inbox: HistoryEvent[];
  dispatched: Set<number>;
  timers: Map<number, () => void>;
  queue: Promise<void>;
  waiters: Array<() => void>;
}

interface RetryOptionsLike {
  firstRetryIntervalInMilliseconds: number;
  maxNumberOfAttempts: number;
  backoffCoefficient?: number;
  maxRetryIntervalInMilliseconds?: number;
}

export class LocalOrchestrationRuntime implements Orchestrations {
  private readonly instances = new Map<string, Instance>();
  private readonly pending = new Set<Promise<unknown>>();
  private stopped = false;
  /** Bumped whenever work is queued (quiesce uses it to detect a settled runtime). */
  private epoch = 0;

  constructor(
    private readonly orchestrators: Record<string, OrchestrationHandler>,
    private readonly activities: Record<string, ActivityFn>,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly timers: TimerScheduler = realTimers(clock),
    /** Caps activity retry delays locally (the Azure engine honours the full backoff). */
    private readonly maxRetryDelayMs = 2_000,
  ) {}

  async start(name: string, instanceId: string, input: unknown): Promise<'started' | 'exists'> {
    if (this.instances.has(instanceId)) return 'exists';
    const fn = this.orchestrators[name];
    if (!fn) throw new Error(`no orchestrator named ${name}`);
    const now = this.clock.now();
    const instance: Instance = {
      instanceId,
      name,
      input,
      runtimeStatus: 'Pending',
      history: [],
      inbox: [new HistoryEvents.ExecutionStarted({ eventId: -1, timestamp: now, isPlayed: false, name, input: JSON.stringify(input) })],
      createdTime: now,
      lastUpdatedTime: now,
      generation: 0,
      dispatched: new Set(),
      timers: new Map(),
      queue: Promise.resolve(),
      waiters: [],
    };
    this.instances.set(instanceId, instance);
    this.enqueue(instance);
    return 'started';
  }

  async raiseEvent(instanceId: string, eventName: string, data: unknown): Promise<void> {
    const instance = this.instances.get(instanceId);
    if (!instance) throw new Error(`no orchestration instance ${instanceId}`);
    if (instance.runtimeStatus === 'Completed' || instance.runtimeStatus === 'Failed') return; // dropped, as in Durable Functions
    this.append(instance, new HistoryEvents.EventRaised({ eventId: -1, timestamp: this.clock.now(), isPlayed: false, name: eventName, input: JSON.stringify(data) }));
  }

  async status(instanceId: string) {
    const i = this.instances.get(instanceId);
    return i ? { runtimeStatus: i.runtimeStatus, customStatus: i.customStatus, output: i.output } : undefined;
  }

  /** The recorded history of an instance (used by replay tests). */
  history(instanceId: string): HistoryEvent[] {
    return [...(this.instances.get(instanceId)?.history ?? [])];
  }

  /** Resolves when the instance completes or fails. */
  async waitForCompletion(instanceId: string): Promise<InstanceState> {
    const i = this.instances.get(instanceId);
    if (!i) throw new Error(`no orchestration instance ${instanceId}`);
    if (i.runtimeStatus !== 'Completed' && i.runtimeStatus !== 'Failed') await new Promise<void>((r) => i.waiters.push(r));
    return i;
  }

  /** Lets in-flight activity calls settle (tests). */
  async idle(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  /**
   * Waits until nothing is running or queued: activities settled and every instance's replay queue
   * drained, with no new work appearing (tests driving timers with a fake clock).
   */
  async quiesce(maxRounds = 10_000): Promise<void> {
    for (let round = 0; round < maxRounds; round++) {
      const before = this.epoch;
      await Promise.allSettled([...this.pending, ...[...this.instances.values()].map((i) => i.queue)]);
      await new Promise((r) => setImmediate(r));
      if (this.pending.size === 0 && this.epoch === before) return;
    }
    throw new Error('local orchestration runtime did not settle');
  }

  /**
   * Deletes a terminal instance and its history (Durable Functions' purgeInstanceHistory): false
   * when the instance is missing or still running (purge only removes ended instances).
   */
  async purge(instanceId: string): Promise<boolean> {
    const i = this.instances.get(instanceId);
    if (!i || (i.runtimeStatus !== 'Completed' && i.runtimeStatus !== 'Failed')) return false;
    this.instances.delete(instanceId);
    return true;
  }

  /** Ids of the instances the runtime holds (tests: nothing left after a purge). */
  instanceIds(): string[] {
    return [...this.instances.keys()];
  }

  stop(): void {
    this.stopped = true;
    for (const i of this.instances.values()) for (const cancel of i.timers.values()) cancel();
  }

  private append(instance: Instance, ...events: HistoryEvent[]): void {
    instance.inbox.push(...events);
    this.enqueue(instance);
  }

  /** Replays are serialised per instance, like the one-at-a-time execution of the real engine. */
  private enqueue(instance: Instance): void {
    this.epoch++;
    instance.queue = instance.queue.then(() => this.replay(instance)).catch((err) => {
      this.logger.error('local orchestration runtime error', { instanceId: instance.instanceId, error: String(err) });
    });
  }

  private async replay(instance: Instance): Promise<void> {
    if (this.stopped || instance.runtimeStatus === 'Completed' || instance.runtimeStatus === 'Failed') return;
    if (instance.inbox.length === 0) return;
    const now = this.clock.now();
    instance.history.push(new HistoryEvents.OrchestratorStarted({ eventId: -1, timestamp: now, isPlayed: false }), ...instance.inbox.splice(0));
    const orchestrator = new Orchestrator(this.orchestrators[instance.name]);
    const context = new InvocationContext({ functionName: instance.name, invocationId: `${instance.instanceId}:${instance.history.length}` });
    const trigger = new DurableOrchestrationInput(instance.instanceId, instance.history, instance.input);
    let state: { isDone: boolean; output?: unknown; customStatus?: unknown; error?: string; actions?: Array<Array<{ actionType?: number; input?: unknown }>> };
    try {
      state = await orchestrator.handle(trigger, context);
    } catch (err) {
      const failed = err as { state?: { customStatus?: unknown; error?: string } };
      instance.runtimeStatus = 'Failed';
      instance.customStatus = failed.state?.customStatus ?? instance.customStatus;
      instance.error = failed.state?.error ?? String(err);
      this.finish(instance);
      this.logger.error('orchestration failed', { instanceId: instance.instanceId, error: instance.error });
      return;
    }
    for (const ev of instance.history) ev.IsPlayed = true;
    instance.customStatus = state.customStatus;
    instance.lastUpdatedTime = now;
    const continued = state.isDone ? state.actions?.flat().find((a) => a.actionType === ActionType.ContinueAsNew) : undefined;
    if (continued) {
      this.continueAsNew(instance, continued.input);
      return;
    }
    if (state.isDone) {
      instance.runtimeStatus = 'Completed';
      instance.output = state.output;
      this.finish(instance);
      return;
    }
    instance.runtimeStatus = 'Running';
    this.dispatch(instance, orchestrator.taskOrchestrationExecutor);
  }

  /**
   * continueAsNew: the instance restarts with the new input and an empty history, keeping its id.
   * Events raised meanwhile are kept (as the engine's preserved unprocessed events); results of the
   * previous execution's activities and timers are dropped.
   */
  private continueAsNew(instance: Instance, rawInput: unknown): void {
    const input = typeof rawInput === 'string' ? JSON.parse(rawInput) : rawInput;
    for (const cancel of instance.timers.values()) cancel();
    instance.timers.clear();
    instance.generation++;
    instance.dispatched = new Set();
    instance.history = [];
    instance.input = input;
    instance.runtimeStatus = 'Running';
    const now = this.clock.now();
    instance.inbox.unshift(new HistoryEvents.ExecutionStarted({ eventId: -1, timestamp: now, isPlayed: false, name: instance.name, input: JSON.stringify(input) }));
    this.enqueue(instance);
  }

  private finish(instance: Instance): void {
    for (const cancel of instance.timers.values()) cancel();
    instance.timers.clear();
    for (const w of instance.waiters.splice(0)) w();
  }

  /** Executes what the replay left open: activities and timers not yet dispatched. */
  private dispatch(instance: Instance, executor: { openTasks: Record<string, { actionObj?: Record<string, unknown> }> }): void {
    const open = new Set<number>();
    for (const [key, task] of Object.entries(executor.openTasks)) {
      const id = Number(key);
      const action = task.actionObj;
      if (!Number.isInteger(id) || !action) continue;
      open.add(id);
      if (action.actionType === ActionType.CreateTimer && action.isCanceled) {
        instance.timers.get(id)?.();
        instance.timers.delete(id);
        continue;
      }
      if (instance.dispatched.has(id)) continue;
      instance.dispatched.add(id);
      switch (action.actionType) {
        case ActionType.CallActivity:
          this.runActivity(instance, id, String(action.functionName), action.input, undefined);
          break;
        case ActionType.CallActivityWithRetry:
          this.runActivity(instance, id, String(action.functionName), action.input, action.retryOptions as RetryOptionsLike);
          break;
        case ActionType.CreateTimer: {
          const fireAt = action.fireAt as Date;
          const generation = instance.generation;
          const cancel = this.timers.schedule(fireAt, () => {
            if (instance.generation !== generation) return;
            instance.timers.delete(id);
            this.append(instance, new HistoryEvents.TimerFired({ eventId: -1, timestamp: this.clock.now(), isPlayed: false, timerId: id, fireAt }));
          });
          instance.timers.set(id, cancel);
          break;
        }
        default:
          throw new Error(`the local runtime does not support action type ${String(action.actionType)}`);
      }
    }
    // Timers whose tasks are no longer open (their Task.any was decided) need not fire.
    for (const [id, cancel] of instance.timers) {
      if (!open.has(id)) {
        cancel();
        instance.timers.delete(id);
      }
    }
  }

  /**
   * Runs an activity in-process. With retry options it writes the same history the Durable
   * extension writes for each failed attempt (TaskFailed, then TimerFired for the retry delay).
   */
  private runActivity(instance: Instance, id: number, name: string, rawInput: unknown, retry: RetryOptionsLike | undefined): void {
    const fn = this.activities[name];
    const input = typeof rawInput === 'string' ? JSON.parse(rawInput) : rawInput;
    const generation = instance.generation;
    const run = (async () => {
      let taskId = id;
      const events: HistoryEvent[] = [];
      const attempts = retry?.maxNumberOfAttempts ?? 1;
      let delay = retry?.firstRetryIntervalInMilliseconds ?? 0;
      for (let attempt = 1; ; attempt++) {
        try {
          if (!fn) throw new Error(`no activity named ${name}`);
          const result = await fn(input);
          events.push(new HistoryEvents.TaskCompleted({ eventId: -1, timestamp: this.clock.now(), isPlayed: false, taskScheduledId: taskId, result: JSON.stringify(result ?? null) }));
          break;
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          this.logger.warn('activity failed', { instanceId: instance.instanceId, activity: name, attempt, error: message });
          events.push(new HistoryEvents.TaskFailed({ eventId: -1, timestamp: this.clock.now(), isPlayed: false, taskScheduledId: taskId, reason: message, details: err instanceof Error ? (err.stack ?? '') : '' }));
          if (!retry) break;
          await new Promise((r) => setTimeout(r, Math.min(delay, this.maxRetryDelayMs)));
          events.push(new HistoryEvents.TimerFired({ eventId: -1, timestamp: this.clock.now(), isPlayed: false, timerId: taskId + 1, fireAt: this.clock.now() }));
          if (attempt >= attempts) break;
          taskId += 2;
          delay = Math.min(delay * (retry.backoffCoefficient ?? 1), retry.maxRetryIntervalInMilliseconds ?? Number.MAX_SAFE_INTEGER);
        }
      }
      if (!this.stopped && instance.generation === generation && this.instances.get(instance.instanceId) === instance) this.append(instance, ...events);
    })();
    this.pending.add(run);
    void run.finally(() => this.pending.delete(run));
  }
}
