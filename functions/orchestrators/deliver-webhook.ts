import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import type { DeliveryAttemptResult, DeliveryRef } from '../../shared/usecases/webhooks.js';
import { WEBHOOK_ACTIVITIES } from '../activities/webhook-activities.js';

/**
 * Seconds to wait after failed attempt n before attempt n + 1 (Standard Webhooks' suggested
 * schedule, shortened at the end): 9 attempts over about 33 hours. Every wait is one durable timer
 * (well under the 6-day limit of JS durable timers).
 */
export const WEBHOOK_BACKOFF_SECONDS = [5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600, 5 * 3600] as const;
export const WEBHOOK_MAX_ATTEMPTS = WEBHOOK_BACKOFF_SECONDS.length + 1;

export type DeliverWebhookOutput = { status: 'delivered' | 'failed' | 'gone'; attempts: number; code: string };

/** An attempt that throws (store or audit trail down, not the receiver) is retried quickly by the runtime. */
const activityRetry = new df.RetryOptions(5_000, 4);
activityRetry.backoffCoefficient = 2;

/**
 * deliverWebhook: attempt ▸ on failure wait the next backoff step ▸ attempt again, until delivered,
 * gone (endpoint deleted, 410) or out of attempts. Input, history and status carry ids, attempt
 * numbers and result codes only; the payload is read from the event store by the activity.
 * Deterministic: time only from currentUtcDateTime.
 */
export const deliverWebhookOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const ref = context.df.getInput<DeliveryRef>();
  for (let attempt = 1; ; attempt++) {
    const final = attempt >= WEBHOOK_MAX_ATTEMPTS;
    context.df.setCustomStatus({ stage: 'attempting', attempt });
    const result = (yield context.df.callActivityWithRetry(WEBHOOK_ACTIVITIES.attemptWebhookDelivery, activityRetry, { ...ref, attempt, final })) as DeliveryAttemptResult;
    if (result.outcome !== 'failed' || final) {
      const output: DeliverWebhookOutput = { status: result.outcome, attempts: attempt, code: result.code };
      context.df.setCustomStatus({ stage: output.status, attempt });
      return output;
    }
    const wakeAt = new Date(context.df.currentUtcDateTime.getTime() + WEBHOOK_BACKOFF_SECONDS[attempt - 1]! * 1000);
    context.df.setCustomStatus({ stage: 'waiting', attempt, nextAttemptAt: wakeAt.toISOString(), lastCode: result.code });
    yield context.df.createTimer(wakeAt);
  }
};
