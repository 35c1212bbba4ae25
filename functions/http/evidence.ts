import { Readable } from 'node:stream';
import { openRedactedEvidence } from '../../shared/usecases/incidents.js';
import { ProblemError } from '../../shared/http/problem.js';
import { authenticated } from './api.js';

/** Parses a single `bytes=a-b` range; multi-range requests are served whole. */
export function parseRange(header: string | null, size: number): { offset: number; count: number } | 'invalid' | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'invalid';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || end < start) return 'invalid';
  return { offset: start, count: end - start + 1 };
}

type Opened = { stream: Readable; range: { offset: number; count: number } | undefined; totalSize: number; contentType: string; sha256: string };

/** Chooses the byte range once the size is known; a range outside the media is a 416. */
function rangePicker(rangeHeader: string | null) {
  return (size: number) => {
    const r = parseRange(rangeHeader, size);
    if (r === 'invalid') {
      throw new ProblemError({ type: 'https://bystander.dev/problems/range', title: 'Range not satisfiable', status: 416, detail: `size is ${size}` });
    }
    return r;
  };
}

/** A redacted render as a (partial) HTTP response: never cached, never sniffed, always an attachment. */
function mediaResponse({ stream, range, totalSize, contentType, sha256 }: Opened) {
  const headers: Record<string, string> = {
    'content-type': contentType,
    'accept-ranges': 'bytes',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-disposition': 'attachment',
    'x-bystander-sha256': sha256,
  };
  if (range) {
    headers['content-range'] = `bytes ${range.offset}-${range.offset + range.count - 1}/${totalSize}`;
    headers['content-length'] = String(range.count);
  } else headers['content-length'] = String(totalSize);
  return { status: range ? 206 : 200, headers, body: Readable.toWeb(stream) as never };
}

/** GET /api/incidents/{id}/evidence/{evidenceId}/content — the redacted media only, with Range support. */
export const getEvidenceContentHandler = authenticated(async ({ req, env, principal, origin }) => {
  const opened = await openRedactedEvidence(env.app.deps, principal, req.params.id ?? '', req.params.evidenceId ?? '', rangePicker(req.headers.get('range')), origin);
  return mediaResponse(opened);
});

/** GET /api/incidents/{id}/evidence/{evidenceId}/preview — the current review render (redacted) of an item awaiting review. */
export const getReviewPreviewHandler = authenticated(async ({ req, env, principal, origin }) => {
  const target = { incidentId: req.params.id ?? '', evidenceId: req.params.evidenceId ?? '' };
  return mediaResponse(await openRedactedEvidence(env.app.deps, principal, target.incidentId, target.evidenceId, rangePicker(req.headers.get('range')), origin, 'review'));
});
