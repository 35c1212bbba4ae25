import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUES } from '../shared/domain/incident.js';
import { RedactionJobSchema } from '../shared/domain/redaction.js';
import type { Stack } from '../local/stack.js';
import { ensureDemoClip } from './fixtures/media/generate.js';
import { client, incidentBody, sha256, testStack } from './helpers.js';
import { startWorkerLoop } from './worker-loop.js';

let stack: Stack;
beforeAll(async () => {
  stack = await testStack('crash', { worker: false });
});
afterAll(async () => stack?.stop());

describe('a worker that crashes mid-job', () => {
  it('loses nothing: the job reappears on the queue, a healthy worker completes it, the evidence is published once', async () => {
    const api = client(stack, await stack.devToken(['uploader', 'investigator']));
    const clip = await ensureDemoClip(join(stack.config.BYSTANDER_DATA_DIR, 'samples'));
    const bytes = await readFile(clip.path);
    const created = await api.createIncident(incidentBody([{ fileName: 'a.mp4', contentType: 'video/mp4', sizeBytes: bytes.length, sha256: sha256(bytes) }]));
    const slot = created.body.uploads[0];
    await api.upload(slot, bytes);
    await api.waitFor(created.body.incident.id, slot.evidenceId, ['processing']);

    // The first worker takes the job (2 s lease) and dies without a result or a delete.
    let taken: Awaited<ReturnType<typeof stack.app.deps.queue.receive>> = [];
    for (let i = 0; i < 40 && taken.length === 0; i++) {
      taken = await stack.app.deps.queue.receive(QUEUES.jobs, { max: 1, visibilityTimeoutSeconds: 2 });
      if (!taken.length) await new Promise((r) => setTimeout(r, 250));
    }
    expect(taken).toHaveLength(1);
    const job = RedactionJobSchema.parse(JSON.parse(taken[0]!.body));
    expect(job.evidenceId).toBe(slot.evidenceId);
    expect((await api.getIncident(created.body.incident.id)).body.evidence[0].status).toBe('processing');

    // A healthy worker starts; the lease expires and the same job is delivered again.
    const worker = await startWorkerLoop(stack);
    try {
      const evidence = await api.waitFor(created.body.incident.id, slot.evidenceId, ['published', 'quarantined'], 180_000);
      expect(evidence.status).toBe('published');
      // The record says published once publishEvidence ran; the orchestration completes just after it.
      const status = await stack.runtime.waitForCompletion(slot.evidenceId);
      expect(status?.output).toEqual({ status: 'published', evidenceId: slot.evidenceId, attempts: 1 });
    } finally {
      await worker.stop();
    }
  });
});
