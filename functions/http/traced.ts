import type { RouteDef } from './route-def.js';
import { inInvocation } from '../../shared/telemetry/invocation.js';
import { SpanKind, inSpan } from '../../shared/telemetry/trace.js';

/**
 * An HTTP route's handler inside its invocation (logs carry the invocation id) and a server span:
 * the parent is the caller's `traceparent` header, else the host's trace context. Attributes are the
 * route template and status, never the path's values or the query.
 */
export function tracedRoute(prefix: string, route: RouteDef): RouteDef {
  const template = `/${prefix}${route.route}`;
  return {
    ...route,
    handler: (req, ctx, env) =>
      inInvocation(ctx, () =>
        inSpan(
          `${req.method} ${template}`,
          {
            kind: SpanKind.SERVER,
            parent: req.headers.get('traceparent') ?? ctx.traceContext?.traceParent ?? null,
            attributes: { 'http.request.method': req.method, 'http.route': template, 'faas.invocation_id': ctx.invocationId },
          },
          async (span) => {
            const res = await route.handler(req, ctx, env);
            span.setAttribute('http.response.status_code', res.status ?? 200);
            return res;
          },
        ),
      ),
  };
}
