import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matchPersons, VTEST_LABELS } from '../../../test/fixtures/vtest/labels.js';
import { ffmpegPath, toolEnv } from '../ffmpeg.js';
import { coverage, type Frame, iou, type Rect } from '../frame.js';
import { HEAD_FROM_BODY, headFromBody } from './head-from-body.js';
import { DEFAULT_PERSON_SCAN, PersonDetector, type PersonDetection, decodePersons, nms } from './persons.js';

const fixtures = fileURLToPath(new URL('../../../test/fixtures/vtest/', import.meta.url));
const rect = ([x, y, w, h]: readonly number[]): Rect => ({ x: x!, y: y!, w: w!, h: h! });
const FRAMES = Object.keys(VTEST_LABELS);

async function load(name: string): Promise<Frame> {
  const { data, info } = await sharp(join(fixtures, name)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, format: 'rgb24', data };
}

describe('person detector (CenterNet, ONNX) on real CCTV frames (vtest, labelled by hand)', () => {
  let detector: PersonDetector;
  const found = new Map<string, PersonDetection[]>();
  beforeAll(async () => {
    detector = await PersonDetector.create();
    for (const name of FRAMES) found.set(name, await detector.detect(await load(name)));
  });
  afterAll(() => detector?.release());

  it('loads the pinned model and scans the frame at its aspect (512×384 for 768×576)', () => {
    expect(detector.model.name).toBe('centernet-person');
    expect(PersonDetector.inputFor(768, 576, 512)).toEqual({ inW: 512, inH: 384, scale: 1.5 });
    expect(PersonDetector.inputFor(1280, 720, 512)).toEqual({ inW: 512, inH: 288, scale: 2.5 });
  });

  it("finds the same persons in the decoder's yuv420p frames as in RGB", async () => {
    const name = FRAMES[2]!;
    const data = execFileSync(ffmpegPath(), ['-v', 'error', '-i', join(fixtures, name), '-pix_fmt', 'yuv420p', '-f', 'rawvideo', '-'], { env: toolEnv() });
    const yuv = await detector.detect({ width: 768, height: 576, format: 'yuv420p', data });
    const rgb = found.get(name)!;
    expect(yuv).toHaveLength(rgb.length);
    for (const d of rgb) expect(Math.max(...yuv.map((y) => iou(y, d)))).toBeGreaterThan(0.8);
  });

  it.each(FRAMES)('finds every person not hidden behind something, and nothing else (%s)', (name) => {
    const labels = VTEST_LABELS[name]!;
    const { matched, extra } = matchPersons(labels, found.get(name)!);
    for (const [i, p] of labels.entries()) {
      if (!p.occluded) expect(matched[i], `person at ${p.body.join(',')}`).toBeDefined();
    }
    expect(extra, 'detections that are no labelled person').toEqual([]);
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
  it('keeps 3×3 peaks at or above the threshold and turns offsets into boxes around 4·(col, row)', () => {
    const [h, w] = [4, 5];
    const heat = new Float32Array(h * w);
    heat[1 * w + 1] = 0.9; // peak
    heat[1 * w + 2] = 0.5; // its neighbour: not a peak
    heat[3 * w + 4] = 0.3; // a peak below the threshold
    const wh = new Float32Array(4 * h * w);
    const plane = h * w;
    wh[1 * w + 1] = 2;
    wh[plane + 1 * w + 1] = 3;
    wh[2 * plane + 1 * w + 1] = 4;
    wh[3 * plane + 1 * w + 1] = 10;
    expect(decodePersons(heat, wh, h, w, 0.4)).toEqual([{ x: 2, y: 1, w: 6, h: 13, score: expect.closeTo(0.9, 6) }]);
  });

  it('NMS keeps the best of overlapping boxes', () => {
    const a = { x: 0, y: 0, w: 10, h: 30, score: 0.8 };
    const b = { x: 1, y: 1, w: 10, h: 30, score: 0.6 };
    const c = { x: 50, y: 0, w: 10, h: 30, score: 0.5 };
    expect(nms([b, c, a], DEFAULT_PERSON_SCAN.nmsIou)).toEqual([a, c]);
  });
});
