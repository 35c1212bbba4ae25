import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, readlink, writeFile } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type RedactionJob, RedactionResultSchema } from '../shared/domain/redaction.js';
import { ensureDemoClip } from '../test/fixtures/media/generate.js';
import { RedactionReportSchema } from './engine/report.js';
import { handleRedactionJob, removeStaleWorkDirs } from './job.js';
import { InMemoryFakeBlobStore } from './testing/in-memory-fakes.js';
import { DataKeyService, dataKeyRefFor } from '../shared/crypto/key-wrapper.js';
import { LocalKeyWrapper } from '../shared/adapters/local-keys/local-key-wrapper.js';
import { decryptBuffer } from '../shared/crypto/segmented-aead.js';

// A real RSA key-encryption key in a temp folder (the local KeyWrapper), so outputs are really sealed.
const kekDir = await mkdtemp(join(tmpdir(), 'bystander-job-kek-'));
const dataKeys = new DataKeyService(new LocalKeyWrapper({ directory: kekDir, modulusLength: 2048 }));
const incidentKey = await dataKeys.create({ tenantId: 't1', incidentId: 'i1' });

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function jobFor(bytes: Buffer, over: Partial<RedactionJob> = {}): RedactionJob {
  return {
    version: 1,
    jobId: 'job-1',
    tenantId: 't1',
    incidentId: 'i1',
    evidenceId: 'e1',
    attempt: 1,
    mediaKind: 'video',
    source: { container: 'ingest', name: 't1/i1/e1' },
    sourceSha256: sha(bytes),
    output: { container: 'evidence', name: 't1/i1/e1/redacted.mp4' },
    report: { container: 'evidence', name: 't1/i1/e1/report.json' },
    targets: ['faces'],
    style: 'pixelate',
    subjects: [],
    keepAudio: false,
    encryption: { keyRef: dataKeyRefFor({ tenantId: 't1', incidentId: 'i1' }), wrappedKey: incidentKey.wrapped },
    ...over,
  };
}

describe('handleRedactionJob (with an in-memory fake BlobStore)', () => {
  let clip: Buffer;
  let tmp: string;
  beforeAll(async () => {
    clip = await readFile((await ensureDemoClip(join(process.cwd(), '.test-data', 'worker-engine'))).path);
    tmp = await mkdtemp(join(tmpdir(), 'bystander-job-spec-'));
  });

  it('redacts the source, uploads output and report, and is idempotent on redelivery', async () => {
    const blobs = new InMemoryFakeBlobStore();
    await blobs.upload('ingest', 't1/i1/e1', clip);
    const job = jobFor(clip);
    const result = RedactionResultSchema.parse(await handleRedactionJob(job, { blobs, tmpDir: tmp, dataKeys }));
    expect(result.outcome).toBe('succeeded');
    if (result.outcome !== 'succeeded') return;
    const out = blobs.blobs.get('evidence/t1/i1/e1/redacted.mp4')!;
    expect(out.properties.contentType).toBe('video/mp4');
    // Stored sealed (AES-256-GCM segments under the incident key); the result describes the plaintext.
    expect(out.data.subarray(0, 4).toString()).toBe('BYSA');
    expect(result.output.storedBytes).toBe(out.data.length);
    const plain = await decryptBuffer(out.data, incidentKey.dataKey);
    expect(sha(plain)).toBe(result.output.sha256);
    expect(result.output.bytes).toBe(plain.length);
    expect(result.summary.frames).toBe(100);
    const report = RedactionReportSchema.parse(JSON.parse(blobs.blobs.get('evidence/t1/i1/e1/report.json')!.data.toString()));
    expect(report.input.sha256).toBe(job.sourceSha256);

    let engineCalls = 0;
    const again = await handleRedactionJob(job, {
      blobs,
      tmpDir: tmp, dataKeys,
      redact: async () => {
        engineCalls++;
        throw new Error('must not run again');
      },
    });
    expect(again).toEqual(result);
    expect(engineCalls).toBe(0);
    expect(await readdir(tmp)).toEqual([]);
  });

  it('refuses a source whose SHA-256 differs from the job', async () => {
    const blobs = new InMemoryFakeBlobStore();
    await blobs.upload('ingest', 't1/i1/e1', clip);
    const result = await handleRedactionJob(jobFor(clip, { sourceSha256: 'a'.repeat(64) }), { blobs, tmpDir: tmp, dataKeys });
    expect(result).toMatchObject({ outcome: 'failed', code: 'source-mismatch', retryable: false });
    expect(blobs.blobs.has('evidence/t1/i1/e1/redacted.mp4')).toBe(false);
  });

  it('turns rejected media into a non-retryable failure and a crash into a retryable one', async () => {
    const blobs = new InMemoryFakeBlobStore();
    const text = Buffer.from('not a video at all');
    await blobs.upload('ingest', 't1/i1/e1', text);
    const rejected = await handleRedactionJob(jobFor(text), { blobs, tmpDir: tmp, dataKeys });
    expect(rejected).toMatchObject({ outcome: 'failed', code: 'media-not-recognised', retryable: false });

    const crashed = await handleRedactionJob(jobFor(text), { blobs, tmpDir: tmp, dataKeys, redact: async () => Promise.reject(new Error('GPU fell over')) });
    expect(crashed).toMatchObject({ outcome: 'failed', code: 'worker-crash', retryable: true });
    expect(blobs.blobs.size).toBe(1);
    expect(await readdir(tmp)).toEqual([]);
  });

  it('reports a missing source without retrying', async () => {
    const result = await handleRedactionJob(jobFor(clip), { blobs: new InMemoryFakeBlobStore(), tmpDir: tmp, dataKeys });
    expect(result).toMatchObject({ outcome: 'failed', code: 'source-missing', retryable: false });
  });

  it('does not overwrite an output that belongs to another job', async () => {
    const blobs = new InMemoryFakeBlobStore();
    await blobs.upload('ingest', 't1/i1/e1', clip);
    await blobs.upload('evidence', 't1/i1/e1/redacted.mp4', Buffer.from('other'), { metadata: { bystanderjobid: 'job-0' } });
    const result = await handleRedactionJob(jobFor(clip), { blobs, tmpDir: tmp, dataKeys });
    expect(result).toMatchObject({ outcome: 'failed', code: 'output-exists', retryable: false });
    expect(blobs.blobs.get('evidence/t1/i1/e1/redacted.mp4')!.data.toString()).toBe('other');
  });
});

/** Every file under `dir` whose bytes hash to `digest` (what an attacker with the disk would look for). */
async function filesWithDigest(dir: string, digest: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    if (sha(await readFile(path)) === digest) found.push(path);
  }
  return found;
}

describe('the unredacted source in the worker (issue 14: left on disk after a crash)', () => {
  let clip: Buffer;
  beforeAll(async () => {
    clip = await readFile((await ensureDemoClip(join(process.cwd(), '.test-data', 'worker-engine'))).path);
  });

  it.each([
    ['on disk', null],
    ['memory-backed', '/dev/shm'],
  ] as const)('has no name while the job runs (%s), is readable by the engine, and is gone with the job whatever its end', async (_where, memoryDir) => {
    const tmp = await mkdtemp(join(tmpdir(), 'bystander-job-private-'));
    const blobs = new InMemoryFakeBlobStore();
    await blobs.upload('ingest', 't1/i1/e1', clip);
    const seen: { enginePath?: string; engineSha?: string; target?: string; named: string[]; inMemoryDir: string[] } = { named: [], inMemoryDir: [] };
    for (const ending of ['crash', 'abort'] as const) {
      const result = await handleRedactionJob(jobFor(clip), {
        blobs,
        tmpDir: tmp,
        dataKeys,
        memoryDir,
        redact: async (input) => {
          seen.enginePath = input;
          seen.target = await readlink(input);
          seen.engineSha = sha(await readFile(input));
          seen.named = await filesWithDigest(tmp, sha(clip));
          if (memoryDir) seen.inMemoryDir = await filesWithDigest(memoryDir, sha(clip)).catch(() => []);
          if (ending === 'abort') throw Object.assign(new Error('aborted'), { name: 'AbortError' });
          throw new Error('the engine fell over');
        },
      });
      expect(result).toMatchObject({ outcome: 'failed', code: 'worker-crash' });
      expect(seen.engineSha).toBe(sha(clip));
      expect(seen.named).toEqual([]);
      expect(seen.inMemoryDir).toEqual([]);
      expect(seen.enginePath).toMatch(new RegExp(`^/proc/${process.pid}/fd/\\d+$`));
      // The kernel's name for it: an unnamed file in memory-backed storage, or in the job's folder.
      expect(seen.target!.startsWith(`${memoryDir ?? tmp}/`)).toBe(true);
      expect(seen.target).toMatch(/ \(deleted\)$/);
      expect(await readdir(tmp)).toEqual([]);
    }
  });

  it('at worker start removes the job folders of workers that are gone (and of an earlier incarnation of this pid), keeping live ones', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'bystander-job-stale-'));
    const gone = spawnSync(process.execPath, ['-e', '0']).pid!; // a process that has exited
    const live = process.ppid;
    for (const name of [`redaction-${gone}-aaaa`, `redaction-${process.pid}-bbbb`, `redaction-${live}-cccc`, 'redaction-Xy12Zq', 'unrelated']) {
      await mkdir(join(tmp, name));
      await writeFile(join(tmp, name, 'source'), clip.subarray(0, 1024));
    }
    expect(await removeStaleWorkDirs(tmp)).toBe(3);
    expect((await readdir(tmp)).sort()).toEqual([`redaction-${live}-cccc`, 'unrelated']);
  });
});
