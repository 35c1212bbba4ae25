import { AsyncLocalStorage } from 'node:async_hooks';
import { trace, context } from '@opentelemetry/api';
import type { Logger } from '../ports/index.js';

/** What a Functions invocation offers for logging (InvocationContext has these). */
export interface InvocationLike {
  invocationId: string;
  functionName: string;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

const current = new AsyncLocalStorage<InvocationLike>();

/** Runs a binding's work inside its invocation: the app's logger then writes through it. */
export function inInvocation<T>(ctx: InvocationLike | undefined, fn: () => Promise<T>): Promise<T> {
  return ctx ? current.run(ctx, fn) : fn();
}

/**
 * The app's logger. Inside an invocation every entry carries its invocation id and function name
 * and, inside a span, the trace and span ids; in Azure (`toInvocation`) it goes through the
 * invocation context (the host sends it to Application Insights with the invocation's operation
 * id), elsewhere to `fallback`. Fields stay what the caller passed: ids and codes only.
 */
export function invocationLogger(fallback: Logger, options: { toInvocation: boolean }): Logger {
  const enrich = (fields: Record<string, unknown> | undefined) => {
    const ctx = current.getStore();
    const span = trace.getSpan(context.active())?.spanContext();
    return {
      ...fields,
      ...(ctx ? { invocationId: ctx.invocationId, functionName: ctx.functionName } : {}),
      ...(span && span.traceId !== '00000000000000000000000000000000' ? { traceId: span.traceId, spanId: span.spanId } : {}),
    };
  };
  const write = (level: 'info' | 'warn' | 'error') => (message: string, fields?: Record<string, unknown>) => {
    const all = enrich(fields);
    const ctx = current.getStore();
    if (options.toInvocation && ctx) ctx[level](message, JSON.stringify(all));
    else fallback[level](message, all);
  };
  return { info: write('info'), warn: write('warn'), error: write('error') };
}
