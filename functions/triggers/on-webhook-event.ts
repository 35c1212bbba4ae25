import type { InvocationContext } from '@azure/functions';
import { fanOutWebhookEvent } from '../../shared/usecases/webhooks.js';
import type { HandlerEnv } from '../http/api.js';

/** Queue trigger on `webhook-events`: starts one delivery orchestration per subscribed endpoint. */
export async function onWebhookEvent(message: unknown, _ctx: InvocationContext, env: HandlerEnv): Promise<void> {
  const result = await fanOutWebhookEvent(env.app.webhooks, env.orchestrations(), typeof message === 'string' ? JSON.parse(message) : message);
  if (result.started) env.app.deps.logger.info('webhook deliveries started', { started: result.started });
}
