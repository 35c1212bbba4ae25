import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { clip, detailEnergy, inBoxes, meanAbsDiff, readLuma } from '../../test/fixtures/media/frames.js';
import { type CachedClip, ensureDemoClip } from '../../test/fixtures/media/generate.js';
import { redactMedia, type RedactionReport, toSummary, VerificationFailedError } from './index.js';

/**
 * Reviewer edits and reviewable renders on the generated demo clip (4 s, 640×360, 25 fps: face 0
 * walks right from x 90, face 1 left from x 560, face 2 stays low in the middle), with the real
 * models. Person detection is off (the clip draws faces, no bodies), so hints match face tracks.
 */
const require = createRequire(import.meta.url);
const dir = join(process.cwd(), '.test-data', 'review');
const base = { targets: ['faces' as const], style: 'pixelate' as const, keepAudio: false, persons: { enabled: false } };
// Hints on face 0 and face 1 at 1 s (face 0 centred near 130,152; face 1 near 525,122).
const subjects = [
  { atSeconds: 1, box: { x: 85, y: 105, w: 90, h: 95 } },
  { atSeconds: 1, box: { x: 490, y: 88, w: 72, h: 72 } },
];

type Box = { x: number; y: number; w: number; h: number };

describe('reviewer edits on a real render', () => {
  let demo: CachedClip;
  let plain: RedactionReport;
  let edited: RedactionReport;
  const plainOut = join(dir, 'plain.mp4');
  const editedOut = join(dir, 'edited.mp4');
  // Face 1 at 1 s, drawn over its face: followed from 1 s to 3.8 s, by which time the face has moved ~100 px left.
  const drawn = { x: 497, y: 94, w: 56, h: 56 };
  beforeAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    demo = await ensureDemoClip(join(process.cwd(), '.test-data', 'worker-engine'));
    plain = await redactMedia(demo.path, plainOut, { ...base, subjects });
    const face0 = plain.subjects.matches[0]!.trackId!;
    edited = await redactMedia(demo.path, editedOut, { ...base, subjects, edits: { version: 3, obscureTracks: [face0], boxes: [{ atSeconds: 1, fromSeconds: 1, toSeconds: 3.8, box: drawn }] } });
  }, 240_000);

  const truth = (f: number, face: number) => demo.truth.frames[f]!.faces.find((x) => x.id === face)!.box;
  const obscured = (a: Buffer, b: Buffer, box: Box) => {
    const { width, height } = demo.truth;
    const c = clip(box, width, height)!;
    return meanAbsDiff(a, b, width, height, inBoxes([c])).mean > 8 && detailEnergy(b, width, c) < detailEnergy(a, width, c) * 0.6;
  };

  it('both hints keep their face without edits; the track ids are the same with and without edits', () => {
    expect(plain.subjects.matches.map((m) => m.outcome)).toEqual(['kept', 'kept']);
    const shape = (r: RedactionReport) => r.tracks.map((t) => [t.id, t.class, t.firstFrame, t.lastFrame, t.detections]);
    expect(shape(edited)).toEqual(shape(plain));
    expect(edited.verification.status).toBe('passed');
    expect(plain.verification.status).toBe('passed');
  });

  it('obscureTracks obscures a kept subject over its whole life; the report and summary echo the edits', async () => {
    const face0 = plain.subjects.matches[0]!.trackId!;
    expect(plain.tracks.find((t) => t.id === face0)!.kept).toBe(true);
    expect(edited.tracks.find((t) => t.id === face0)!.kept).toBe(false);
    expect(edited.subjects.matches[0]).toMatchObject({ trackId: face0, keptShare: 0 });
    const { width, height } = demo.truth;
    const src = await readLuma(demo.path, width, height);
    const a = await readLuma(plainOut, width, height);
    const b = await readLuma(editedOut, width, height);
    for (const f of [5, 40, 95]) {
      expect(obscured(src.frames[f]!, a.frames[f]!, truth(f, 0)), `plain, frame ${f}`).toBe(false);
      expect(obscured(src.frames[f]!, b.frames[f]!, truth(f, 0)), `edited, frame ${f}`).toBe(true);
    }
    expect(edited.edits).toMatchObject({ version: 3, obscureTracks: [face0], keepTracks: [], obscureBodies: [] });
    expect(toSummary(edited).editsVersion).toBe(3);
    expect(toSummary(plain).editsVersion).toBeUndefined();
  });

  it('a review box covers its span, following the face it was drawn on (where a box left where drawn would miss it), and nothing outside the span', async () => {
    const face1 = plain.subjects.matches[1]!.trackId!;
    expect(edited.edits!.boxes).toEqual([{ box: 0, trackId: face1, frames: [25, 95], framesCovered: 71 }]);
    expect(edited.tracks.find((t) => t.id === face1)!.kept).toBe(true);
    const { width, height } = demo.truth;
    const src = await readLuma(demo.path, width, height);
    const b = await readLuma(editedOut, width, height);
    for (const f of [25, 60, 95]) expect(obscured(src.frames[f]!, b.frames[f]!, truth(f, 1)), `frame ${f}`).toBe(true);
    // At 3.8 s the face lies wholly beside where the box was drawn (even padded by a quarter on each side).
    const late = truth(95, 1);
    expect(late.x + late.w).toBeLessThan(drawn.x - drawn.w / 4);
    // Outside the span the kept subject is visible.
    for (const f of [10, 99]) expect(obscured(src.frames[f]!, b.frames[f]!, truth(f, 1)), `frame ${f}`).toBe(false);
  });

  it('every run reports whether it needs review', () => {
    expect(plain.review).toEqual({ needed: false, reasons: [] });
    expect(toSummary(plain).review).toEqual({ needed: false, reasons: [] });
  });
});

describe('reviewable renders when verification still fails', () => {
  // The engine's face threshold raised to 0.995 misses the faces on purpose; no correction rounds:
  // the verifier (at its defaults) finds them in the output.
  const blind = { ...base, subjects: [], faceScan: { scoreThreshold: 0.995 }, correction: { maxRounds: 0 } };
  let demo: CachedClip;
  let forReview: RedactionReport | undefined;
  beforeAll(async () => {
    await mkdir(dir, { recursive: true });
    demo = await ensureDemoClip(join(process.cwd(), '.test-data', 'worker-engine'));
  });

  it('without reviewable: throws, nothing written', async () => {
    const target = join(dir, 'quarantined.mp4');
    await rm(target, { force: true });
    const err = await redactMedia(demo.path, target, blind).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(VerificationFailedError);
    const r = (err as VerificationFailedError).report as RedactionReport;
    expect(r.review).toMatchObject({ needed: true, reasons: expect.arrayContaining(['verifier-found-faces']) });
    expect(r.verification.heldForReview).toBeUndefined();
    expect(existsSync(target)).toBe(false);
  }, 120_000);

  it('reviewable: written, verification failed with its frames named, review needed, and every violation obscured in the output', async () => {
    const target = join(dir, 'for-review.mp4');
    await rm(target, { force: true });
    const r = await redactMedia(demo.path, target, { ...blind, reviewable: true });
    forReview = r;
    expect(existsSync(target)).toBe(true);
    const v = r.verification;
    expect(v.status).toBe('failed');
    expect(v.rounds).toHaveLength(1);
    expect(v.violations.length).toBeGreaterThan(0);
    expect(v.failedFrames).toEqual([...new Set(v.violations.map((x) => x.frame))]);
    expect(v.heldForReview).toBe(v.violations.length);
    expect(v.heldRegions).toBeGreaterThanOrEqual(v.violations.length);
    expect(r.review!.needed).toBe(true);
    expect(r.review!.reasons).toContain('verifier-found-faces');
    expect(toSummary(r)).toMatchObject({ verification: 'failed', review: { needed: true } });
    const { width, height } = demo.truth;
    const a = await readLuma(demo.path, width, height);
    const b = await readLuma(target, width, height);
    for (const x of v.violations) {
      const box = clip(x.box, width, height)!;
      expect(meanAbsDiff(a.frames[x.frame]!, b.frames[x.frame]!, width, height, inBoxes([box])).mean, `frame ${x.frame}`).toBeGreaterThan(8);
      expect(detailEnergy(b.frames[x.frame]!, width, box)).toBeLessThan(detailEnergy(a.frames[x.frame]!, width, box));
    }
  }, 120_000);

  it("a reviewer's box over a face the engine missed: the verifier finds no violation inside it any more", async () => {
    expect(forReview).toBeDefined();
    // Face 2 stays low in the middle (centre 330,260 → 360,250, 40–44 px) the whole clip; the blind
    // engine has no track there, so the box stays where drawn.
    const box = { x: 290, y: 215, w: 110, h: 80 };
    const inBox = (v: { box: Box }) => v.box.x >= box.x - 4 && v.box.y >= box.y - 4 && v.box.x + v.box.w <= box.x + box.w + 4 && v.box.y + v.box.h <= box.y + box.h + 4;
    expect(forReview!.verification.violations.filter(inBox).length).toBeGreaterThan(0);
    const target = join(dir, 'boxed.mp4');
    await rm(target, { force: true });
    const r = await redactMedia(demo.path, target, { ...blind, reviewable: true, edits: { version: 1, boxes: [{ atSeconds: 0, fromSeconds: 0, toSeconds: 4, box }] } });
    expect(r.edits!.boxes).toEqual([{ box: 0, trackId: null, frames: [0, 99], framesCovered: 100 }]);
    expect(r.verification.violations.filter(inBox)).toEqual([]);
    // (Once pixelated the verifier no longer finds that face at all; elsewhere it still does.)
    expect(r.verification.violations.length).toBeGreaterThan(0);
    expect(r.verification.violations.length).toBeLessThan(forReview!.verification.violations.length);
  }, 120_000);

  it('a still: reviewable writes the image with the violations obscured', async () => {
    const photo = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo', 'sample1.jpg');
    const target = join(dir, 'still.jpg');
    await rm(target, { force: true });
    // Solid fill: a false alarm the verifier found on a flat wall changes little when pixelated.
    const r = await redactMedia(photo, target, { ...blind, style: 'solid', reviewable: true });
    expect(r.verification.status).toBe('failed');
    expect(r.verification.heldForReview).toBe(r.verification.violations.length);
    expect(r.review!.reasons).toContain('verifier-found-faces');
    const src = await sharp(photo).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const out = await sharp(target).removeAlpha().raw().toBuffer();
    const W = src.info.width;
    // Each violation's box is filled in the output (solid: black, whatever was there; some of the
    // verifier's finds are dark), and where the photo was not dark the pixels changed.
    let changed = 0;
    for (const { box } of r.verification.violations) {
      let before = 0;
      let after = 0;
      let n = 0;
      for (let y = Math.round(box.y + box.h * 0.25); y < box.y + box.h * 0.75; y++) {
        for (let x = Math.round(box.x + box.w * 0.25); x < box.x + box.w * 0.75; x++) {
          const i = (y * W + x) * 3;
          before += src.data[i]! + src.data[i + 1]! + src.data[i + 2]!;
          after += out[i]! + out[i + 1]! + out[i + 2]!;
          n += 3;
        }
      }
      expect(after / n, `box at ${box.x},${box.y}`).toBeLessThan(6);
      if (before / n > 60) changed++;
    }
    expect(changed).toBeGreaterThanOrEqual(3);
  }, 120_000);
});
