import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { type RedactionJob, RedactionJobSchema, type RedactionResult, RedactionResultSchema } from '../shared/domain/redaction.js';
import type { BlobStore, Logger, MessageQueue, QueueMessage } from '../shared/ports/index.js';
import { failedResult, handleRedactionJob, type JobDeps, removeStaleWorkDirs } from './job.js';
import { SpanKind, inSpan, traceparentOf } from '../shared/telemetry/trace.js';
import { telemetryMetrics } from '../shared/telemetry/metrics.js';

export interface WorkerLoopOptions {
  queue: MessageQueue;
  blobs: BlobStore;
  /** Unwraps incident data keys for encrypting outputs at rest. */
  dataKeys: JobDeps['dataKeys'];
  jobsQueue?: string;
  resultsQueue?: string;
  poisonQueue?: string;
  signal: AbortSignal;
  tmpDir?: string;
  logger?: Logger;
  /** How long a received job stays invisible to other workers; renewed while the job runs. */
  visibilityTimeoutSeconds?: number;
  renewEverySeconds?: number;
  idlePollMs?: number;
  /** A message delivered more often than this (the worker keeps dying on it) ends as a failed result. */
  maxDeliveries?: number;
  engine?: JobDeps['engine'];
  /** The job handler; replaceable in tests. */
  handle?: (job: RedactionJob, deps: JobDeps) => Promise<RedactionResult>;
}

export const QUEUES = { jobs: 'redaction-jobs', results: 'redaction-results', poison: 'redaction-jobs-poison' } as const;

/**
 * Consumes `redaction-jobs` until the signal aborts. Every message ends in exactly one of: a
 * RedactionResult on `redaction-results` (then the job message is deleted), a copy on the poison
 * queue with the reason (unparseable messages), or — when the worker is stopped mid-job — back on
 * the queue once its visibility lapses. Nothing is dropped silently.
 */
export async function runWorkerLoop(o: WorkerLoopOptions): Promise<void> {
  const jobsQueue = o.jobsQueue ?? QUEUES.jobs;
  const visibility = o.visibilityTimeoutSeconds ?? 300;
  // A worker killed mid-job (kill -9, OOM) could not clean up: its job folders go first.
  await removeStaleWorkDirs(o.tmpDir ?? tmpdir(), o.logger);
  while (!o.signal.aborted) {
    let messages: QueueMessage[];
    try {
      messages = await o.queue.receive(jobsQueue, { max: 1, visibilityTimeoutSeconds: visibility });
    } catch (err) {
      o.logger?.error('receiving redaction jobs failed', { error: errorText(err) });
      await sleep(Math.max(1000, o.idlePollMs ?? 1000), undefined, { signal: o.signal }).catch(() => undefined);
      continue;
    }
    if (messages.length === 0) {
      await sleep(o.idlePollMs ?? 1000, undefined, { signal: o.signal }).catch(() => undefined);
      continue;
    }
    for (const message of messages) await processMessage(o, message);
  }
}

/** Handles one received message (exported for tests). */
export async function processMessage(o: WorkerLoopOptions, message: QueueMessage): Promise<void> {
  const jobsQueue = o.jobsQueue ?? QUEUES.jobs;
  const resultsQueue = o.resultsQueue ?? QUEUES.results;
  const poisonQueue = o.poisonQueue ?? QUEUES.poison;
  const log = o.logger;
  let current = message;

  const finish = async (result: RedactionResult) => {
    await o.queue.send(resultsQueue, RedactionResultSchema.parse(result));
    await o.queue.delete(jobsQueue, current);
  };
  const poison = async (reason: string) => {
    log?.error('poison redaction message moved aside', { messageId: message.id, reason });
    await o.queue.send(poisonQueue, { reason, messageId: message.id, dequeueCount: message.dequeueCount, body: message.body.slice(0, 32_000) });
    await o.queue.delete(jobsQueue, current);
  };

  try {
    let body: unknown;
    try {
      body = JSON.parse(message.body);
    } catch {
      return await poison('message body is not JSON');
    }
    const parsed = RedactionJobSchema.safeParse(body);
    if (!parsed.success) {
      const reason = `invalid redaction job: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`;
      const idsOf = parseIds(body);
      if (idsOf) return await finish(failedResult(idsOf, 'invalid-job', reason, false));
      return await poison(reason);
    }
    const job = parsed.data;
    if (message.insertedOn && message.dequeueCount === 1) telemetryMetrics.queueAge(jobsQueue, (Date.now() - message.insertedOn.getTime()) / 1000);
    // The job is a span in the evidence item's trace; its result carries this span back.
    return await inSpan('redaction-job', { kind: SpanKind.CONSUMER, parent: job.traceparent ?? null, attributes: { 'bystander.evidence_id': job.evidenceId, 'bystander.job_id': job.jobId, 'bystander.attempt': job.attempt } }, async (span) => {
      const traced = (r: RedactionResult): RedactionResult => {
        const tp = traceparentOf();
        span.setAttribute('bystander.outcome', r.outcome === 'succeeded' ? 'succeeded' : r.code);
        return tp ? { ...r, traceparent: tp } : r;
      };
      return runJob(o, job, message, () => current, (c) => (current = c), async (r) => finish(traced(r)));
    });
  } catch (err) {
    // Sending or deleting failed: leave the message; it reappears and the job is idempotent.
    log?.error('could not complete redaction message', { messageId: message.id, error: errorText(err) });
  }
}

/** Runs one parsed job: visibility renewal, the handler, metrics, and exactly one result (or none when stopping). */
async function runJob(
  o: WorkerLoopOptions,
  job: RedactionJob,
  message: QueueMessage,
  current: () => QueueMessage,
  setCurrent: (m: QueueMessage) => void,
  finish: (result: RedactionResult) => Promise<void>,
): Promise<void> {
  const jobsQueue = o.jobsQueue ?? QUEUES.jobs;
  const log = o.logger;
  if (message.dequeueCount > (o.maxDeliveries ?? 5)) {
    return await finish(failedResult(job, 'worker-crash', `the job was delivered ${message.dequeueCount} times without finishing`, false));
  }

  const controller = new AbortController();
  const onStop = () => controller.abort();
  o.signal.addEventListener('abort', onStop, { once: true });
  const renew = setInterval(() => {
    o.queue
      .extend(jobsQueue, current(), o.visibilityTimeoutSeconds ?? 300)
      .then((popReceipt) => {
        setCurrent({ ...current(), popReceipt });
      })
      .catch((err: unknown) => log?.warn('could not renew job visibility', { jobId: job.jobId, error: errorText(err) }));
  }, (o.renewEverySeconds ?? 60) * 1000);
  let result: RedactionResult;
  const started = performance.now();
  try {
    result = await (o.handle ?? handleRedactionJob)(job, {
      blobs: o.blobs,
      dataKeys: o.dataKeys,
      tmpDir: o.tmpDir ?? tmpdir(),
      logger: o.logger,
      signal: controller.signal,
      engine: o.engine,
    });
  } catch (err) {
    result = failedResult(job, 'worker-crash', `worker error: ${errorText(err)}`, true);
  } finally {
    clearInterval(renew);
    o.signal.removeEventListener('abort', onStop);
  }
  if (o.signal.aborted) {
    log?.warn('worker stopping: job left on the queue for redelivery', { jobId: job.jobId });
    return;
  }
  if (result.outcome === 'succeeded') {
    telemetryMetrics.redaction(result.summary, (performance.now() - started) / 1000);
    telemetryMetrics.verification(result.summary.verification, result.summary.corrections);
  } else if (result.code === 'verification-failed') telemetryMetrics.verification('failed', undefined);
  await finish(result);
}

function parseIds(body: unknown): Pick<RedactionJob, 'jobId' | 'tenantId' | 'incidentId' | 'evidenceId' | 'attempt'> | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const b = body as Record<string, unknown>;
  const str = (k: string) => (typeof b[k] === 'string' && (b[k] as string).length > 0 && (b[k] as string).length <= 200 ? (b[k] as string) : undefined);
  const jobId = str('jobId');
  const tenantId = str('tenantId');
  const incidentId = str('incidentId');
  const evidenceId = str('evidenceId');
  const attempt = typeof b.attempt === 'number' && Number.isInteger(b.attempt) && b.attempt >= 1 ? b.attempt : 1;
  if (!jobId || !tenantId || !incidentId || !evidenceId) return undefined;
  return { jobId, tenantId, incidentId, evidenceId, attempt };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
