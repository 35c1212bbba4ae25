import { createRequire } from 'node:module';

/**
 * The parts of durable-functions' own replay engine that the local runtime and the replay tests
 * drive directly. They are the same classes the Functions host runs; only the history store differs.
 */
const require = createRequire(import.meta.url);
const base = 'durable-functions/lib/src';

/* eslint-disable @typescript-eslint/no-explicit-any */
export const { Orchestrator } = require(`${base}/orchestrations/Orchestrator.js`) as { Orchestrator: new (fn: unknown) => any };
export const { DurableOrchestrationInput } = require(`${base}/util/testingUtils.js`) as {
  DurableOrchestrationInput: new (instanceId: string, history: unknown[], input: unknown) => any;
};
export const { ActionType } = require(`${base}/actions/ActionType.js`) as { ActionType: Record<string, number> };
const h = (name: string) => require(`${base}/history/${name}.js`)[name] as new (options: Record<string, unknown>) => HistoryEvent;
export const HistoryEvents = {
  OrchestratorStarted: h('OrchestratorStartedEvent'),
  ExecutionStarted: h('ExecutionStartedEvent'),
  TaskScheduled: h('TaskScheduledEvent'),
  TaskCompleted: h('TaskCompletedEvent'),
  TaskFailed: h('TaskFailedEvent'),
  TimerCreated: h('TimerCreatedEvent'),
  TimerFired: h('TimerFiredEvent'),
  EventRaised: h('EventRaisedEvent'),
};

export interface HistoryEvent {
  EventType: number;
  EventId: number;
  IsPlayed: boolean;
  Timestamp: Date;
  [field: string]: unknown;
}
