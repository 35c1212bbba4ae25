/**
 * Azure Functions entry point (v4 programming model): registrations only. Every handler is a thin
 * adapter from a binding to a use case; the composition root builds dependencies once per worker.
 */
import azureFunctions, { type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { createApp, type App } from '../shared/composition.js';
import { durableOrchestrations } from './durable-client.js';
import type { HandlerEnv } from './http/api.js';
import { mountedRoutes } from './http/routes.js';
import { activities, clientActivities, orchestrators } from './registry.js';
import { RETENTION_SWEEP_SCHEDULE, retentionSweeper } from './triggers/retention-sweeper.js';
import { AUDIT_CHECKPOINT_SCHEDULE, auditCheckpoint } from './triggers/audit-checkpoint.js';
import { onEvidenceUploaded } from './triggers/on-evidence-uploaded.js';
import { onRedactionResult } from './triggers/on-redaction-result.js';
import { onWebhookEvent } from './triggers/on-webhook-event.js';
import { WEBHOOK_EVENTS_QUEUE } from '../shared/webhooks/events.js';
import { QUEUES } from '../shared/domain/incident.js';
import { startTelemetry } from '../shared/adapters/telemetry/otel.js';
import { inInvocation } from '../shared/telemetry/invocation.js';

// OpenTelemetry before anything runs: Application Insights when APPLICATIONINSIGHTS_CONNECTION_STRING is set.
await startTelemetry({ serviceName: 'bystander-functions' });

// @azure/functions is a CommonJS bundle without static named exports: take values from its default export.
const { app } = azureFunctions;
// Handlers return streams (evidence up to 2 GiB, export bundles, the share page's media): without this
// the host buffers each whole response in instance memory, and mid-stream revocation only bites at the end.
app.setup({ enableHttpStream: true });

let composed: Promise<App> | undefined;
const getApp = (): Promise<App> => (composed ??= createApp());
const envFor = async (ctx: InvocationContext): Promise<HandlerEnv> => ({ app: await getApp(), orchestrations: () => durableOrchestrations(ctx) });

// host.json routePrefix is "": each route carries its prefix (`api/…`, and `s/…` for the share page).
for (const { prefix, route: r } of mountedRoutes) {
  app.http(r.name, {
    methods: r.methods,
    route: `${prefix}${r.route}`,
    authLevel: 'anonymous', // bearer JWTs are validated by the handler (Entra ID), not function keys
    extraInputs: [df.input.durableClient()],
    handler: async (req, ctx) => r.handler(req, ctx, await envFor(ctx)),
  });
}

app.eventGrid('onEvidenceUploaded', {
  extraInputs: [df.input.durableClient()],
  handler: async (event, ctx) => {
    await onEvidenceUploaded(event, ctx, await envFor(ctx));
  },
});

app.storageQueue('onRedactionResult', {
  queueName: QUEUES.results,
  connection: 'STORAGE',
  extraInputs: [df.input.durableClient()],
  handler: async (message, ctx) => onRedactionResult(message, ctx, await envFor(ctx)),
});

// Retailer webhook events → one deliverWebhook orchestration per subscribed endpoint (poison queue after 5 dequeues).
app.storageQueue('onWebhookEvent', {
  queueName: WEBHOOK_EVENTS_QUEUE,
  connection: 'STORAGE',
  extraInputs: [df.input.durableClient()],
  handler: async (message, ctx) => inInvocation(ctx, async () => onWebhookEvent(message, ctx, await envFor(ctx))),
});

for (const [name, handler] of Object.entries(orchestrators)) df.app.orchestration(name, handler);
// Every invocation's log entries carry its invocation id (shared/telemetry/invocation.ts).
for (const [name, handler] of Object.entries(activities(getApp))) df.app.activity(name, { handler: (input: unknown, ctx: InvocationContext) => inInvocation(ctx, () => handler(input)) });
// Activities that start, nudge or purge orchestrations get the Durable client binding.
for (const [name, handler] of Object.entries(clientActivities(getApp))) {
  df.app.activity(name, {
    extraInputs: [df.input.durableClient()],
    handler: (input: unknown, ctx: InvocationContext) => inInvocation(ctx, () => handler(input, durableOrchestrations(ctx))),
  });
}

app.timer('retentionSweeper', {
  schedule: RETENTION_SWEEP_SCHEDULE,
  extraInputs: [df.input.durableClient()],
  handler: async (_timer, ctx) => {
    await inInvocation(ctx, async () => retentionSweeper(ctx, await envFor(ctx)));
  },
});

// The audit chains' heads, anchored outside the chains (immutable blob container) for `audit verify`.
app.timer('auditCheckpoint', {
  schedule: AUDIT_CHECKPOINT_SCHEDULE,
  handler: async (_timer, ctx) => {
    await inInvocation(ctx, async () => auditCheckpoint(await envFor(ctx)));
  },
});
