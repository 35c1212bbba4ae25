import type { OrchestrationHandler } from 'durable-functions';
import type { App } from '../shared/composition.js';
import type { Deps } from '../shared/usecases/deps.js';
import { PROCESS_EVIDENCE } from '../shared/usecases/evidence.js';
import { activityHandlers } from './activities/index.js';
import { processEvidenceOrchestrator } from './orchestrators/process-evidence.js';
import { SHARE_LIFECYCLE } from '../shared/usecases/shares.js';
import { shareActivityHandlers } from './activities/share-activities.js';
import { shareLifecycleOrchestrator } from './orchestrators/share-lifecycle.js';
import { DELETE_INCIDENT, PRIVACY_REQUEST, RETENTION_SCHEDULE } from '../shared/domain/lifecycle.js';
import { lifecycleActivityHandlers, lifecycleClientActivityHandlers, type ClientActivity } from './activities/lifecycle-activities.js';
import { retentionScheduleOrchestrator } from './orchestrators/retention-schedule.js';
import { deleteIncidentOrchestrator } from './orchestrators/delete-incident.js';
import { privacyRequestOrchestrator } from './orchestrators/privacy-request.js';
import { DELIVER_WEBHOOK } from '../shared/usecases/webhooks.js';
import { deliverWebhookOrchestrator } from './orchestrators/deliver-webhook.js';
import { webhookActivityHandlers } from './activities/webhook-activities.js';

/** Orchestrators by name: registered with Durable Functions and run by the local runtime. */
export const orchestrators: Record<string, OrchestrationHandler> = {
  [PROCESS_EVIDENCE]: processEvidenceOrchestrator,
  [SHARE_LIFECYCLE]: shareLifecycleOrchestrator,
  [RETENTION_SCHEDULE]: retentionScheduleOrchestrator,
  [DELETE_INCIDENT]: deleteIncidentOrchestrator,
  [PRIVACY_REQUEST]: privacyRequestOrchestrator,
  [DELIVER_WEBHOOK]: deliverWebhookOrchestrator,
};

export function activities(app: () => Promise<App>) {
  const deps = async (): Promise<Deps> => (await app()).deps;
  const deliveryPorts = async () => {
    const a = await app();
    return { ...a.webhooks, audit: a.deps.audit, clock: a.deps.clock, logger: a.deps.logger };
  };
  return { ...activityHandlers(deps), ...shareActivityHandlers(deps), ...lifecycleActivityHandlers(deps), ...webhookActivityHandlers(deliveryPorts) };
}

/** Activities that also need the orchestration client (registered with the Durable client binding). */
export function clientActivities(app: () => Promise<App>): Record<string, ClientActivity> {
  return lifecycleClientActivityHandlers(async (): Promise<Deps> => (await app()).deps);
}

