import { mkdtemp } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { runWorker } from '../worker/main.js';
import { AzureMessageQueue } from '../shared/adapters/azure/message-queue.js';
import { QUEUES } from '../shared/domain/incident.js';

/** What `work` writes to stderr (the worker's start-up refusals go there). */
async function stderrOf(work: () => Promise<void>): Promise<string> {
  const errors: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => (errors.push(String(chunk)), true)) as typeof process.stderr.write;
  try {
    await work();
  } finally {
    process.stderr.write = write;
  }
  return errors.join('');
}

describe('the redaction job process (worker/main.ts)', () => {
  it('refuses to start without storage settings, naming them', async () => {
    const errors = await stderrOf(async () => {
      expect(await runWorker({ BYSTANDER_DEVICE: 'cpu' })).toBe(2);
    });
    expect(errors).toMatch(/STORAGE__blobServiceUri/);
  });

  it('refuses to start when the GPU media path is configured but missing here (NVDEC), naming the setting', async () => {
    const { storageConnectionString } = inject('services');
    const dataDir = await mkdtemp(join(tmpdir(), 'bystander-worker-main-'));
    const errors = await stderrOf(async () => {
      expect(await runWorker({ STORAGE_CONNECTION_STRING: storageConnectionString, BYSTANDER_DATA_DIR: dataDir, BYSTANDER_HWACCEL: 'cuda' })).toBe(2);
      expect(await runWorker({ STORAGE_CONNECTION_STRING: storageConnectionString, BYSTANDER_DATA_DIR: dataDir, BYSTANDER_HWACCEL: 'nvdec' })).toBe(2);
    });
    expect(errors).toMatch(/cannot start: the decoder \(BYSTANDER_HWACCEL=cuda\) cannot run here/);
    expect(errors).toMatch(/BYSTANDER_HWACCEL: Invalid option/);
  });

  it('refuses to start with an ffmpeg older than 5.1 (the npm 2018 build), naming the setting', async () => {
    const { storageConnectionString } = inject('services');
    const dataDir = await mkdtemp(join(tmpdir(), 'bystander-worker-main-'));
    const saved = process.env.FFMPEG_PATH;
    process.env.FFMPEG_PATH = (createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg') as { path: string }).path;
    const errors = await stderrOf(async () => {
      try {
        expect(await runWorker({ STORAGE_CONNECTION_STRING: storageConnectionString, BYSTANDER_DATA_DIR: dataDir })).toBe(2);
      } finally {
        if (saved === undefined) delete process.env.FFMPEG_PATH;
        else process.env.FFMPEG_PATH = saved;
      }
    });
    expect(errors).toMatch(/cannot start: ffmpeg at .* is version N-47683-g0e8eb07980-static .*older than FFmpeg 5\.1.*FFMPEG_PATH/);
  });

  it('drains the queue and exits once idle (an event-driven job execution ends by itself)', async () => {
    const { storageConnectionString } = inject('services');
    const queue = AzureMessageQueue.fromConnectionString(storageConnectionString);
    await queue.ensureQueues(Object.values(QUEUES));
    // A poison message: the worker must move it aside (not drop it) and then exit idle.
    await queue.send(QUEUES.jobs, { not: 'a job' });
    const dataDir = await mkdtemp(join(tmpdir(), 'bystander-worker-main-'));
    const started = Date.now();
    const code = await runWorker({ STORAGE_CONNECTION_STRING: storageConnectionString, BYSTANDER_DATA_DIR: dataDir, WORKER_MAX_IDLE_SECONDS: '2' });
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(60_000);
    const poison = await queue.receive(QUEUES.jobsPoison, { max: 32, visibilityTimeoutSeconds: 1 });
    expect(poison.some((m) => m.body.includes('not a job') || m.body.includes('invalid'))).toBe(true);
  });
});
