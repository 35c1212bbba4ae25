import type { EventGridEvent, InvocationContext } from '@azure/functions';
import { z } from 'zod';
import { CONTAINERS } from '../../shared/domain/incident.js';
import { acceptUpload, type UploadOutcome } from '../../shared/usecases/evidence.js';
import type { HandlerEnv } from '../http/api.js';
import { inInvocation } from '../../shared/telemetry/invocation.js';
import { SpanKind, inSpan } from '../../shared/telemetry/trace.js';

const BlobCreatedSchema = z.object({
  eventType: z.literal('Microsoft.Storage.BlobCreated'),
  subject: z.string(),
});

/**
 * BlobCreated (Event Grid) for the ingest container. We take the event rather than the blob trigger's
 * payload because the Node worker would hand the whole blob over in memory; the use case streams it.
 */
export async function onEvidenceUploaded(event: EventGridEvent | unknown, ctx: InvocationContext, env: HandlerEnv): Promise<UploadOutcome | undefined> {
  const parsed = BlobCreatedSchema.safeParse(event);
  if (!parsed.success) {
    ctx.warn('ignoring an event that is not BlobCreated');
    return undefined;
  }
  const m = /^\/blobServices\/default\/containers\/([^/]+)\/blobs\/(.+)$/.exec(parsed.data.subject);
  if (!m || m[1] !== CONTAINERS.ingest) {
    ctx.warn('ignoring BlobCreated outside the ingest container');
    return undefined;
  }
  const name = decodeURIComponent(m[2]!);
  return inInvocation(ctx, () =>
    inSpan('blob-created ingest', { kind: SpanKind.CONSUMER, parent: ctx.traceContext?.traceParent ?? null, attributes: { 'faas.invocation_id': ctx.invocationId } }, async () => {
      const outcome = await acceptUpload(env.app.deps, env.orchestrations(), name, env.app.tenantSettings.readReviewRule);
      env.app.deps.logger.info('upload event handled', { outcome: outcome.outcome, ...('ref' in outcome ? { evidenceId: outcome.ref.evidenceId } : { reason: outcome.reason }) });
      return outcome;
    }),
  );
}

/** The event Azure Storage emits, built by the local stack for the same handler. */
export function blobCreatedEvent(container: string, blobName: string, url: string, contentLength: number) {
  return {
    id: crypto.randomUUID(),
    topic: 'local',
    subject: `/blobServices/default/containers/${container}/blobs/${blobName}`,
    eventType: 'Microsoft.Storage.BlobCreated',
    eventTime: new Date().toISOString(),
    dataVersion: '1',
    data: { api: 'PutBlob', url, contentLength },
  };
}
