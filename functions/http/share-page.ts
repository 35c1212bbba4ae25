import { Readable } from 'node:stream';
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { ProblemError } from '../../shared/http/problem.js';
import { openShareMedia, openSharePage, type ShareAccess, type ShareClient } from '../../shared/usecases/shares.js';
import { sessionKeyOf } from '../../shared/usecases/share-guards.js';
import type { HandlerEnv, RawHandler } from './api.js';
import { clientAddressOf, rateLimitKeyOf } from './client-address.js';
import { parseRange } from './evidence.js';
import { PAGE_CSP, SHARE_SECURITY_HEADERS, renderErrorPage, renderNeutralPage, renderSharePage, renderTooManyPage } from './page/html.js';

/**
 * The police share page: GET /s/{token} (HTML), GET /s/{token}/media/{evidenceId} (inline, Range)
 * and GET /s/{token}/download/{evidenceId} (attachment, view+download shares only). No bearer token:
 * the link is the credential. Every request re-checks the share; unusable links all get the same
 * neutral page and status.
 */

/** Who is asking: the trusted client address (see client-address.ts) as rate-limit key, audit origin and session. */
function clientOf(req: HttpRequest, env: HandlerEnv): ShareClient {
  const address = clientAddressOf(req, env.app.deps.config);
  return { key: rateLimitKeyOf(address), ...(address ? { origin: address } : {}), session: sessionKeyOf(address, req.headers.get('user-agent') ?? undefined) };
}

function html(status: number, body: string, extra: Record<string, string> = {}): HttpResponseInit {
  return {
    status,
    headers: { ...SHARE_SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8', 'content-security-policy': PAGE_CSP, ...extra },
    body,
  };
}

/** The response for every unusable link (and for the rate limit, which is decided before any lookup). */
export function deniedResponse(access: Exclude<ShareAccess, { ok: true }>): HttpResponseInit {
  if (access.status === 429) return html(429, renderTooManyPage(), { 'retry-after': String(access.retryAfterSeconds) });
  return html(404, renderNeutralPage());
}

function shareRoute(handler: (req: HttpRequest, ctx: InvocationContext, env: HandlerEnv, token: string) => Promise<HttpResponseInit>): RawHandler {
  return async (req, ctx, env) => {
    try {
      return await handler(req, ctx, env, req.params.token ?? '');
    } catch (err) {
      // Never a problem document or a stack trace here: the audience is a browser.
      env.app.deps.logger.error('share page error', { route: ctx.functionName, error: err instanceof Error ? err.name : 'error', detail: err instanceof Error ? err.message.slice(0, 200) : undefined });
      return html(503, renderErrorPage(), { 'retry-after': '60' });
    }
  };
}

/** GET /s/{token} */
export const sharePageHandler = shareRoute(async (req, _ctx, env, token) => {
  const access = await openSharePage(env.app.deps, token, clientOf(req, env));
  if (!access.ok) return deniedResponse(access);
  return html(200, renderSharePage({ token, share: access.share, incident: access.incident, evidence: access.evidence }));
});

const MEDIA_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox";

function mediaHandler(disposition: 'inline' | 'download'): RawHandler {
  return shareRoute(async (req, _ctx, env, token) => {
    const rangeHeader = req.headers.get('range');
    let invalidRange: number | undefined;
    let result;
    try {
      result = await openShareMedia(env.app.deps, token, req.params.evidenceId ?? '', disposition, clientOf(req, env), (size) => {
        const r = parseRange(rangeHeader, size);
        if (r === 'invalid') {
          invalidRange = size;
          throw new ProblemError({ type: 'https://bystander.dev/problems/range', title: 'Range not satisfiable', status: 416 });
        }
        return r;
      });
    } catch (err) {
      if (invalidRange !== undefined && err instanceof ProblemError) {
        return { status: 416, headers: { ...SHARE_SECURITY_HEADERS, 'content-range': `bytes */${invalidRange}`, 'content-security-policy': MEDIA_CSP } };
      }
      throw err;
    }
    if (!result.ok) return deniedResponse(result.access);
    const { media, evidence } = result;
    const headers: Record<string, string> = {
      ...SHARE_SECURITY_HEADERS,
      'content-security-policy': MEDIA_CSP,
      'content-type': media.contentType,
      'accept-ranges': 'bytes',
      'content-disposition': disposition === 'download' ? `attachment; filename="redacted-${evidence.fileName.replace(/["\\]/g, '_')}"` : 'inline',
      'x-bystander-sha256': media.sha256,
    };
    if (media.range) {
      headers['content-range'] = `bytes ${media.range.offset}-${media.range.offset + media.range.count - 1}/${media.totalSize}`;
      headers['content-length'] = String(media.range.count);
    } else headers['content-length'] = String(media.totalSize);
    return { status: media.range ? 206 : 200, headers, body: Readable.toWeb(media.stream) as never };
  });
}

/** GET /s/{token}/media/{evidenceId} — inline, for the page's players. */
export const shareMediaHandler = mediaHandler('inline');
/** GET /s/{token}/download/{evidenceId} — attachment; only for view+download shares. */
export const shareDownloadHandler = mediaHandler('download');
