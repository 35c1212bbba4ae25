import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTAINERS, blobNames } from '../shared/domain/incident.js';
import type { Stack } from '../local/stack.js';
import { ensureDemoClip, type CachedClip } from './fixtures/media/generate.js';
import { client, incidentBody, sha256, testStack } from './helpers.js';

const ffmpeg = (createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg') as { path: string }).path;

/** Decodes a clip to raw RGB frames (gray would hide colour smearing; RGB is the honest compare). */
function decodeFrames(path: string, width: number, height: number): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const p = spawn(ffmpeg, ['-v', 'error', '-i', path, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    p.stdout.on('data', (c: Buffer) => chunks.push(c));
    p.on('error', reject);
    p.on('close', (code) => {
      if (code !== 0) return reject(new Error(`ffmpeg exited ${code}`));
      const all = Buffer.concat(chunks);
      const size = width * height * 3;
      const frames: Buffer[] = [];
      for (let o = 0; o + size <= all.length; o += size) frames.push(all.subarray(o, o + size));
      resolve(frames);
    });
  });
}

/**
 * Mean absolute RGB difference inside the face boxes, and outside a safety zone around them (the
 * engine pads obscured regions and extends them along the track, so the zone scales with the face).
 */
function diffInOut(a: Buffer, b: Buffer, width: number, height: number, boxes: { x: number; y: number; w: number; h: number }[], padShare: number) {
  let inSum = 0, inN = 0, outSum = 0, outN = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inside = boxes.some((bx) => x >= bx.x && x < bx.x + bx.w && y >= bx.y && y < bx.y + bx.h);
      const near = boxes.some((bx) => {
        const m = Math.max(16, padShare * Math.max(bx.w, bx.h));
        return x >= bx.x - m && x < bx.x + bx.w + m && y >= bx.y - m && y < bx.y + bx.h + m;
      });
      const i = (y * width + x) * 3;
      const d = (Math.abs(a[i]! - b[i]!) + Math.abs(a[i + 1]! - b[i + 1]!) + Math.abs(a[i + 2]! - b[i + 2]!)) / 3;
      if (inside) (inSum += d), inN++;
      else if (!near) (outSum += d), outN++;
    }
  }
  return { inside: inSum / Math.max(1, inN), outside: outSum / Math.max(1, outN) };
}

let stack: Stack;
let clip: CachedClip;

beforeAll(async () => {
  stack = await testStack('e2e', { worker: true });
  clip = await ensureDemoClip(join(stack.config.BYSTANDER_DATA_DIR, 'samples'));
});
afterAll(async () => stack?.stop());

describe('end to end on the local stack (real ffmpeg, real BlazeFace, Azurite, Cosmos emulator)', () => {
  it('publishes a redacted copy whose face regions are obscured and the rest intact; the original is gone', async () => {
    const api = client(stack, await stack.devToken(['uploader', 'investigator']));
    const bytes = await readFile(clip.path);
    const created = await api.createIncident(
      incidentBody([{ fileName: 'aisle.mp4', contentType: 'video/mp4', sizeBytes: bytes.length, sha256: sha256(bytes) }]),
    );
    expect(created.status).toBe(201);
    const incidentId = created.body.incident.id as string;
    const slot = created.body.uploads[0];
    expect((await api.upload(slot, bytes)).status).toBe(201);

    const evidence = await api.waitFor(incidentId, slot.evidenceId, ['published', 'quarantined', 'rejected'], 180_000);
    expect(evidence.status, JSON.stringify(evidence.quarantine)).toBe('published');
    expect(evidence.original.sha256).toBe(sha256(bytes));
    expect(evidence.summary.verification).toBe('passed');
    expect(evidence.summary.models.length).toBeGreaterThan(0);
    expect((await stack.runtime.waitForCompletion(slot.evidenceId)).customStatus).toMatchObject({ stage: 'published' });

    // Minimisation: the original upload no longer exists anywhere in ingest/.
    expect(await stack.app.deps.blobs.getProperties(CONTAINERS.ingest, blobNames.ingest('dev-tenant', incidentId, slot.evidenceId))).toBeUndefined();

    // At rest the redacted media is sealed with the incident's data key: not an MP4 to anyone reading storage.
    const stored = await stack.app.deps.blobs.download(CONTAINERS.evidence, `${blobNames.redacted('dev-tenant', incidentId, slot.evidenceId)}.a1`, { offset: 0, count: 16 });
    const head: Buffer[] = [];
    for await (const c of stored.stream) head.push(c as Buffer);
    expect(Buffer.concat(head).subarray(0, 4).toString('latin1')).toBe('BYSA');
    expect(Buffer.concat(head).includes(Buffer.from('ftyp'))).toBe(false);

    const res = await api.content(incidentId, slot.evidenceId);
    expect(res.status).toBe(200);
    const redacted = Buffer.from(await res.arrayBuffer());
    expect(sha256(redacted)).toBe(evidence.redacted.sha256);
    const outPath = join(stack.config.BYSTANDER_DATA_DIR, 'e2e-redacted.mp4');
    await (await import('node:fs/promises')).writeFile(outPath, redacted);

    const { width, height } = clip.truth;
    const before = await decodeFrames(clip.path, width, height);
    const after = await decodeFrames(outPath, width, height);
    expect(after.length).toBe(before.length);
    let checked = 0;
    for (let f = 0; f < before.length; f += 10) {
      const faces = clip.truth.frames[f]!.faces.filter((x) => x.visible > 0.9 && !x.subject).map((x) => x.box);
      if (!faces.length) continue;
      const d = diffInOut(before[f]!, after[f]!, width, height, faces, 0.75);
      expect(d.inside, `frame ${f}: face regions must change`).toBeGreaterThan(12);
      expect(d.outside, `frame ${f}: the rest must match within codec noise`).toBeLessThan(4);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(5);

    // Range requests work on the redacted media.
    const part = await api.content(incidentId, slot.evidenceId, { range: 'bytes=0-99' });
    expect(part.status).toBe(206);
    expect(Buffer.from(await part.arrayBuffer()).equals(redacted.subarray(0, 100))).toBe(true);
  });

  it('a truncated video is quarantined with a reason; nothing is published', async () => {
    const api = client(stack, await stack.devToken(['uploader', 'investigator']));
    const whole = await readFile(clip.path);
    const bytes = whole.subarray(0, Math.floor(whole.length * 0.4));
    const created = await api.createIncident(incidentBody([{ fileName: 'cut.mp4', contentType: 'video/mp4', sizeBytes: bytes.length }]));
    const slot = created.body.uploads[0];
    await api.upload(slot, bytes);
    const evidence = await api.waitFor(created.body.incident.id, slot.evidenceId, ['published', 'quarantined'], 180_000);
    expect(evidence.status).toBe('quarantined');
    expect(evidence.quarantine.code).toMatch(/^media-/);
    expect((await api.content(created.body.incident.id, slot.evidenceId)).status).toBe(404);
  });
});
