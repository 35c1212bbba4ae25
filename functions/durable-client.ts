import * as df from 'durable-functions';
import type { InvocationContext } from '@azure/functions';
import type { Orchestrations } from '../shared/ports/index.js';

/** The Orchestrations port over the Durable Functions client of one invocation. */
export function durableOrchestrations(ctx: InvocationContext): Orchestrations {
  const client = df.getClient(ctx);
  return {
    async start(name, instanceId, input) {
      const existing = await client.getStatus(instanceId).catch(() => undefined);
      if (existing && existing.runtimeStatus !== undefined) return 'exists';
      await client.startNew(name, { instanceId, input });
      return 'started';
    },
    async raiseEvent(instanceId, eventName, data) {
      await client.raiseEvent(instanceId, eventName, data);
    },
    async status(instanceId) {
      const s = await client.getStatus(instanceId).catch(() => undefined);
      return s ? { runtimeStatus: String(s.runtimeStatus), customStatus: s.customStatus, output: s.output } : undefined;
    },
    async purge(instanceId) {
      // The engine purges terminal instances only (Completed, Failed, Terminated).
      const result = await client.purgeInstanceHistory(instanceId);
      return result.instancesDeleted > 0;
    },
  };
}
