import { describe, expect, it } from 'vitest';
import type { RedactionJob, RedactionResult } from '../shared/domain/redaction.js';
import { failedResult } from './job.js';
import { processMessage, QUEUES, runWorkerLoop } from './loop.js';
import { InMemoryFakeBlobStore, InMemoryFakeQueue } from './testing/in-memory-fakes.js';

const job: RedactionJob = {
  version: 1,
  jobId: 'job-1',
  tenantId: 't1',
  incidentId: 'i1',
  evidenceId: 'e1',
  attempt: 2,
  mediaKind: 'video',
  source: { container: 'ingest', name: 'x' },
  sourceSha256: 'a'.repeat(64),
  output: { container: 'evidence', name: 'y' },
  report: { container: 'evidence', name: 'z' },
  targets: ['faces'],
  style: 'pixelate',
  subjects: [],
  keepAudio: false,
  encryption: { keyRef: 'dk1:i1', wrappedKey: { keyId: 'local:kek/v0001', algorithm: 'RSA-OAEP-256', wrapped: 'A'.repeat(40) } },
};

/** The loop only passes the key service through to the job handler (stubbed here). */
const dataKeys = { open: async () => Buffer.alloc(32) };

function setup() {
  const queue = new InMemoryFakeQueue();
  const blobs = new InMemoryFakeBlobStore();
  const results = () => queue.messages(QUEUES.results) as RedactionResult[];
  return { queue, blobs, results };
}

async function receiveOne(queue: InMemoryFakeQueue) {
  const [m] = await queue.receive(QUEUES.jobs, { max: 1, visibilityTimeoutSeconds: 60 });
  return m!;
}

describe('worker loop (in-memory fake queue and blob store)', () => {
  it('posts the job result and deletes the job message', async () => {
    const { queue, blobs, results } = setup();
    await queue.send(QUEUES.jobs, job);
    const m = await receiveOne(queue);
    await processMessage({ queue, blobs, dataKeys, signal: new AbortController().signal, handle: async (j) => failedResult(j, 'media-corrupt', 'bad', false) }, m);
    expect(results()).toEqual([expect.objectContaining({ jobId: 'job-1', attempt: 2, outcome: 'failed', code: 'media-corrupt' })]);
    expect(queue.messages(QUEUES.jobs)).toEqual([]);
  });

  it('answers an invalid job whose ids are readable with a failed result', async () => {
    const { queue, blobs, results } = setup();
    await queue.send(QUEUES.jobs, { ...job, style: 'crayon', extra: 1 });
    await processMessage({ queue, blobs, dataKeys, signal: new AbortController().signal }, await receiveOne(queue));
    expect(results()).toEqual([expect.objectContaining({ jobId: 'job-1', outcome: 'failed', code: 'invalid-job', retryable: false })]);
    expect((results()[0] as { reason: string }).reason).toMatch(/style/);
    expect(queue.messages(QUEUES.jobs)).toEqual([]);
  });

  it('moves an unreadable message to the poison queue with its reason', async () => {
    const { queue, blobs, results } = setup();
    await queue.send(QUEUES.jobs, '{not json');
    await queue.send(QUEUES.jobs, { hello: 'world' });
    await processMessage({ queue, blobs, dataKeys, signal: new AbortController().signal }, await receiveOne(queue));
    await processMessage({ queue, blobs, dataKeys, signal: new AbortController().signal }, await receiveOne(queue));
    expect(results()).toEqual([]);
    expect(queue.messages(QUEUES.poison)).toEqual([
      expect.objectContaining({ reason: 'message body is not JSON', body: '{not json' }),
      expect.objectContaining({ reason: expect.stringMatching(/invalid redaction job/) }),
    ]);
    expect(queue.messages(QUEUES.jobs)).toEqual([]);
  });

  it('gives up on a job the worker keeps dying on', async () => {
    const { queue, blobs, results } = setup();
    await queue.send(QUEUES.jobs, job);
    for (let i = 0; i < 5; i++) await receiveOne(queue);
    await processMessage({ queue, blobs, dataKeys, signal: new AbortController().signal, maxDeliveries: 5 }, await receiveOne(queue));
    expect(results()).toEqual([expect.objectContaining({ code: 'worker-crash', retryable: false })]);
  });

  it('renews visibility while a long job runs and deletes with the renewed receipt', async () => {
    const { queue, blobs, results } = setup();
    await queue.send(QUEUES.jobs, job);
    const renewed = new Promise<void>((resolve) => (queue.onExtend = resolve));
    await processMessage(
      {
        queue,
        blobs,
        dataKeys,
        signal: new AbortController().signal,
        renewEverySeconds: 0.01,
        handle: async (j) => {
          await renewed; // finishes only after at least one renewal
          return failedResult(j, 'media-corrupt', 'bad', false);
        },
      },
      await receiveOne(queue),
    );
    expect(queue.extended.length).toBeGreaterThan(0);
    expect(results()).toHaveLength(1);
    expect(queue.messages(QUEUES.jobs)).toEqual([]);
  });

  it('leaves the job on the queue when stopped mid-job, and the loop ends on abort', async () => {
    const { queue, blobs, results } = setup();
    await queue.send(QUEUES.jobs, job);
    const stop = new AbortController();
    await runWorkerLoop({
      queue,
      blobs,
      dataKeys,
      signal: stop.signal,
      idlePollMs: 5,
      handle: async (j, deps) => {
        stop.abort();
        expect(deps.signal?.aborted).toBe(true);
        return failedResult(j, 'worker-crash', 'aborted', true);
      },
    });
    expect(results()).toEqual([]);
    expect(queue.messages(QUEUES.jobs)).toHaveLength(1);
  });
});
