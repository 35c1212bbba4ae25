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

/** GET /api/incidents/{id}/evidence/{evidenceId}/content — the redacted media only, with Range support. */
export const getEvidenceContentHandler = authenticated(async ({ req, env, principal, origin }) => {
  const incidentId = req.params.id ?? '';
  const evidenceId = req.params.evidenceId ?? '';
  const rangeHeader = req.headers.get('range');
  const { stream, range, totalSize, contentType, sha256 } = await openRedactedEvidence(
    env.app.deps,
    principal,
    incidentId,
    evidenceId,
    (size) => {
      const r = parseRange(rangeHeader, size);
      if (r === 'invalid') {
        throw new ProblemError({ type: 'https://bystander.dev/problems/range', title: 'Range not satisfiable', status: 416, detail: `size is ${size}` });
      }
      return r;
    },
    origin,
  );
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
});
