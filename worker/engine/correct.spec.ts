import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { detailEnergy, meanAbsDiff, inBoxes, readLuma } from '../../test/fixtures/media/frames.js';
import { FACE_BOXES } from '../../test/fixtures/media/generate.js';
import { iou } from './frame.js';
import { redactMedia, type RedactionReport, toSummary, VerificationFailedError } from './index.js';
import { SMALLEST_FACE } from './verify.js';
import { DEFAULT_CORRECTION } from './correct.js';

/**
 * Correction rounds on real CCTV (test/fixtures/media/real/vtest-20-59.mp4: 40 frames of OpenCV's
 * vtest.avi). The first pass is made to miss faces on purpose — the engine's face threshold is
 * raised to 0.995, so it reports (almost) nothing — while the verifier runs at its defaults: what
 * the verifier then finds in the output must become redactions in the next round.
 */
const require = createRequire(import.meta.url);
const clipPath = join(process.cwd(), 'test', 'fixtures', 'media', 'real', 'vtest-20-59.mp4');
const dir = join(process.cwd(), '.test-data', 'correct');
const W = 768;
const H = 576;
const blind = { targets: ['faces' as const], style: 'pixelate' as const, subjects: [], keepAudio: false, faceScan: { scoreThreshold: 0.995 } };

async function failure(p: Promise<unknown>): Promise<VerificationFailedError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(VerificationFailedError);
  return err as VerificationFailedError;
}

describe('verification corrects what it finds (real CCTV)', () => {
  let report: RedactionReport;
  const out = join(dir, 'corrected.mp4');
  beforeAll(async () => {
    await mkdir(dir, { recursive: true });
    report = await redactMedia(clipPath, out, blind);
  }, 180_000);

  it('a face the first pass missed is found by the verifier and obscured in the next round; the report lists rounds and corrections', async () => {
    const v = report.verification;
    expect(v.status).toBe('passed');
    expect(v.rounds!.length).toBeGreaterThanOrEqual(2);
    expect(v.rounds!.length).toBeLessThanOrEqual(3);
    expect(v.rounds![0]).toMatchObject({ round: 0, status: 'failed' });
    expect(v.rounds![0]!.violations).toBeGreaterThan(0);
    expect(v.rounds!.at(-1)).toMatchObject({ status: 'passed', violations: 0 });
    expect(v.corrections!.length).toBeGreaterThan(0);
    expect(v.corrections!.every((c) => c.round >= 1 && c.round <= 2)).toBe(true);
    expect(v.failedFrames).toBeUndefined();
    // The minimised summary (recorded with the evidence, fed to the corrections metric) counts them.
    expect(toSummary(report).corrections).toBe(v.corrections!.length);

    // Every corrected face is obscured in the output at the frame it was found.
    const a = await readLuma(clipPath, W, H);
    const b = await readLuma(out, W, H);
    // (Pixelation of a ~20 px box leaves block edges, so its detail energy drops little; the pixels
    // themselves change by 17–21 levels where codec noise alone is 1–3, as redact.spec.ts uses.)
    for (const c of v.corrections!) {
      const box = { x: Math.max(0, Math.round(c.box.x)), y: Math.max(0, Math.round(c.box.y)), w: Math.round(c.box.w), h: Math.round(c.box.h) };
      expect(meanAbsDiff(a.frames[c.frame]!, b.frames[c.frame]!, W, H, inBoxes([box])).mean).toBeGreaterThan(8);
      expect(detailEnergy(b.frames[c.frame]!, W, box)).toBeLessThan(detailEnergy(a.frames[c.frame]!, W, box));
    }
  });

  it('states the smallest face the engine claims and the smallest the verifier finds, the verifier reaching at least as small', () => {
    const s = report.verification.smallestFace!;
    expect(s).toEqual(SMALLEST_FACE);
    expect(s.engine).toBeGreaterThan(0);
    expect(s.verifier).toBeGreaterThan(0);
    expect(s.verifier).toBeLessThanOrEqual(s.engine);
  });

  it('without correction rounds the same clip is quarantined, naming the frames', async () => {
    const target = join(dir, 'no-rounds.mp4');
    await rm(target, { force: true });
    const err = await failure(redactMedia(clipPath, target, { ...blind, correction: { maxRounds: 0 } }));
    const r = err.report as RedactionReport;
    expect(r.verification.rounds).toHaveLength(1);
    expect(r.verification.failedFrames!.length).toBeGreaterThan(0);
    expect(err.message).toContain(`at frames ${r.verification.failedFrames!.join(', ')}`);
    expect(existsSync(target)).toBe(false);
  }, 120_000);

  it('the rounds are bounded: when obscuring cannot hide what the verifier finds, quarantine after 3 correction rounds, frames named', async () => {
    const target = join(dir, 'unbounded.mp4');
    await rm(target, { force: true });
    // Padding −0.45: each obscured box is a tenth of the box found, so the face stays visible and
    // the verifier finds it again in every round (10 rounds asked for; the bound is 3).
    const err = await failure(redactMedia(clipPath, target, { ...blind, padding: -0.45, correction: { maxRounds: 10 } }));
    const r = err.report as RedactionReport;
    expect(DEFAULT_CORRECTION.maxRounds).toBe(3);
    expect(r.verification.rounds!.map((x) => x.round)).toEqual([0, 1, 2, 3]);
    expect(r.verification.rounds!.every((x) => x.status === 'failed')).toBe(true);
    expect(r.verification.failedFrames!.length).toBeGreaterThan(0);
    expect(err.message).toMatch(/after 3 correction round\(s\), at frames \d+/);
    expect(existsSync(target)).toBe(false);
  }, 240_000);

  it('a still: the faces the first pass missed are found by the verifier, obscured, and the image checked again', async () => {
    const photo = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo', 'sample1.jpg');
    const target = join(dir, 'still.jpg');
    await rm(target, { force: true });
    // Blind to people too: a still's two-size person scan (detectStill) finds the three women and
    // their head regions would cover the faces the blind face scan misses.
    const r = await redactMedia(photo, target, { ...blind, persons: { enabled: false } });
    expect(r.verification.status).toBe('passed');
    expect(r.verification.rounds![0]).toMatchObject({ round: 0, status: 'failed' });
    expect(r.verification.rounds!.at(-1)).toMatchObject({ status: 'passed' });
    // A hand-checked face of the photo that the first pass left visible was corrected: its pixels
    // in the written image are no longer the photo's.
    const faces = FACE_BOXES[1].map(([x, y, w, h]) => ({ x, y, w, h }));
    const corrected = faces.filter((f) => r.verification.corrections!.some((c) => iou(c.box, f) > 0.3));
    expect(corrected.length).toBeGreaterThan(0);
    const a = await sharp(photo).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const b = await sharp(target).removeAlpha().raw().toBuffer();
    for (const f of corrected) {
      let diff = 0;
      let n = 0;
      for (let y = Math.round(f.y + f.h * 0.25); y < f.y + f.h * 0.75; y++) {
        for (let x = Math.round(f.x + f.w * 0.25); x < f.x + f.w * 0.75; x++) {
          const i = (y * a.info.width + x) * 3;
          diff += Math.abs(a.data[i]! - b[i]!) + Math.abs(a.data[i + 1]! - b[i + 1]!) + Math.abs(a.data[i + 2]! - b[i + 2]!);
          n += 3;
        }
      }
      expect(diff / n, `face at ${f.x},${f.y}`).toBeGreaterThan(8);
    }
  }, 120_000);
});
