import type { DeliveryPorts, DeliveryAttemptInput } from '../../shared/usecases/webhooks.js';
import { attemptWebhookDelivery } from '../../shared/usecases/webhooks.js';

/** Activity names of the deliverWebhook orchestration. */
export const WEBHOOK_ACTIVITIES = { attemptWebhookDelivery: 'attemptWebhookDelivery' } as const;

/** Thin activity over the delivery use case (ids in, an outcome and a code out). */
export function webhookActivityHandlers(ports: () => Promise<DeliveryPorts>): Record<string, (input: unknown) => Promise<unknown>> {
  return {
    [WEBHOOK_ACTIVITIES.attemptWebhookDelivery]: async (input) => attemptWebhookDelivery(await ports(), input as DeliveryAttemptInput),
  };
}
