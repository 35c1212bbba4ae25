/**
 * Browser upload straight to the issued upload URL as an Azure block blob: Put Block for each
 * block, then Put Block List (If-None-Match: *). Block ids are deterministic — base64 of
 * `<5-digit index>-<first 40 hex of the block's SHA-256>`, as the CLI's — so after a dropped
 * connection the uploader asks the API which blocks the service already holds (Get Block List, done
 * by the app: the upload URL cannot read anything) and sends only the others.
 */

export interface StagedBlocks {
  committed: boolean;
  blocks: Array<{ id: string; size: number }>;
}

export interface UploadOptions {
  /** The current upload URL (SAS). */
  url: () => string;
  contentType: string;
  /** Blocks the service holds for this slot (GET …/evidence/{id}/upload). */
  staged: () => Promise<StagedBlocks>;
  /** A fresh URL when the current one has expired (POST …/upload-url); optional. */
  renew?: () => Promise<void>;
  onProgress?: (sentBytes: number, totalBytes: number, note?: string) => void;
  /** Waits between attempts (tests pass a fast one). */
  sleep?: (ms: number) => Promise<void>;
  fetch?: typeof fetch;
  /** Attempts per request before giving up (default 8, backoff 1 s doubling to 15 s). */
  maxAttempts?: number;
}

/** Small files still get several blocks (a meaningful progress bar, something to resume); big ones 4 MiB. */
export function consoleBlockSize(sizeBytes: number): number {
  let size = 64 * 1024;
  while (size < 4 * 1024 * 1024 && sizeBytes / size > 16) size *= 2;
  return size;
}

export function blockRanges(sizeBytes: number, blockSize: number): Array<{ index: number; offset: number; length: number }> {
  const out: Array<{ index: number; offset: number; length: number }> = [];
  for (let index = 0, offset = 0; offset < sizeBytes; index++, offset += blockSize) out.push({ index, offset, length: Math.min(blockSize, sizeBytes - offset) });
  return out;
}

function hex(bytes: ArrayBuffer): string {
  return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export async function sha256Hex(data: ArrayBuffer): Promise<string> {
  return hex(await crypto.subtle.digest('SHA-256', data));
}

export function blockId(index: number, blockSha256Hex: string): string {
  if (!Number.isInteger(index) || index < 0 || index >= 50_000) throw new Error(`block index ${index} out of range`);
  return btoa(`${String(index).padStart(5, '0')}-${blockSha256Hex.slice(0, 40)}`);
}

export function blockListXml(ids: string[]): string {
  return `<?xml version="1.0" encoding="utf-8"?><BlockList>${ids.map((id) => `<Latest>${id}</Latest>`).join('')}</BlockList>`;
}

export class UploadError extends Error {
  override name = 'UploadError';
}

function withQuery(url: string, extra: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}${extra}`;
}

/** Uploads `file`; resolves when the block list is committed (or was already). */
export async function uploadFile(file: Blob, options: UploadOptions): Promise<{ blocks: number; resumed: number; sentBlocks: number }> {
  const doFetch = options.fetch ?? fetch;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const maxAttempts = options.maxAttempts ?? 8;
  const ranges = blockRanges(file.size, consoleBlockSize(file.size));
  const ids: string[] = [];
  let held = new Set<string>();
  let resumed = 0;
  let sentBlocks = 0;
  let sent = 0;
  const progress = (note?: string) => options.onProgress?.(sent, file.size, note);

  /** Asks which blocks the service holds; true when the blob is already committed. */
  const refresh = async (): Promise<boolean> => {
    const staged = await options.staged();
    held = new Set(staged.blocks.map((b) => `${b.id}:${b.size}`));
    return staged.committed;
  };

  /** One request with retries: network errors and 5xx back off; 403 renews the URL once per attempt. */
  const attempt = async (what: string, run: () => Promise<Response>): Promise<Response> => {
    let wait = 1000;
    for (let n = 1; ; n++) {
      let failure: string;
      try {
        const res = await run();
        if (res.ok) return res;
        failure = `${what}: HTTP ${res.status}`;
        if (res.status === 403 && options.renew) await options.renew();
        else if (res.status < 500 && res.status !== 408 && res.status !== 429) throw new UploadError(failure);
      } catch (err) {
        if (err instanceof UploadError) throw err;
        failure = `${what}: connection lost`;
      }
      if (n >= maxAttempts) throw new UploadError(`${failure}; gave up after ${n} attempts`);
      progress(`${failure}; retrying in ${Math.round(wait / 1000)} s`);
      await sleep(wait);
      wait = Math.min(wait * 2, 15_000);
      // After a failure, ask the service what it already holds before sending anything again.
      try {
        if (await refresh()) return new Response(null, { status: 201 });
      } catch {
        /* the API is unreachable too: retry the request itself */
      }
    }
  };

  if (await refresh()) return { blocks: ranges.length, resumed: ranges.length, sentBlocks: 0 };
  progress();
  for (const r of ranges) {
    const bytes = await file.slice(r.offset, r.offset + r.length).arrayBuffer();
    const id = blockId(r.index, await sha256Hex(bytes));
    ids.push(id);
    if (held.has(`${id}:${r.length}`)) {
      resumed++;
    } else {
      await attempt(`block ${r.index + 1} of ${ranges.length}`, async () => {
        if (held.has(`${id}:${r.length}`)) {
          resumed++; // it reached the service before the connection dropped: not sent again
          return new Response(null, { status: 201 });
        }
        return doFetch(withQuery(options.url(), `comp=block&blockid=${encodeURIComponent(id)}`), { method: 'PUT', body: bytes });
      });
      if (!held.has(`${id}:${r.length}`)) sentBlocks++;
      held.add(`${id}:${r.length}`);
    }
    sent += r.length;
    progress();
  }
  await attempt('commit', async () =>
    doFetch(withQuery(options.url(), 'comp=blocklist'), {
      method: 'PUT',
      headers: { 'content-type': 'application/xml', 'x-ms-blob-content-type': options.contentType, 'if-none-match': '*' },
      body: blockListXml(ids),
    }),
  );
  progress('uploaded');
  return { blocks: ranges.length, resumed, sentBlocks };
}
