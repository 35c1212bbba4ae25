import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { TRACEPARENT } from '../domain/traceparent.js';

/**
 * Trace context as an opaque id. A W3C `traceparent` (version-traceid-spanid-flags) is what crosses
 * process and replay boundaries: the evidence record, the orchestration input and custom status, the
 * redaction job and its result. It carries no personal data, and an orchestrator only copies it
 * (deterministic). Spans are started only in bindings (HTTP, triggers, activities, the worker loop).
 */
export { TRACEPARENT, TraceparentSchema } from '../domain/traceparent.js';

const propagator = new W3CTraceContextPropagator();
const carrierGetter = { get: (c: Record<string, string>, k: string) => c[k], keys: (c: Record<string, string>) => Object.keys(c) };
const carrierSetter = { set: (c: Record<string, string>, k: string, v: string) => void (c[k] = v) };

export const tracer = () => trace.getTracer('bystander');

/** The context a traceparent names (the root context when there is none or it is malformed). */
export function contextOf(traceparent: string | undefined | null): Context {
  if (!traceparent || !TRACEPARENT.test(traceparent)) return ROOT_CONTEXT;
  return propagator.extract(ROOT_CONTEXT, { traceparent }, carrierGetter);
}

/** The traceparent of a context (the active one by default); undefined outside a recorded span. */
export function traceparentOf(ctx: Context = context.active()): string | undefined {
  const carrier: Record<string, string> = {};
  propagator.inject(ctx, carrier, carrierSetter);
  return carrier.traceparent && TRACEPARENT.test(carrier.traceparent) ? carrier.traceparent : undefined;
}

export interface SpanOptions {
  /** The parent as a traceparent; absent: the active context (or a new trace). */
  parent?: string | null;
  kind?: SpanKind;
  /** Ids and codes only. */
  attributes?: Attributes;
}

/** Runs `fn` in a new span (child of `parent`); records an exception and error status when it throws. */
export async function inSpan<T>(name: string, options: SpanOptions, fn: (span: Span) => Promise<T>): Promise<T> {
  const parent = options.parent !== undefined && options.parent !== null ? contextOf(options.parent) : context.active();
  return tracer().startActiveSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, ...(options.attributes ? { attributes: options.attributes } : {}) }, parent, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException({ name: err instanceof Error ? err.name : 'Error', message: err instanceof Error ? err.name : 'error' });
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** A short span under the active one, ended at once; its traceparent parents later work (e.g. one evidence item). */
export function markSpan(name: string, attributes: Attributes): string | undefined {
  const span = tracer().startSpan(name, { attributes }, context.active());
  const id = traceparentOf(trace.setSpan(context.active(), span));
  span.end();
  return id;
}

export { SpanKind };
