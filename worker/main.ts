/**
 * The redaction job's process entry (Container Apps event-driven job, GPU workload profile; the
 * local stack runs the same loop in-process). It consumes `redaction-jobs` until the queue has been
 * idle for WORKER_MAX_IDLE_SECONDS (KEDA starts an execution per backlog), or until SIGTERM (the
 * replica timeout): a job in progress is then left on the queue and redelivered, never half-published.
 */
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { consoleLogger } from '../shared/adapters/console-logger.js';
import { keyWrapperFor, storageAdapters } from '../shared/composition.js';
import { DataKeyService } from '../shared/crypto/key-wrapper.js';
import type { MessageQueue } from '../shared/ports/index.js';
import { visionSettingsFromEnv } from './engine/detect/azure-vision.js';
import { PLATE_DETECTORS } from './engine/detect/plate-detector.js';
import { PERSON_EVERY_SECONDS } from './engine/persons-track.js';
import { checkMediaToolchain } from './engine/video.js';
import { checkFfmpegVersions } from './engine/ffmpeg.js';
import { runWorkerLoop } from './loop.js';
import { startTelemetry, type Telemetry } from '../shared/adapters/telemetry/otel.js';

export const WorkerConfigSchema = z
  .object({
    STORAGE__blobServiceUri: z.url().optional(),
    STORAGE__queueServiceUri: z.url().optional(),
    STORAGE__clientId: z.string().optional(),
    STORAGE_CONNECTION_STRING: z.string().optional(),
    KEYVAULT__uri: z.url().optional(),
    KEYVAULT__keyName: z.string().default('bystander-kek'),
    KEYVAULT__clientId: z.string().optional(),
    /** OpenTelemetry to Application Insights (read by shared/adapters/telemetry/otel.ts; Entra ID via the authentication string). */
    APPLICATIONINSIGHTS_CONNECTION_STRING: z.string().optional(),
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: z.string().optional(),
    BYSTANDER_DATA_DIR: z.string().default(join(tmpdir(), 'bystander-worker')),
    BYSTANDER_DEVICE: z.enum(['cpu', 'cuda']).default('cpu'),
    /** The GPU container: NVENC for the output, NVDEC for the decoders (checked at start-up). */
    BYSTANDER_H264_ENCODER: z.enum(['libx264', 'h264_nvenc']).default('libx264'),
    BYSTANDER_HWACCEL: z.enum(['none', 'cuda']).default('none'),
    WORKER_MAX_IDLE_SECONDS: z.coerce.number().int().min(0).default(60),
    WORKER_VISIBILITY_SECONDS: z.coerce.number().int().min(30).max(7 * 24 * 3600).default(300),
    /** `azure-vision`: plates by Azure AI Vision Read (VISION__endpoint, managed identity; no keys). */
    BYSTANDER_PLATE_DETECTOR: z.enum(PLATE_DETECTORS).default('local'),
    /** Seconds between person scans (default: the engine's, DEFAULT_PERSONS in engine/persons-track.ts). */
    BYSTANDER_PERSON_EVERY_SECONDS: z.coerce.number().min(PERSON_EVERY_SECONDS.min).max(PERSON_EVERY_SECONDS.max).optional(),
    VISION__endpoint: z.url().optional(),
    VISION__clientId: z.string().optional(),
    VISION__key: z.undefined({ error: 'API keys are not accepted for Azure AI Vision; use the managed identity' }).optional(),
  })
  .refine((c) => c.STORAGE_CONNECTION_STRING || (c.STORAGE__blobServiceUri && c.STORAGE__queueServiceUri), {
    message: 'set STORAGE__blobServiceUri and STORAGE__queueServiceUri (managed identity), or STORAGE_CONNECTION_STRING (Azurite only)',
    path: ['STORAGE__blobServiceUri'],
  })
  .superRefine((c, ctx) => {
    if (c.BYSTANDER_PLATE_DETECTOR !== 'azure-vision') return;
    try {
      visionSettingsFromEnv({ VISION__endpoint: c.VISION__endpoint });
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message, path: ['VISION__endpoint'] });
    }
  })
  .refine((c) => c.KEYVAULT__uri || c.STORAGE_CONNECTION_STRING, {
    message: 'KEYVAULT__uri is required with managed-identity storage (the worker seals outputs with keys wrapped by Key Vault)',
    path: ['KEYVAULT__uri'],
  });

/** Counts received-but-unfinished messages and the last time work arrived, to know when to exit. */
function idleTracking(queue: MessageQueue) {
  let inFlight = 0;
  let lastWork = Date.now();
  const tracked: MessageQueue = {
    send: (q, body, o) => queue.send(q, body, o),
    extend: (q, m, s) => queue.extend(q, m, s),
    async receive(q, o) {
      const got = await queue.receive(q, o);
      if (got.length) {
        inFlight += got.length;
        lastWork = Date.now();
      }
      return got;
    },
    async delete(q, m) {
      await queue.delete(q, m);
      inFlight = Math.max(0, inFlight - 1);
      lastWork = Date.now();
    },
  };
  return { queue: tracked, idleFor: () => (inFlight > 0 ? 0 : Date.now() - lastWork) };
}

export async function runWorker(env: Record<string, string | undefined> = process.env): Promise<number> {
  const parsed = WorkerConfigSchema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== '')));
  if (!parsed.success) {
    process.stderr.write(`The redaction worker cannot start: invalid settings\n${parsed.error.issues.map((i) => `  - ${i.path.join('.')}: ${i.message}`).join('\n')}\n`);
    return 2;
  }
  const config = parsed.data;
  // OpenTelemetry (Application Insights in Azure): each job is a span in its evidence item's trace.
  let telemetry: Telemetry;
  try {
    telemetry = await startTelemetry({ serviceName: 'bystander-worker', env });
  } catch (err) {
    process.stderr.write(`The redaction worker cannot start: ${(err as Error).message}\n`);
    return 2;
  }
  const logger = consoleLogger('worker');
  const { blobs, queue } = storageAdapters(config);
  const dataKeys = new DataKeyService(keyWrapperFor(config), { logger });
  const tmpDir = join(config.BYSTANDER_DATA_DIR, 'tmp');
  await mkdir(tmpDir, { recursive: true });
  try {
    // The binaries the engine will run (FFMPEG_PATH/FFPROBE_PATH or PATH, from this process's environment).
    await checkFfmpegVersions();
    await checkMediaToolchain(tmpDir, { ...env, BYSTANDER_H264_ENCODER: config.BYSTANDER_H264_ENCODER, BYSTANDER_HWACCEL: config.BYSTANDER_HWACCEL });
  } catch (err) {
    process.stderr.write(`The redaction worker cannot start: ${(err as Error).message}\n`);
    return 2;
  }

  const stop = new AbortController();
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => stop.abort());
  const idle = idleTracking(queue);
  const watchdog = setInterval(() => {
    if (config.WORKER_MAX_IDLE_SECONDS > 0 && idle.idleFor() > config.WORKER_MAX_IDLE_SECONDS * 1000) stop.abort();
  }, 1000);
  logger.info('redaction worker started', { device: config.BYSTANDER_DEVICE, encoder: config.BYSTANDER_H264_ENCODER, hwaccel: config.BYSTANDER_HWACCEL, maxIdleSeconds: config.WORKER_MAX_IDLE_SECONDS });
  try {
    await runWorkerLoop({
      queue: idle.queue,
      blobs,
      dataKeys,
      tmpDir,
      signal: stop.signal,
      logger,
      visibilityTimeoutSeconds: config.WORKER_VISIBILITY_SECONDS,
      engine: {
        device: config.BYSTANDER_DEVICE,
        plateDetector: config.BYSTANDER_PLATE_DETECTOR,
        ...(config.BYSTANDER_PERSON_EVERY_SECONDS ? { persons: { everySeconds: config.BYSTANDER_PERSON_EVERY_SECONDS } } : {}),
      },
    });
  } finally {
    clearInterval(watchdog);
  }
  logger.info('redaction worker stopped');
  await telemetry.shutdown().catch(() => undefined); // exports what is still buffered
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await runWorker();
}
