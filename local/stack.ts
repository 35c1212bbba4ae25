import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Server } from 'node:http';
import azureFunctions from '@azure/functions';
import { loadConfig, type Config } from '../shared/config/config.js';
import { createApp, type App } from '../shared/composition.js';
import { CONTAINERS, QUEUES } from '../shared/domain/incident.js';
import type { Role } from '../shared/auth/tokens.js';
import type { Clock, Logger } from '../shared/ports/index.js';
import { consoleLogger } from '../shared/adapters/console-logger.js';
import type { HandlerEnv } from '../functions/http/api.js';
import { mountedRoutes } from '../functions/http/routes.js';
import { activities, clientActivities, orchestrators } from '../functions/registry.js';
import { bindClientActivities } from '../functions/activities/lifecycle-activities.js';
import { retentionSweeper } from '../functions/triggers/retention-sweeper.js';
import type { SweepResult } from '../shared/usecases/retention.js';
import { blobCreatedEvent, onEvidenceUploaded } from '../functions/triggers/on-evidence-uploaded.js';
import { onRedactionResult } from '../functions/triggers/on-redaction-result.js';
import { onWebhookEvent } from '../functions/triggers/on-webhook-event.js';
import { WEBHOOK_EVENTS_POISON_QUEUE, WEBHOOK_EVENTS_QUEUE } from '../shared/webhooks/events.js';
import { runWorkerLoop } from '../worker/loop.js';
import { checkFfmpegVersions } from '../worker/engine/ffmpeg.js';
import { auditCheckpoint } from '../functions/triggers/audit-checkpoint.js';
import { LOCAL_CHECKPOINT_MS } from '../shared/audit/checkpoint.js';
import { flushShareDenials } from '../shared/usecases/shares.js';
import { COSMOS_EMULATOR_KEY, startLocalServices, type LocalServices } from './services.js';
import { createLocalHttpServer } from './http-server.js';
import { LocalOrchestrationRuntime } from './orchestration-runtime.js';
import { loadSnapshot, saveSnapshot } from './cosmos-snapshot.js';
import { cosmosClient } from '../shared/adapters/azure/cosmos-store.js';
import { LOCAL_SETTINGS_FILE, type RunningStackSettings } from '../cli/settings.js';

// @azure/functions is a CommonJS bundle without static named exports: take values from its default export.
const { InvocationContext } = azureFunctions;

/**
 * The embedded stack behind `npm start` and the end-to-end tests: Azurite and a Cosmos DB emulator
 * as child processes, the real HTTP handlers on :7071/api, BlobCreated events and queue messages
 * delivered to the real trigger handlers, the real orchestrators run by the local replay runtime,
 * and the CPU redaction worker. Not durable: production durability is Durable Functions'.
 */

export const DEV_TENANT = 'dev-tenant';

export interface StackOptions {
  dataDir?: string;
  port?: number;
  blobPort?: number;
  queuePort?: number;
  cosmosPort?: number;
  worker?: boolean;
  /** Extra settings (e.g. a short REDACTION_TIMEOUT_MINUTES in tests). */
  settings?: Record<string, string>;
  logger?: Logger;
  /** Poll interval for blob events and queues, ms. */
  pollMs?: number;
  /** Retention sweeper interval, ms (default 10 minutes locally; hourly in Azure). */
  sweepMs?: number;
  /** The application's clock (tests that move time); the real clock by default. */
  clock?: Clock;
  /** Use already running services (integration tests) instead of starting new ones. */
  services?: Omit<LocalServices, 'stop' | 'pids'>;
}

export interface Stack {
  url: string;
  app: App;
  config: Config;
  runtime: LocalOrchestrationRuntime;
  services: LocalServices;
  devToken(roles?: Role[], tenantId?: string, subject?: string): Promise<string>;
  /** Delivers pending blob events and queue messages now (tests). */
  pump(): Promise<void>;
  /** Runs the retention sweeper now (it also runs every `sweepMs`). */
  sweep(): Promise<SweepResult>;
  stop(): Promise<void>;
}

export function localSettings(services: LocalServices, dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    BYSTANDER_MODE: 'local',
    BYSTANDER_GEOGRAPHY: 'local',
    STORAGE_CONNECTION_STRING: services.storageConnectionString,
    COSMOS__accountEndpoint: services.cosmosEndpoint,
    COSMOS_KEY: COSMOS_EMULATOR_KEY,
    AUTH__issuer: 'https://bystander.local/dev-issuer',
    AUTH__audience: 'api://bystander-local',
    AUTH_DEV_KEY_DIR: join(dataDir, 'keys'),
    BYSTANDER_DATA_DIR: dataDir,
    REDACTION_TIMEOUT_MINUTES: '10',
    ...extra,
  };
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const dataDir = resolve(options.dataDir ?? '.bystander');
  const logger = options.logger ?? consoleLogger('local');
  await mkdir(dataDir, { recursive: true });
  const services: LocalServices = options.services
    ? { ...options.services, pids: [], stop: async () => undefined }
    : await startLocalServices({
        dataDir,
        ...(options.blobPort ? { blobPort: options.blobPort } : {}),
        ...(options.queuePort ? { queuePort: options.queuePort } : {}),
        ...(options.cosmosPort ? { cosmosPort: options.cosmosPort } : {}),
      });
  const aborter = new AbortController();
  const timers: NodeJS.Timeout[] = [];
  let server: Server | undefined;
  let runtime: LocalOrchestrationRuntime | undefined;
  let workerDone: Promise<void> | undefined;
  let saveRecords: (() => Promise<unknown>) | undefined;
  /** Coalesced share denials still open, and a last audit checkpoint (set once the app exists). */
  let finalAuditWrites: (() => Promise<void>) | undefined;
  let settingsFile: string | undefined;
  const save = () => saveRecords?.().catch((err) => logger.error('could not save the local records snapshot', { error: String(err) }));
  const stop = async () => {
    aborter.abort();
    timers.forEach(clearInterval);
    runtime?.stop();
    // The records first, while the emulator is certainly up; again once the worker and the
    // requests in flight are done; only then are the emulators stopped.
    await save();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server?.closeAllConnections?.();
    await workerDone?.catch(() => undefined);
    await finalAuditWrites?.();
    await save();
    if (settingsFile) await rm(settingsFile, { force: true });
    await services.stop();
  };
  try {
    const config = loadConfig(localSettings(services, dataDir, options.settings));
    let publicUrl = ''; // share links use the stack's own URL (known once it listens)
    const app = await createApp(config, { logger, publicBaseUrl: () => publicUrl, ...(options.clock ? { clock: options.clock } : {}) });
    if (!options.services) {
      // The emulator is in memory: keep records across restarts in the data folder, like the blobs.
      const client = cosmosClient({ endpoint: services.cosmosEndpoint, key: COSMOS_EMULATOR_KEY });
      const file = join(dataDir, 'cosmos-snapshot.json');
      const restored = await loadSnapshot(client, config.COSMOS_DATABASE, file);
      if (restored) logger.info('local records restored', { documents: restored });
      saveRecords = () => saveSnapshot(client, config.COSMOS_DATABASE, file);
      timers.push(setInterval(() => void saveRecords?.().catch(() => undefined), 15_000));
      // Where `npx bystander audit verify` / `keys rewrap` find this running stack (cli/settings.ts).
      settingsFile = join(dataDir, LOCAL_SETTINGS_FILE);
      const running: RunningStackSettings = { pid: process.pid, settings: localSettings(services, dataDir, options.settings) };
      await writeFile(settingsFile, JSON.stringify(running, null, 2), { mode: 0o600 });
    }
    // Each audit chain's head, anchored outside the chain (a checkpoint file) at start and every 10 s.
    const checkpoint = () => auditCheckpoint({ app }).catch((err) => logger.error('audit checkpoint failed', { error: String(err) }));
    await checkpoint();
    timers.push(setInterval(() => void checkpoint(), LOCAL_CHECKPOINT_MS));
    finalAuditWrites = async () => {
      await flushShareDenials(app.deps, true).catch((err) => logger.error('share denials not written', { error: String(err) }));
      await checkpoint();
    };
    let rtRef: LocalOrchestrationRuntime | undefined;
    const allActivities = { ...activities(async () => app), ...bindClientActivities(clientActivities(async () => app), () => rtRef!) };
    const rt = new LocalOrchestrationRuntime(orchestrators, allActivities, app.deps.clock, logger);
    rtRef = rt;
    runtime = rt;
    const env: HandlerEnv = { app, orchestrations: () => rt };

    const srv = createLocalHttpServer(mountedRoutes, env);
    server = srv;
    const port = options.port ?? 7071;
    await new Promise<void>((resolveListen, reject) => {
      srv.once('error', reject);
      srv.listen(port, '127.0.0.1', () => resolveListen());
    });
    const actualPort = (srv.address() as { port: number }).port;
    publicUrl = `http://127.0.0.1:${actualPort}`;

    // Event Grid does not exist locally: watch the ingest container and deliver BlobCreated events.
    const seen = new Map<string, number>();
    const deliverBlobEvents = async () => {
      for await (const blob of app.deps.blobs.list(CONTAINERS.ingest, '')) {
        const tries = seen.get(blob.name) ?? 0;
        if (tries < 0 || tries >= 5) continue;
        try {
          const ctx = new InvocationContext({ functionName: 'onEvidenceUploaded', invocationId: crypto.randomUUID() });
          await onEvidenceUploaded(blobCreatedEvent(CONTAINERS.ingest, blob.name, `${services.blobEndpoint}/${CONTAINERS.ingest}/${blob.name}`, blob.size), ctx, env);
          seen.set(blob.name, -1);
        } catch (err) {
          seen.set(blob.name, tries + 1);
          logger.error('blob event handler failed', { error: String(err), attempt: tries + 1 });
        }
      }
    };
    // The queue trigger: same handler, same poison rule as the host (5 dequeues).
    const deliverResults = async () => {
      const messages = await app.deps.queue.receive(QUEUES.results, { max: 16, visibilityTimeoutSeconds: 30 });
      for (const m of messages) {
        try {
          await onRedactionResult(JSON.parse(m.body), new InvocationContext({ functionName: 'onRedactionResult', invocationId: crypto.randomUUID() }), env);
          await app.deps.queue.delete(QUEUES.results, m);
        } catch (err) {
          logger.error('redaction result handler failed', { error: String(err), dequeueCount: m.dequeueCount });
          if (m.dequeueCount >= 5) {
            await app.deps.queue.send(QUEUES.resultsPoison, m.body);
            await app.deps.queue.delete(QUEUES.results, m);
          }
        }
      }
    };
    // The webhook-events queue trigger: same handler and poison rule.
    const deliverWebhookEvents = async () => {
      const messages = await app.deps.queue.receive(WEBHOOK_EVENTS_QUEUE, { max: 16, visibilityTimeoutSeconds: 30 });
      for (const m of messages) {
        try {
          await onWebhookEvent(JSON.parse(m.body), new InvocationContext({ functionName: 'onWebhookEvent', invocationId: crypto.randomUUID() }), env);
          await app.deps.queue.delete(WEBHOOK_EVENTS_QUEUE, m);
        } catch (err) {
          logger.error('webhook event handler failed', { error: String(err), dequeueCount: m.dequeueCount });
          if (m.dequeueCount >= 5) {
            await app.deps.queue.send(WEBHOOK_EVENTS_POISON_QUEUE, m.body);
            await app.deps.queue.delete(WEBHOOK_EVENTS_QUEUE, m);
          }
        }
      }
    };
    let pumping: Promise<void> | undefined;
    const pump = async () => {
      while (pumping) await pumping;
      pumping = (async () => {
        await deliverBlobEvents();
        await deliverResults();
        await deliverWebhookEvents();
      })().finally(() => (pumping = undefined));
      await pumping;
    };
    timers.push(
      setInterval(() => {
        if (!pumping) pump().catch((err) => logger.error('local event pump failed', { error: String(err) }));
      }, options.pollMs ?? 500),
    );
    // The retention sweeper (a timer trigger in Azure): overdue incidents without a running schedule, purge queue.
    const sweep = () => retentionSweeper(undefined, env);
    timers.push(
      setInterval(() => {
        sweep().catch((err) => logger.error('retention sweep failed', { error: String(err) }));
      }, options.sweepMs ?? 10 * 60_000),
    );

    if (options.worker ?? config.WORKER_ENABLED) {
      // The worker decodes untrusted uploads: not with an FFmpeg older than the minimum.
      await checkFfmpegVersions();
      const tmpDir = join(dataDir, 'worker-tmp');
      await mkdir(tmpDir, { recursive: true });
      workerDone = runWorkerLoop({
        queue: app.deps.queue,
        blobs: app.deps.blobs,
        dataKeys: app.deps.dataKeys,
        tmpDir,
        signal: aborter.signal,
        logger,
        idlePollMs: options.pollMs ?? 500,
      });
    }

    return {
      url: `http://127.0.0.1:${actualPort}`,
      app,
      config,
      runtime: rt,
      services,
      devToken: (roles = ['uploader', 'investigator', 'admin'], tenantId = DEV_TENANT, subject = 'dev-user') =>
        app.devTokens!.sign({ tenantId, subject, roles }),
      pump,
      sweep,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
