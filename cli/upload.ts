/**
 * `npx bystander upload <incidentId> <evidenceId> <file>`: uploads one evidence file into its slot as
 * blocks (Put Block, then Put Block List with If-None-Match: *), with a progress bar on a terminal and
 * a line every 5 s otherwise. Block ids are a function of index and content (shared/uploads/blocks.ts),
 * so after an interruption — a dropped connection, or the command stopped and run again — it asks the
 * service which blocks it already holds and sends only the rest, renewing the upload URL when it has
 * expired. The file is hashed first: a size or SHA-256 that differs from the declaration stops it
 * before anything is sent. API and token: --api / BYSTANDER_API_URL and BYSTANDER_TOKEN, or next to a
 * running `npm start` its development URL and uploader token (.bystander/dev-tokens.json).
 * Exit codes: 0 committed, 1 failed (run it again to resume), 2 usage.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { blockId, blockRanges } from '../shared/uploads/blocks.js';
import type { UploadSession } from '../shared/uploads/sessions.js';

export interface UploadIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
}

export interface UploadOptions {
  apiUrl: string;
  token: string;
  incidentId: string;
  evidenceId: string;
  file: string;
  io: UploadIo;
  /** Blocks in flight at once. */
  concurrency?: number;
  /** Consecutive failed attempts without progress before giving up (the next run resumes). */
  maxFailures?: number;
  /** Base of the exponential back-off between attempts, ms. */
  backoffMs?: number;
}

export interface UploadOutcome {
  sha256: string;
  sizeBytes: number;
  blocks: number;
  /** Blocks the service already held when this run started. */
  resumedBlocks: number;
  sentBytes: number;
  renewals: number;
  /** Recoveries after a failed request (dropped connection, expired URL, server error). */
  recoveries: number;
}

export class UploadError extends Error {
  override name = 'UploadError';
}

interface PlannedBlock {
  index: number;
  offset: number;
  length: number;
  id: string;
}

const ID_SEGMENT = /^[\w-]{1,64}$/;

/** Minimal client of the two upload routes (problem details become one-line errors). */
function api(o: Pick<UploadOptions, 'apiUrl' | 'token' | 'incidentId' | 'evidenceId'>) {
  const base = `${o.apiUrl.replace(/\/+$/, '')}/api/incidents/${o.incidentId}/evidence/${o.evidenceId}`;
  const call = async (method: 'GET' | 'POST', path: string): Promise<UploadSession> => {
    const res = await fetch(`${base}/${path}`, {
      method,
      headers: { authorization: `Bearer ${o.token}`, ...(method === 'POST' ? { 'content-type': 'application/json' } : {}) },
      ...(method === 'POST' ? { body: '{}' } : {}),
    });
    const body = (await res.json().catch(() => ({}))) as UploadSession & { detail?: string; title?: string };
    if (!res.ok) {
      const err = new UploadError(`${method} ${path}: ${res.status} ${body.detail ?? body.title ?? res.statusText}`);
      (err as UploadError & { retryable?: boolean }).retryable = res.status >= 500 || res.status === 429;
      throw err;
    }
    return body;
  };
  return { state: () => call('GET', 'upload'), renew: () => call('POST', 'upload-url') };
}

/** Reads and hashes the file once: block ids (index + content) and the file's SHA-256. */
async function planBlocks(handle: FileHandle, sizeBytes: number, blockSize: number, onBytes: (n: number) => void) {
  const whole = createHash('sha256');
  const blocks: PlannedBlock[] = [];
  const buf = Buffer.allocUnsafe(blockSize);
  for (const r of blockRanges(sizeBytes, blockSize)) {
    const chunk = await readExactly(handle, buf, r.offset, r.length);
    whole.update(chunk);
    blocks.push({ ...r, id: blockId(r.index, createHash('sha256').update(chunk).digest('hex')) });
    onBytes(r.length);
  }
  return { blocks, sha256: whole.digest('hex') };
}

async function readExactly(handle: FileHandle, buf: Buffer, offset: number, length: number): Promise<Buffer> {
  let got = 0;
  while (got < length) {
    const { bytesRead } = await handle.read(buf, got, length - got, offset + got);
    if (bytesRead === 0) throw new UploadError('the file changed size while it was being read');
    got += bytesRead;
  }
  return buf.subarray(0, length);
}

function blockUrl(url: string, query: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}${query}`;
}

/** Storage refused the URL itself (expired or not yet valid SAS): renew rather than retry as is. */
class UrlRefused extends Error {}

async function storageCall(url: string, init: RequestInit, what: string): Promise<void> {
  const res = await fetch(url, init);
  const text = await res.text().catch(() => '');
  if (res.ok) return;
  const code = res.headers.get('x-ms-error-code') ?? /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? '';
  if (res.status === 403) throw new UrlRefused(`${what}: 403 ${code}`);
  const err = new UploadError(`${what}: ${res.status} ${code}`.trim());
  (err as UploadError & { retryable?: boolean }).retryable = res.status >= 500 || res.status === 408 || res.status === 429;
  throw err;
}

/** A request that got no answer (connection refused, reset or cut mid-body): retryable, with its context. */
function networkError(what: string, err: unknown): UploadError {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  const detail = cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
  const e = new UploadError(`${what}: connection lost (${detail})`);
  (e as UploadError & { retryable?: boolean }).retryable = true;
  return e;
}

function retryable(err: unknown): boolean {
  if (err instanceof UrlRefused) return true;
  if (err instanceof UploadError) return Boolean((err as UploadError & { retryable?: boolean }).retryable);
  // fetch's network failures (connection reset, socket closed mid-body, refused) are TypeErrors.
  return err instanceof TypeError || (err instanceof Error && /ECONNRESET|ECONNREFUSED|EPIPE|socket|terminated|other side closed/i.test(`${err.message} ${String((err as { cause?: unknown }).cause ?? '')}`));
}

/** Uploads the file into the slot, resuming from what the service holds. */
export async function uploadEvidence(o: UploadOptions): Promise<UploadOutcome> {
  if (!ID_SEGMENT.test(o.incidentId) || !ID_SEGMENT.test(o.evidenceId)) throw new UploadError('incident and evidence ids are letters, digits, - and _ only');
  const client = api(o);
  const info = await stat(o.file).catch(() => undefined);
  if (!info?.isFile()) throw new UploadError(`${o.file}: no such file`);

  let session = await client.state();
  if (session.status !== 'awaiting-upload' || session.staged.committed) {
    throw new UploadError(`the slot is not open for uploads (evidence is ${session.status}${session.staged.committed ? ', file already committed' : ''})`);
  }
  if (info.size !== session.declaredSizeBytes) {
    throw new UploadError(`${o.file} is ${info.size} bytes but the evidence was declared as ${session.declaredSizeBytes} bytes; nothing was sent`);
  }
  const progress = uploadProgress(o.io.stderr, info.size);
  const handle = await open(o.file, 'r');
  try {
    progress.phase('hashing');
    const plan = await planBlocks(handle, info.size, session.blockSize, progress.add);
    if (session.declaredSha256 && session.declaredSha256 !== plan.sha256) {
      progress.done();
      throw new UploadError(`the SHA-256 of ${o.file} differs from the declared one; nothing was sent`);
    }

    let renewals = 0;
    let recoveries = 0;
    let sentBytes = 0;
    let failures = 0;
    const renew = async () => {
      session = await client.renew();
      renewals++;
    };
    const held = () => new Set(session.staged.blocks.map((b) => `${b.id}/${b.size}`));
    await renew();
    const resumedBlocks = plan.blocks.filter((b) => held().has(`${b.id}/${b.length}`)).length;
    if (resumedBlocks) o.io.stderr.write(`resuming: ${resumedBlocks} of ${plan.blocks.length} blocks are already with the service\n`);

    const concurrency = Math.max(1, o.concurrency ?? 3);
    const maxFailures = o.maxFailures ?? 6;
    const backoff = o.backoffMs ?? 1000;
    progress.phase('uploading');
    const finished = () => {
      progress.done();
      return { sha256: plan.sha256, sizeBytes: info.size, blocks: plan.blocks.length, resumedBlocks, sentBytes, renewals, recoveries };
    };
    /** Set after a failure: the next round first asks the service where to resume. */
    let recovering: { urlRefused: boolean } | undefined;
    for (;;) {
      try {
        if (recovering) {
          // Where are we? The service says which blocks it holds; an expired (or refused) URL is renewed.
          session = { ...session, ...(await client.state()), url: session.url };
          if (session.staged.committed) return finished();
          if (recovering.urlRefused || Date.parse(session.expiresAt) - Date.now() < 60_000) {
            await renew();
            progress.interrupt(`renewed the upload URL (${session.renewalsLeft} renewals left)`);
          }
          recovering = undefined;
        }
        const have = held();
        const missing = plan.blocks.filter((b) => !have.has(`${b.id}/${b.length}`));
        progress.set(info.size - missing.reduce((n, b) => n + b.length, 0));
        let next = 0;
        let failed: { err: unknown } | undefined;
        const url = session.url!;
        // A few blocks in flight; the first failure stops the others taking new blocks, and the
        // recovery starts only once every request of this round has ended.
        await Promise.all(
          Array.from({ length: Math.min(concurrency, missing.length) }, async () => {
            const buf = Buffer.allocUnsafe(session.blockSize);
            while (!failed && next < missing.length) {
              const b = missing[next++]!;
              try {
                const body = await readExactly(handle, buf, b.offset, b.length);
                await storageCall(blockUrl(url, `comp=block&blockid=${encodeURIComponent(b.id)}`), { method: 'PUT', body, headers: { 'content-length': String(b.length) } }, `block ${b.index}`);
              } catch (err) {
                failed ??= { err: err instanceof UploadError || err instanceof UrlRefused ? err : networkError(`block ${b.index}`, err) };
                return;
              }
              sentBytes += b.length;
              failures = 0;
              progress.add(b.length);
            }
          }),
        );
        if (failed) throw failed.err;
        // Commit in order; If-None-Match: * keeps the commit create-only whatever the URL allows.
        const xml = `<?xml version="1.0" encoding="utf-8"?><BlockList>${plan.blocks.map((b) => `<Uncommitted>${b.id}</Uncommitted>`).join('')}</BlockList>`;
        try {
          await storageCall(blockUrl(url, 'comp=blocklist'), { method: 'PUT', body: xml, headers: { 'content-type': 'application/xml', 'x-ms-blob-content-type': session.contentType, 'if-none-match': '*' } }, 'commit');
        } catch (err) {
          throw err instanceof UploadError || err instanceof UrlRefused ? err : networkError('commit', err);
        }
        return finished();
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        if (!retryable(err) || ++failures > maxFailures) {
          progress.done();
          throw new UploadError(`upload stopped (${why}); run the same command again to resume`);
        }
        recoveries++;
        progress.interrupt(`${why}; asking the service where to resume (attempt ${failures} of ${maxFailures})`);
        recovering = { urlRefused: err instanceof UrlRefused || Boolean(recovering?.urlRefused) };
        await sleep(Math.min(30_000, backoff * 2 ** (failures - 1)));
      }
    }
  } finally {
    await handle.close();
  }
}

/**
 * Progress of hashing and sending: on a terminal a bar redrawn at most every 100 ms; otherwise one
 * line every `plainEveryMs` and one at the end.
 */
export function uploadProgress(out: UploadIo['stderr'], total: number, now: () => number = Date.now, plainEveryMs = 5000) {
  const tty = Boolean(out.isTTY);
  let phase = '';
  let done = 0;
  let started = now();
  let phaseStartBytes = 0;
  let last = -Infinity;
  let drawn = false;
  const mib = (n: number) => (n / 1024 ** 2).toFixed(1);
  const draw = () => {
    const elapsed = Math.max(0.001, (now() - started) / 1000);
    const rate = (done - phaseStartBytes) / elapsed;
    const eta = rate > 0 ? (total - done) / rate : undefined;
    const share = total > 0 ? done / total : 1;
    const text = `${phase} ${mib(done)}/${mib(total)} MiB  ${mib(rate)} MiB/s  ETA ${eta === undefined ? '?' : `${eta.toFixed(0)} s`}`;
    if (tty) {
      const width = Math.max(10, Math.min(30, (out.columns ?? 80) - text.length - 4));
      const filled = Math.round(share * width);
      out.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${text}\x1b[K`);
    } else out.write(`${Math.round(share * 100)}%  ${text}\n`);
    drawn = true;
  };
  const maybeDraw = () => {
    const t = now();
    if (t - last >= (tty ? 100 : plainEveryMs)) {
      last = t;
      draw();
    }
  };
  return {
    phase(name: string) {
      if (drawn) {
        draw();
        if (tty) out.write('\n');
      }
      phase = name;
      done = 0;
      phaseStartBytes = 0;
      started = now();
      last = -Infinity;
      drawn = false;
    },
    /** A line of its own between progress updates (an interruption and what happens next). */
    interrupt(message: string) {
      if (tty && drawn) out.write('\n');
      out.write(`${message}\n`);
      drawn = false;
    },
    /** Bytes already done when (re)starting a phase, e.g. blocks the service holds. */
    set(bytes: number) {
      done = bytes;
      phaseStartBytes = bytes;
      started = now();
      maybeDraw();
    },
    add(bytes: number) {
      done += bytes;
      maybeDraw();
    },
    done() {
      if (drawn || done > 0) draw();
      if (tty && drawn) out.write('\n');
      drawn = false;
    },
  };
}

const USAGE = 'usage: bystander upload <incidentId> <evidenceId> <file> [--api <url>]\n  token: BYSTANDER_TOKEN (next to a running `npm start`: its uploader token)\n';

/** API URL and token: flags and environment first, else the running local stack's development files. */
export function uploadTarget(flagApi: string | undefined, env: Record<string, string | undefined>, cwd: string): { apiUrl?: string; token?: string } {
  let local: { url?: string; uploader?: string; admin?: string } = {};
  try {
    local = JSON.parse(readFileSync(resolve(cwd, env.BYSTANDER_DATA_DIR || '.bystander', 'dev-tokens.json'), 'utf8')) as typeof local;
  } catch {
    // no local stack here
  }
  return { apiUrl: flagApi ?? env.BYSTANDER_API_URL ?? local.url, token: env.BYSTANDER_TOKEN ?? local.uploader ?? local.admin };
}

export async function main(argv: string[], io: UploadIo = { stdout: process.stdout, stderr: process.stderr }, env = process.env): Promise<number> {
  const args = [...argv];
  let flagApi: string | undefined;
  const at = args.indexOf('--api');
  if (at >= 0) {
    flagApi = args[at + 1];
    args.splice(at, 2);
  }
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout.write(USAGE);
    return 0;
  }
  if (args.length !== 3 || (at >= 0 && !flagApi)) {
    io.stderr.write(USAGE);
    return 2;
  }
  const [incidentId, evidenceId, file] = args as [string, string, string];
  const { apiUrl, token } = uploadTarget(flagApi, env, process.cwd());
  if (!apiUrl || !token) {
    io.stderr.write('bystander upload: set BYSTANDER_API_URL (or --api) and BYSTANDER_TOKEN, or run it next to a running `npm start`\n');
    return 2;
  }
  try {
    const r = await uploadEvidence({ apiUrl, token, incidentId, evidenceId, file, io });
    io.stdout.write(`${JSON.stringify({ incidentId, evidenceId, ...r })}\n`);
    return 0;
  } catch (err) {
    io.stderr.write(`bystander upload: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

// Run directly: `tsx cli/upload.ts <incidentId> <evidenceId> <file>` (bin/bystander.mjs does this).
if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
