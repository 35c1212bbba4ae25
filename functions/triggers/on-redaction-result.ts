import type { InvocationContext } from '@azure/functions';
import { RedactionResultSchema, type RedactionResult } from '../../shared/domain/redaction.js';
import { REDACTION_RESULT_EVENT } from '../../shared/usecases/evidence.js';
import type { HandlerEnv } from '../http/api.js';
import { inInvocation } from '../../shared/telemetry/invocation.js';
import { SpanKind, inSpan } from '../../shared/telemetry/trace.js';

/**
 * Queue `redaction-results` → the waiting processEvidence orchestration. An invalid message throws,
 * so the host retries it and finally moves it to `redaction-results-poison`: never a silent drop.
 */
export async function onRedactionResult(message: unknown, ctx: InvocationContext, env: HandlerEnv): Promise<void> {
  const body = typeof message === 'string' ? JSON.parse(message) : message;
  const parsed = RedactionResultSchema.safeParse(body);
  if (!parsed.success) {
    throw new Error(`invalid redaction result: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const result = parsed.data;
  // In the evidence item's trace: the worker's span is the parent.
  await inInvocation(ctx, () =>
    inSpan('redaction-result', { kind: SpanKind.CONSUMER, parent: result.traceparent ?? null, attributes: { 'bystander.evidence_id': result.evidenceId, 'bystander.job_id': result.jobId, 'faas.invocation_id': ctx.invocationId } }, () =>
      deliver(result, ctx, env),
    ),
  );
}

async function deliver(result: RedactionResult, ctx: InvocationContext, env: HandlerEnv): Promise<void> {
  const orchestrations = env.orchestrations();
  const status = await orchestrations.status(result.evidenceId);
  if (!status || ['Completed', 'Failed', 'Terminated'].includes(status.runtimeStatus)) {
    env.app.deps.logger.warn('redaction result for no running orchestration', { evidenceId: result.evidenceId, jobId: result.jobId });
    return;
  }
  await orchestrations.raiseEvent(result.evidenceId, REDACTION_RESULT_EVENT, result);
  ctx.log(`redaction result ${result.outcome} delivered for ${result.jobId}`);
}
