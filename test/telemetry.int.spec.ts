import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { AggregationTemporality, InMemoryMetricExporter, PeriodicExportingMetricReader, type MetricData } from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTelemetry, type Telemetry } from '../shared/adapters/telemetry/otel.js';
import type { Logger } from '../shared/ports/index.js';
import type { Stack } from '../local/stack.js';
import { DEMO_CLIP, ensureDemoClip, generateSampleImage } from './fixtures/media/generate.js';
import { client, incidentBody, sha256, testStack } from './helpers.js';

/**
 * One evidence item is one trace, from the HTTP request through the orchestration and the queue to
 * the worker and back, on the local stack (real handlers, replay runtime, Azurite queues, the CPU
 * worker), asserted on the spans an in-memory exporter receives; plus the metrics, the logs'
 * invocation ids and the health routes.
 */

const spans = new InMemorySpanExporter();
const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
const logged: Array<{ level: string; message: string; fields: Record<string, unknown> }> = [];
const capture = (level: string) => (message: string, fields?: Record<string, unknown>) => void logged.push({ level, message, fields: fields ?? {} });
const logger: Logger = { info: capture('info'), warn: capture('warn'), error: capture('error') };

let telemetry: Telemetry;
let stack: Stack;

beforeAll(async () => {
  telemetry = await startTelemetry({ serviceName: 'bystander-test', env: {}, spanProcessors: [new SimpleSpanProcessor(spans)], metricReaders: [reader] });
  stack = await testStack('telemetry', { worker: true, logger });
}, 60_000);
afterAll(async () => {
  await stack?.stop();
  await telemetry?.shutdown();
});

const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;
const idOf = (s: ReadableSpan) => s.spanContext().spanId;

async function metric(name: string): Promise<MetricData | undefined> {
  const { resourceMetrics } = await reader.collect();
  return resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === name);
}

describe('telemetry on the local stack', () => {
  it('one evidence item is one trace: HTTP request → orchestration activities → queue → worker → result → publish', async () => {
    const api = client(stack, await stack.devToken(['uploader', 'investigator']));
    const clip = await ensureDemoClip(join(stack.config.BYSTANDER_DATA_DIR, 'samples'));
    const video = await readFile(clip.path);
    const notAnImage = Buffer.from('this is not a picture at all, just text');
    const description = 'Two bottles taken from aisle 4 by a man in a red jacket';
    const created = await api.createIncident(
      incidentBody(
        [
          { fileName: 'aisle.mp4', contentType: 'video/mp4', sizeBytes: video.length, sha256: sha256(video) },
          { fileName: 'still.jpg', contentType: 'image/jpeg', sizeBytes: notAnImage.length },
        ],
        { description },
      ),
    );
    expect(created.status).toBe(201);
    const incidentId = created.body.incident.id as string;
    const [videoSlot, imageSlot] = created.body.uploads;
    expect((await api.upload(videoSlot, video)).status).toBe(201);
    expect((await api.upload(imageSlot, notAnImage)).status).toBe(201);
    await api.waitFor(incidentId, imageSlot.evidenceId, ['quarantined']);
    await api.waitFor(incidentId, videoSlot.evidenceId, ['published'], 300_000);
    await stack.pump();

    const all = spans.getFinishedSpans();
    const request = all.find((s) => s.name === 'POST /api/incidents' && s.kind === SpanKind.SERVER);
    expect(request, all.map((s) => s.name).join(', ')).toBeDefined();
    const traceId = request!.spanContext().traceId;
    const inTrace = all.filter((s) => s.spanContext().traceId === traceId);
    const named = (name: string, evidenceId: string) => inTrace.filter((s) => s.name === name && s.attributes['bystander.evidence_id'] === evidenceId);

    // The video: declared under the request; every activity, the worker's job and the result in the same trace, parent to child.
    const declared = named('evidence.declared', videoSlot.evidenceId);
    expect(declared).toHaveLength(1);
    expect(parentOf(declared[0]!)).toBe(idOf(request!));
    const inspect = named('activity inspectEvidence', videoSlot.evidenceId);
    expect(inspect.length).toBeGreaterThanOrEqual(1);
    expect(parentOf(inspect[0]!)).toBe(idOf(declared[0]!));
    const dispatch = named('activity dispatchRedaction', videoSlot.evidenceId);
    expect(dispatch).toHaveLength(1);
    const job = named('redaction-job', videoSlot.evidenceId);
    expect(job).toHaveLength(1);
    expect(job[0]!.kind).toBe(SpanKind.CONSUMER);
    expect(parentOf(job[0]!)).toBe(idOf(dispatch[0]!));
    expect(job[0]!.attributes['bystander.outcome']).toBe('succeeded');
    const result = named('redaction-result', videoSlot.evidenceId);
    expect(result).toHaveLength(1);
    expect(parentOf(result[0]!)).toBe(idOf(job[0]!));
    for (const step of ['activity recordRedaction', 'activity discardOriginal', 'activity publishEvidence']) {
      expect(named(step, videoSlot.evidenceId), step).toHaveLength(1);
      expect(parentOf(named(step, videoSlot.evidenceId)[0]!)).toBe(idOf(declared[0]!));
    }
    // The other item of the same request: its own declared span, quarantined in the same trace.
    const imageDeclared = named('evidence.declared', imageSlot.evidenceId);
    expect(imageDeclared).toHaveLength(1);
    expect(parentOf(named('activity quarantineEvidence', imageSlot.evidenceId)[0]!)).toBe(idOf(imageDeclared[0]!));

    // The orchestration carries the trace as an opaque id (custom status), nothing else.
    const status = await stack.runtime.status(videoSlot.evidenceId);
    expect((status?.customStatus as { traceparent?: string }).traceparent).toBe(`00-${traceId}-${idOf(declared[0]!)}-01`);

    // Ids and codes only: no description, file name or path value in any span.
    const text = JSON.stringify(inTrace.map((s) => ({ name: s.name, attributes: s.attributes, events: s.events })));
    expect(text).not.toContain('red jacket');
    expect(text).not.toContain('aisle.mp4');
    expect(text).not.toMatch(/Bearer|sig=/);
    const spanNames = new Set(inTrace.map((s) => s.name));
    expect(spanNames.has(`GET /api/incidents/${incidentId}`)).toBe(false); // route templates, not values

    // Metrics: redaction speed, queue age, outcomes by code.
    const fps = await metric('bystander.redaction.fps');
    expect(fps?.dataPoints[0]?.value).toMatchObject({ count: 1 });
    expect((fps?.dataPoints[0]?.value as { sum: number }).sum).toBeGreaterThan(0);
    const rtf = await metric('bystander.redaction.realtime_factor');
    expect((rtf?.dataPoints[0]?.value as { sum: number }).sum).toBeGreaterThan(0);
    const age = await metric('bystander.queue.age');
    expect(age?.dataPoints.find((p) => p.attributes.queue === 'redaction-jobs')).toBeDefined();
    const outcomes = await metric('bystander.evidence.outcomes');
    const count = (attrs: Record<string, string>) => outcomes?.dataPoints.find((p) => JSON.stringify(p.attributes) === JSON.stringify(attrs))?.value;
    expect(count({ outcome: 'published' })).toBe(1);
    expect(count({ outcome: 'quarantined', code: 'media-not-recognised' })).toBe(1);

    // Logs of an invocation carry its invocation id and the trace.
    const uploadLogs = logged.filter((l) => l.message === 'upload event handled');
    expect(uploadLogs.length).toBeGreaterThanOrEqual(2);
    for (const l of uploadLogs) {
      expect(l.fields.functionName).toBe('onEvidenceUploaded');
      expect(l.fields.invocationId).toMatch(/^[0-9a-f-]{36}$/);
      expect(l.fields.traceId).toMatch(/^[0-9a-f]{32}$/);
    }
  }, 360_000);

  it('review metrics: items held for review by reason, and how long they waited for a decision', async () => {
    const token = await stack.devToken(['uploader', 'investigator']);
    const api = client(stack, token);
    const dir = await mkdtemp(join(tmpdir(), 'bystander-telemetry-'));
    await generateSampleImage(join(dir, 'aisle.jpg'), { width: DEMO_CLIP.width, height: DEMO_CLIP.height, seed: DEMO_CLIP.seed, faces: DEMO_CLIP.faces }, 'jpeg');
    const image = await readFile(join(dir, 'aisle.jpg'));
    // A subject mark around two people: the engine is not sure whom to keep, so the item waits for a reviewer.
    const hint = { atSeconds: 0, box: { x: 40, y: 100, w: 320, h: 190 } };
    const created = await api.createIncident(incidentBody([{ fileName: 'aisle.jpg', contentType: 'image/jpeg', sizeBytes: image.length, subjectHints: [hint] }]));
    const slot = created.body.uploads[0];
    await api.upload(slot, image);
    const incidentId = created.body.incident.id as string;
    expect((await api.waitFor(incidentId, slot.evidenceId, ['awaiting-review', 'published', 'quarantined'])).status).toBe('awaiting-review');
    const held = await metric('bystander.review.held');
    expect(held?.dataPoints.find((p) => p.attributes.reason === 'subject-ambiguous')?.value).toBe(1);
    const res = await fetch(`${stack.url}/api/incidents/${incidentId}/evidence/${slot.evidenceId}/review/reject`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'redaction-inadequate' }),
    });
    expect(res.status).toBe(202);
    const wait = await metric('bystander.review.wait');
    const point = wait?.dataPoints.find((p) => p.attributes.decision === 'rejected');
    expect(point?.value).toMatchObject({ count: 1 });
    expect((point!.value as { sum: number }).sum).toBeGreaterThanOrEqual(0);
  }, 300_000);

  it('health: Key Vault and the redaction backlog; liveness and readiness apart (and /api/health still works)', async () => {
    const health = await fetch(`${stack.url}/api/health`);
    expect(health.status).toBe(200);
    const body = (await health.json()) as { dependencies: Record<string, { ok: boolean }>; backlog: { redactionJobs: { messages: number; oldestSeconds: number | null } } };
    expect(Object.keys(body.dependencies).sort()).toEqual(['blobStorage', 'cosmos', 'keyVault', 'queueStorage']);
    expect(body.dependencies.keyVault!.ok).toBe(true);
    expect(body.backlog.redactionJobs.messages).toBeGreaterThanOrEqual(0);
    const live = await fetch(`${stack.url}/api/health/live`);
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: 'alive' });
    const ready = await fetch(`${stack.url}/api/health/ready`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { status: string }).status).toBe('ready');
  });
});
