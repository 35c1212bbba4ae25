import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { AuthError, type Principal } from '../../shared/auth/tokens.js';
import { ProblemError, problemResponse, problems } from '../../shared/http/problem.js';
import { ConflictError, NotFoundError, type Orchestrations } from '../../shared/ports/index.js';
import { KeyUnavailableError } from '../../shared/crypto/errors.js';
import { AuditWriteError } from '../../shared/audit/audit-log.js';
import type { App } from '../../shared/composition.js';
import { clientAddressOf } from './client-address.js';

/** What every HTTP handler gets besides the request: the composed app and an orchestration client. */
export interface HandlerEnv {
  app: App;
  orchestrations: () => Orchestrations;
}

export interface ApiRequest {
  req: HttpRequest;
  ctx: InvocationContext;
  env: HandlerEnv;
  principal: Principal;
  origin: string | undefined;
}

export type ApiHandler = (r: ApiRequest) => Promise<HttpResponseInit>;
export type RawHandler = (req: HttpRequest, ctx: InvocationContext, env: HandlerEnv) => Promise<HttpResponseInit>;

const MAX_JSON_BYTES = 64 * 1024;


/** Reads a JSON body with a size limit; a malformed body is a 400, never a 500. */
export async function readJson(req: HttpRequest): Promise<unknown> {
  const type = req.headers.get('content-type') ?? '';
  if (!/^application\/(.+\+)?json\b/i.test(type)) {
    throw new ProblemError({ ...problems.badRequest('send the body as application/json'), status: 415, title: 'Unsupported media type' });
  }
  const declared = Number(req.headers.get('content-length') ?? '0');
  if (declared > MAX_JSON_BYTES) throw new ProblemError(problems.tooLarge(`the body exceeds ${MAX_JSON_BYTES} bytes`));
  const text = await req.text();
  if (Buffer.byteLength(text) > MAX_JSON_BYTES) throw new ProblemError(problems.tooLarge(`the body exceeds ${MAX_JSON_BYTES} bytes`));
  try {
    return JSON.parse(text);
  } catch {
    throw new ProblemError(problems.badRequest('the body is not valid JSON'));
  }
}

export function errorResponse(err: unknown, ctx: InvocationContext): HttpResponseInit {
  if (err instanceof ProblemError) return problemResponse(err.problem);
  if (err instanceof AuthError) {
    return err.status === 401
      ? problemResponse(problems.unauthorized(err.message), { 'www-authenticate': 'Bearer' })
      : problemResponse(problems.forbidden(err.message));
  }
  if (err instanceof NotFoundError) return problemResponse(problems.notFound('the resource'));
  if (err instanceof ConflictError) return problemResponse(problems.conflict(err.message));
  // Fail closed: without the key (Key Vault) or the audit trail, nothing is read or changed.
  if (err instanceof KeyUnavailableError) {
    ctx.error(JSON.stringify({ alert: 'key-vault-unavailable', reason: err.reason }));
    return problemResponse(problems.unavailable('the encryption key service is unavailable; try again later'), { 'retry-after': '30' });
  }
  if (err instanceof AuditWriteError) {
    ctx.error(JSON.stringify({ alert: 'audit-write-failed' }));
    return problemResponse(problems.unavailable('the audit trail could not be written, so the action was refused'), { 'retry-after': '30' });
  }
  ctx.error('unhandled error', err instanceof Error ? err.stack : String(err));
  return problemResponse(problems.internal());
}

/** Authenticates (bearer JWT), then runs the handler; every error becomes RFC 7807 problem details. */
export function authenticated(handler: ApiHandler): RawHandler {
  return async (req, ctx, env) => {
    try {
      let principal: Principal;
      try {
        principal = await env.app.tokens.verify(req.headers.get('authorization'));
      } catch (err) {
        if (err instanceof AuthError) {
          env.app.deps.logger.warn('authentication failed', { route: req.url.replace(/\?.*$/, ''), reason: err.message });
        }
        throw err;
      }
      return await handler({ req, ctx, env, principal, origin: clientAddressOf(req, env.app.deps.config) });
    } catch (err) {
      return errorResponse(err, ctx);
    }
  };
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit {
  return { status, jsonBody: body, headers: { 'cache-control': 'no-store', ...headers } };
}
