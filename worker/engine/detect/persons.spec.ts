import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matchPersons, VTEST_BODIES, VTEST_LABELS } from '../../../test/fixtures/vtest/labels.js';
import { ffmpegPath, toolEnv } from '../ffmpeg.js';
import { coverage, type Frame, iou, type Rect } from '../frame.js';
import { HEAD_FROM_BODY, headFromBody } from './head-from-body.js';
import { DEFAULT_PERSON_SCAN, PersonDetector, PersonDetectorThread, type PersonDetection, decodePersons, detectStill, nms, STILL_PERSON_SCALES } from './persons.js';

const fixtures = fileURLToPath(new URL('../../../test/fixtures/vtest/', import.meta.url));
const rect = ([x, y, w, h]: readonly number[]): Rect => ({ x: x!, y: y!, w: w!, h: h! });
const FRAMES = Object.keys(VTEST_LABELS);

async function load(name: string): Promise<Frame> {
  const { data, info } = await sharp(join(fixtures, name)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, format: 'rgb24', data };
}

describe('person detector (NanoDet, ONNX) on real CCTV frames (vtest, labelled by hand)', () => {
  let detector: PersonDetector;
  const found = new Map<string, PersonDetection[]>();
  beforeAll(async () => {
    detector = await PersonDetector.create();
    for (const name of FRAMES) found.set(name, await detector.detect(await load(name)));
  });
  afterAll(() => detector?.release());

  it('loads the pinned model and scans the frame at its aspect (416×320 for 768×576)', () => {
    expect(detector.model.name).toBe('nanodet-person');
    expect(PersonDetector.inputFor(768, 576, 416)).toEqual({ inW: 416, inH: 320, scale: 768 / 416 });
    expect(PersonDetector.inputFor(1280, 720, 416)).toEqual({ inW: 416, inH: 256, scale: 1280 / 416 });
  });

  it("finds the same persons in the decoder's yuv420p frames as in RGB", async () => {
    const name = FRAMES[2]!;
    const data = execFileSync(ffmpegPath(), ['-v', 'error', '-i', join(fixtures, name), '-pix_fmt', 'yuv420p', '-f', 'rawvideo', '-'], { env: toolEnv() });
    const yuv = await detector.detect({ width: 768, height: 576, format: 'yuv420p', data });
    const rgb = found.get(name)!;
    expect(yuv).toHaveLength(rgb.length);
    for (const d of rgb) expect(Math.max(...yuv.map((y) => iou(y, d)))).toBeGreaterThan(0.8);
  });

  it('in its own thread (as video uses it) finds exactly what it finds in this one, several frames in flight', async () => {
    const thread = await PersonDetectorThread.create();
    try {
      expect(thread.model).toEqual(detector.model);
      const frames = await Promise.all(FRAMES.slice(0, 4).map(load));
      const inThread = await Promise.all(frames.map((f) => thread.detect(f)));
      inThread.forEach((dets, i) => expect(dets).toEqual(found.get(FRAMES[i]!)));
      expect(inThread.flat().length).toBeGreaterThan(10);
    } finally {
      await thread.release();
    }
  });

  it('finds the labelled persons of 9 real frames at the measured rate: 49 of the 52 not partly hidden, at most 2 other detections', async () => {
    // Measured with the defaults (bench/persons.ts): the 3 misses among the 52 are a man half behind
    // the lamp post (frame 320) and two people ~14 px wide far away (frames 80, 720); the 2 other
    // detections are traffic cones (frames 80, 240). A regression below this fails.
    const all = { ...VTEST_LABELS, ...VTEST_BODIES };
    const extras: string[] = [];
    let [visible, visibleFound] = [0, 0];
    for (const [name, labels] of Object.entries(all)) {
      const dets = found.get(name) ?? (await detector.detect(await load(name)));
      const { matched, extra } = matchPersons(labels, dets);
      visible += labels.filter((p) => !p.occluded).length;
      visibleFound += matched.filter((m, i) => m && !labels[i]!.occluded).length;
      extras.push(...extra.map((e) => `${name}: ${[e.x, e.y, e.w, e.h].map(Math.round).join(',')} @ ${e.score.toFixed(2)}`));
    }
    expect(visible).toBe(52);
    expect(visibleFound).toBeGreaterThanOrEqual(49);
    expect(extras.length, extras.join('; ')).toBeLessThanOrEqual(2);
  });

  it.each(FRAMES)("head from body: the region of each detected person's box holds the labelled head (%s)", (name) => {
    const labels = VTEST_LABELS[name]!;
    const { matched } = matchPersons(labels, found.get(name)!);
    for (const [i, p] of labels.entries()) {
      const det = matched[i];
      if (!det) continue;
      const region = headFromBody(det);
      expect(coverage(rect(p.head), region), `head at ${p.head.join(',')} from box ${[det.x, det.y, det.w, det.h].map(Math.round).join(',')}`).toBeGreaterThanOrEqual(0.95);
      // Never most of the body (a short box gets a larger share: its head is as large as its width says).
      expect(region.w * region.h).toBeLessThan(0.5 * det.w * det.h);
    }
  });

  it('head from body: the labelled body boxes give regions that hold every labelled head (front, side, back, occluded)', () => {
    const all = Object.values(VTEST_LABELS).flat();
    expect(all.filter((p) => p.back)).not.toHaveLength(0);
    for (const p of all) {
      const region = headFromBody(rect(p.body));
      expect(coverage(rect(p.head), region), `head at ${p.head.join(',')}`).toBeGreaterThanOrEqual(0.95);
    }
    // Mean share of the body box obscured: a head region, not the body.
    const share = all.reduce((a, p) => a + (headFromBody(rect(p.body)).h * headFromBody(rect(p.body)).w) / (p.body[2] * p.body[3]), 0) / all.length;
    expect(share).toBeLessThan(0.35);
  });

  it('the plain top-fifth of the box would miss labelled heads (why the region reaches above and is aspect-aware)', () => {
    const naive = (b: Rect): Rect => ({ x: b.x, y: b.y, w: b.w, h: b.h / 5 });
    const all = Object.values(VTEST_LABELS).flat();
    expect(all.some((p) => coverage(rect(p.head), naive(rect(p.body))) < 0.95)).toBe(true);
  });
});

describe('a still is scanned for persons at two sizes (one look where a video gets many)', () => {
  // test/fixtures/stills/ascent.jpg: two people seen from behind on a staircase; heads placed by eye
  // (eval/real/labels/ascent.json). The nearer one (B), cut by the handrail, scores under the
  // threshold at the model's 416 px and over it at 520.
  const B_HEAD = { x: 405, y: 243, w: 37, h: 32 };
  let detector: PersonDetector;
  let frame: Frame;
  beforeAll(async () => {
    detector = await PersonDetector.create();
    const { data, info } = await sharp(fileURLToPath(new URL('../../../test/fixtures/stills/ascent.jpg', import.meta.url))).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    frame = { width: info.width, height: info.height, format: 'rgb24', data };
  });
  afterAll(() => detector?.release());

  it('finds the person the single scan misses, and its head region holds the labelled head seen from behind', async () => {
    expect(STILL_PERSON_SCALES).toEqual([1, 1.25]);
    const once = await detector.detect(frame);
    expect(once.some((p) => coverage(B_HEAD, headFromBody(p)) >= 0.9)).toBe(false);
    const both = await detectStill(detector, frame);
    expect(both.some((p) => coverage(B_HEAD, headFromBody(p)) >= 0.9)).toBe(true);
    // the union of the two sizes, overlapping boxes merged
    const larger = await detector.detect(frame, Math.round(DEFAULT_PERSON_SCAN.inputLong * STILL_PERSON_SCALES[1]));
    for (const d of [...once, ...larger]) expect(both.some((b) => iou(b, d) > DEFAULT_PERSON_SCAN.nmsIou)).toBe(true);
    expect(both.length).toBeLessThanOrEqual(once.length + larger.length);
  });
});

describe('headFromBody geometry', () => {
  it('a standing body (3.5:1): region from a little above the box to ~a fifth down, the box width plus margins', () => {
    const r = headFromBody({ x: 100, y: 50, w: 20, h: 70 });
    expect(r.y).toBeCloseTo(50 - HEAD_FROM_BODY.above * 70);
    expect(r.y + r.h).toBeCloseTo(50 + HEAD_FROM_BODY.below * 70);
    expect(r.x).toBeCloseTo(99);
    expect(r.w).toBeCloseTo(22);
  });

  it('a truncated body (square box: cut by the frame edge) gets a head as large as its width says', () => {
    const r = headFromBody({ x: 0, y: 400, w: 60, h: 60 });
    // body height 2.8 × 60 = 168: region 11.8 px above to 37 px below the top, not 12 px as h alone would give.
    expect(r.y + r.h - 400).toBeCloseTo(0.22 * 168);
    expect(400 - r.y).toBeCloseTo(0.07 * 168);
  });

  it('never reaches below the box', () => {
    const r = headFromBody({ x: 0, y: 0, w: 100, h: 20 });
    expect(r.y + r.h).toBeLessThanOrEqual(20);
  });
});

describe('person decoding', () => {
  it('turns each cell at or above the threshold into a box around its centre: distances are the softmax expectation × stride', () => {
    // A 64×32 input: strides 8, 16, 32 give 8×4, 4×2 and 2×1 cells.
    const [inW, inH] = [64, 32];
    const cells = [8 * 4, 4 * 2, 2 * 1];
    const cls = cells.map((n) => new Float32Array(n));
    const reg = cells.map((n) => new Float32Array(n * 44));
    // Stride 8, cell (row 1, col 2): centre (20, 12). Left: all mass on bin 1 → 8 px; top: bins 0 and 2
    // equally → 1 bin = 8 px; right: bin 3 → 24 px; bottom: bin 2 → 16 px.
    const i = 1 * 8 + 2;
    cls[0]![i] = 0.9;
    const side = (k: number, logits: Record<number, number>) => {
      for (let b = 0; b < 11; b++) reg[0]![(i * 4 + k) * 11 + b] = logits[b] ?? -30;
    };
    side(0, { 1: 10 });
    side(1, { 0: 10, 2: 10 });
    side(2, { 3: 10 });
    side(3, { 2: 10 });
    cls[1]![0] = 0.3; // below the threshold
    // Stride 32, cell (0, 1): centre (48, 16), 5 bins each way = 160 px, clipped to the input.
    cls[2]![1] = 0.5;
    for (let k = 0; k < 4; k++) reg[2]![(1 * 4 + k) * 11 + 5] = 10;
    const found = decodePersons(cls, reg, inH, inW, 0.4);
    expect(found).toHaveLength(2);
    expect(found[0]).toEqual({ x: expect.closeTo(12, 3), y: expect.closeTo(4, 3), w: expect.closeTo(32, 3), h: expect.closeTo(24, 3), score: expect.closeTo(0.9, 6) });
    expect(found[1]).toEqual({ x: 0, y: 0, w: 64, h: 32, score: expect.closeTo(0.5, 6) });
  });

  it('refuses outputs that do not match the input size', () => {
    const cls = [new Float32Array(32), new Float32Array(8), new Float32Array(2)];
    const reg = cls.map((c) => new Float32Array(c.length * 44));
    expect(() => decodePersons(cls, reg, 64, 64, 0.4)).toThrow(/stride 8 does not match a 64×64 input/);
  });

  it('NMS keeps the best of overlapping boxes', () => {
    const a = { x: 0, y: 0, w: 10, h: 30, score: 0.8 };
    const b = { x: 1, y: 1, w: 10, h: 30, score: 0.6 };
    const c = { x: 50, y: 0, w: 10, h: 30, score: 0.5 };
    expect(nms([b, c, a], DEFAULT_PERSON_SCAN.nmsIou)).toEqual([a, c]);
  });
});
