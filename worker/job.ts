import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { RedactionJob, RedactionResult } from '../shared/domain/redaction.js';
import { type BlobStore, ConflictError, type Logger, NotFoundError } from '../shared/ports/index.js';
import { MediaRejectedError, VerificationFailedError, redactMedia, type RedactOptions } from './engine/index.js';
import { DetectorUnavailableError } from './engine/detect/azure-vision.js';
import { type RedactionReport, RedactionReportSchema, toSummary } from './engine/report.js';
import { createDecryptStream, createEncryptStream } from '../shared/crypto/segmented-aead.js';
import { DecryptionError } from '../shared/crypto/errors.js';
import { KeyUnavailableError, type DataKeyService } from '../shared/crypto/key-wrapper.js';
import { createPrivateFile, type PrivateFile } from './private-file.js';
import { processAlive } from '../shared/adapters/process-alive.js';

export interface JobDeps {
  blobs: BlobStore;
  /** Unwraps the incident's data key (Key Vault in Azure); the output is stored encrypted with it. */
  dataKeys: Pick<DataKeyService, 'open'>;
  /** Parent folder for the job's private temp folder (removed afterwards, success or not). */
  tmpDir: string;
  /** Memory-backed storage for the source copy (default /dev/shm; null: never). See private-file.ts. */
  memoryDir?: string | null;
  logger?: Logger;
  signal?: AbortSignal;
  /** Engine settings that are the worker's, not the job's (device, tuning). */
  engine?: Pick<RedactOptions, 'device' | 'faceScan' | 'limits' | 'onProgress' | 'plateDetector' | 'persons'>;
  /** The engine; replaceable in tests. */
  redact?: typeof redactMedia;
}

/** Blob metadata keys on the redacted output (ids and hashes only). */
export const OUTPUT_METADATA = { jobId: 'bystanderjobid', sha256: 'sha256' } as const;

type Failed = Extract<RedactionResult, { outcome: 'failed' }>;

function ids(job: RedactionJob) {
  return { version: 1 as const, jobId: job.jobId, tenantId: job.tenantId, incidentId: job.incidentId, evidenceId: job.evidenceId, attempt: job.attempt };
}

export function failedResult(job: Pick<RedactionJob, 'jobId' | 'tenantId' | 'incidentId' | 'evidenceId' | 'attempt'>, code: string, reason: string, retryable: boolean): Failed {
  return { ...ids(job as RedactionJob), outcome: 'failed', code: code.slice(0, 64), reason: (reason || code).slice(0, 500), retryable };
}

/**
 * Runs one redaction job: source blob → temp file (SHA-256 checked against the job) → engine →
 * report blob + output blob (create-only, tagged with the job id) → result. Idempotent: when the
 * output already exists for this job id, the earlier result is rebuilt from its report and returned.
 */
export async function handleRedactionJob(job: RedactionJob, deps: JobDeps): Promise<RedactionResult> {
  const log = deps.logger;
  const dir = await mkdtemp(join(deps.tmpDir, `${WORK_DIR_PREFIX}${process.pid}-`));
  let source: PrivateFile | undefined;
  try {
    const existing = await previousResult(job, deps.blobs);
    if (existing) {
      log?.info('redaction job already done; returning its result', { jobId: job.jobId });
      return existing;
    }
    if (await deps.blobs.getProperties(job.output.container, job.output.name)) {
      return failedResult(job, 'output-exists', 'the output blob already exists and belongs to another job', false);
    }
    const output = join(dir, 'output');
    let sha256: string;
    try {
      // The unredacted source never gets a name on disk (private-file.ts): a crash cannot leave it.
      const size = (await deps.blobs.getProperties(job.source.container, job.source.name))?.size;
      source = await createPrivateFile(dir, size, deps.memoryDir);
      // A source kept for review is sealed with the incident's data key: decrypted on the way in.
      const key = job.sourceSealed ? await deps.dataKeys.open({ tenantId: job.tenantId, incidentId: job.incidentId }, job.encryption.wrappedKey) : undefined;
      try {
        sha256 = await downloadHashing(deps.blobs, job.source, source, key);
      } finally {
        key?.fill(0);
      }
    } catch (err) {
      if (err instanceof NotFoundError) return failedResult(job, 'source-missing', 'the source blob does not exist', false);
      if (err instanceof KeyUnavailableError) return failedResult(job, 'key-unavailable', `the data key could not be unwrapped (${err.reason})`, true);
      if (err instanceof DecryptionError) return failedResult(job, 'source-unauthentic', 'the sealed source failed authentication (not sealed with this incident key, or damaged)', false);
      throw err;
    }
    if (sha256 !== job.sourceSha256) {
      return failedResult(job, 'source-mismatch', 'the source blob differs from the one that was uploaded (SHA-256 mismatch)', false);
    }
    let report: RedactionReport;
    try {
      report = await (deps.redact ?? redactMedia)(source.path, output, {
        targets: job.targets,
        style: job.style,
        subjects: job.subjects,
        ...(job.keepTracks ? { keepTracks: job.keepTracks } : {}),
        ...(job.bystanders ? { bystanders: job.bystanders } : {}),
        ...(job.reviewable ? { reviewable: true } : {}),
        ...(job.edits ? { edits: job.edits } : {}),
        keepAudio: job.keepAudio,
        signal: deps.signal,
        ...deps.engine,
      });
    } catch (err) {
      if (err instanceof MediaRejectedError) return failedResult(job, err.code, err.message, false);
      // A remote detector (Azure AI Vision) gave no answer: nothing was published; retry later.
      if (err instanceof DetectorUnavailableError) return failedResult(job, err.code, err.message, err.retryable);
      if (err instanceof VerificationFailedError) {
        const parsed = RedactionReportSchema.safeParse(err.report);
        if (parsed.success) await uploadReport(deps.blobs, job, parsed.data);
        return failedResult(job, 'verification-failed', err.message, false);
      }
      throw err;
    }
    if (report.input.kind !== job.mediaKind) {
      return failedResult(job, 'media-kind-mismatch', `the job declares ${job.mediaKind} but the source is ${report.input.kind}`, false);
    }
    // Encrypt at rest with the incident's data key (segmented AES-256-GCM: ranges stay readable).
    let key: Buffer;
    try {
      key = await deps.dataKeys.open({ tenantId: job.tenantId, incidentId: job.incidentId }, job.encryption.wrappedKey);
    } catch (err) {
      if (err instanceof KeyUnavailableError) return failedResult(job, 'key-unavailable', `the data key could not be unwrapped (${err.reason})`, true);
      throw err;
    }
    const sealed = join(dir, 'output.sealed');
    await pipeline(createReadStream(output), createEncryptStream({ key, keyRef: job.encryption.keyRef }), createWriteStream(sealed, { flags: 'wx' }));
    key.fill(0);
    const storedBytes = (await stat(sealed)).size;
    // Report first (overwritable, derived data), then the output create-only: an output blob
    // therefore always has its report, which is what makes the idempotent replay possible.
    await uploadReport(deps.blobs, job, report);
    try {
      await deps.blobs.upload(job.output.container, job.output.name, createReadStream(sealed), {
        contentType: report.output.contentType,
        metadata: { [OUTPUT_METADATA.jobId]: job.jobId, [OUTPUT_METADATA.sha256]: report.output.sha256 },
        createOnly: true,
      });
    } catch (err) {
      if (err instanceof ConflictError) {
        const again = await previousResult(job, deps.blobs);
        if (again) return again;
        return failedResult(job, 'output-exists', 'the output blob already exists and belongs to another job', false);
      }
      throw err;
    }
    log?.info('redaction job succeeded', { jobId: job.jobId, frames: report.output.frames, tracks: report.tracks.length });
    return succeeded(job, report, storedBytes);
  } catch (err) {
    log?.error('redaction job crashed', { jobId: job.jobId, error: err instanceof Error ? err.message : String(err) });
    return failedResult(job, 'worker-crash', `worker error: ${err instanceof Error ? err.message : String(err)}`, true);
  } finally {
    await source?.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Job folders are `redaction-<pid>-<random>` under the worker's temp folder. */
export const WORK_DIR_PREFIX = 'redaction-';

/**
 * At worker start: removes the job folders that a worker which is no longer running left behind
 * (killed mid-job). A folder of this very process id is an earlier incarnation's (a container's
 * worker is often pid 1 every time); folders of other live workers sharing the folder are kept.
 */
export async function removeStaleWorkDirs(tmpDir: string, logger?: Logger): Promise<number> {
  let names: string[];
  try {
    names = await readdir(tmpDir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    if (!name.startsWith(WORK_DIR_PREFIX)) continue;
    const pid = Number(/^redaction-(\d+)-/.exec(name)?.[1]);
    if (pid && pid !== process.pid && processAlive(pid)) continue;
    await rm(join(tmpDir, name), { recursive: true, force: true });
    removed++;
  }
  if (removed) logger?.warn('removed work folders left by a worker that stopped mid-job', { count: removed });
  return removed;
}

function succeeded(job: RedactionJob, report: RedactionReport, storedBytes: number): RedactionResult {
  return {
    ...ids(job),
    outcome: 'succeeded',
    output: { ...job.output, sha256: report.output.sha256, bytes: report.output.bytes, storedBytes, contentType: report.output.contentType },
    report: job.report,
    summary: toSummary(report),
  };
}

async function uploadReport(blobs: BlobStore, job: RedactionJob, report: RedactionReport): Promise<void> {
  await blobs.upload(job.report.container, job.report.name, Buffer.from(JSON.stringify(report, null, 2)), {
    contentType: 'application/json',
    metadata: { [OUTPUT_METADATA.jobId]: job.jobId },
  });
}

async function previousResult(job: RedactionJob, blobs: BlobStore): Promise<RedactionResult | undefined> {
  const props = await blobs.getProperties(job.output.container, job.output.name);
  if (!props || props.metadata[OUTPUT_METADATA.jobId] !== job.jobId) return undefined;
  let stream: NodeJS.ReadableStream;
  try {
    ({ stream } = await blobs.download(job.report.container, job.report.name));
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
  const chunks: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c);
  const report = RedactionReportSchema.parse(JSON.parse(Buffer.concat(chunks).toString('utf8')));
  if (report.output.sha256 !== props.metadata[OUTPUT_METADATA.sha256]) return undefined;
  return succeeded(job, report, props.size);
}

/** Downloads the source into the private file, hashing the plaintext (decrypted first when `key` is given). */
async function downloadHashing(blobs: BlobStore, ref: { container: string; name: string }, file: PrivateFile, key?: Buffer): Promise<string> {
  const { stream } = await blobs.download(ref.container, ref.name);
  const plain = key ? stream.pipe(createDecryptStream(key)) : stream;
  if (key) stream.on('error', (err) => plain.destroy(err));
  const hash = createHash('sha256');
  // Written through the handle itself: the file may have no name to open a stream on.
  for await (const chunk of plain as AsyncIterable<Buffer>) {
    hash.update(chunk);
    for (let off = 0; off < chunk.length; ) off += (await file.handle.write(chunk, off, chunk.length - off)).bytesWritten;
  }
  return hash.digest('hex');
}
