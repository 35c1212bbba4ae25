import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderDerived } from '../../../eval/real/derive.js';
import { LabelFileSchema } from '../../../eval/real/labels.js';
import { coverage, type Frame, type Rect } from '../frame.js';
import { DARK_STILL, darkStillFaces, denoisedLinear, isDarkStill, meanLuma } from './dark-still.js';
import { DEFAULT_FACE_SCAN, FaceScanner } from './faces.js';
import { redactMedia } from '../index.js';

const solid = (w: number, h: number, v: number): Frame => ({ width: w, height: h, format: 'rgb24', data: Buffer.alloc(w * h * 3, v) });

describe('dark stills', () => {
  it('mean luma and the darkness test', () => {
    expect(meanLuma(solid(16, 16, 100))).toBeCloseTo(100, 5);
    const red: Frame = { width: 8, height: 8, format: 'rgb24', data: Buffer.from(Array.from({ length: 8 * 8 * 3 }, (_, i) => (i % 3 === 0 ? 200 : 0))) };
    expect(meanLuma(red)).toBeCloseTo(0.299 * 200, 5);
    expect(isDarkStill(solid(16, 16, DARK_STILL.meanLuma - 1))).toBe(true);
    expect(isDarkStill(solid(16, 16, DARK_STILL.meanLuma + 1))).toBe(false);
  });

  it('the second look is denoised (median) and in linear light', async () => {
    const f = solid(9, 9, 128);
    f.data.set([255, 255, 255], (4 * 9 + 4) * 3); // one hot pixel
    const out = await denoisedLinear(f);
    expect(out).toMatchObject({ width: 9, height: 9, format: 'rgb24' });
    const linear = Math.round(255 * (128 / 255) ** DARK_STILL.linear);
    expect([...out.data].every((v) => v === linear)).toBe(true); // the hot pixel is gone, 128 → 56
    expect(linear).toBe(56);
    expect(f.data[(4 * 9 + 4) * 3]).toBe(255); // the input is not changed
  });

  // A real photo (face-api's demo sample 5, MIT: five women on a staircase) at ¼ size under the real
  // set's simulated low light (eval/real/labels/derived.json, seed 5): two of the faces sit in the
  // shadows at the left, labelled by eye (eval/real/labels/face-api-sample5.json).
  describe('on a real photo in simulated low light', () => {
    let scanner: FaceScanner;
    let frame: Frame;
    let heads: Rect[];
    let still: string;
    beforeAll(async () => {
      const require = createRequire(import.meta.url);
      const photo = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo', 'sample5.jpg');
      const dir = join(process.cwd(), '.test-data', 'worker-dark-still');
      await mkdir(dir, { recursive: true });
      const out = join(dir, 'sample5-low-light.png');
      await renderDerived(photo, [{ kind: 'scale', factor: 0.25 }, { kind: 'low-light', exposure: 0.05, fullWell: 1000, readNoise: 4, gain: 4, seed: 5 }], out);
      still = out;
      const { data, info } = await sharp(out).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      frame = { width: info.width, height: info.height, format: 'rgb24', data };
      const labels = LabelFileSchema.parse(JSON.parse(await readFile(join(import.meta.dirname, '../../../eval/real/labels/face-api-sample5.json'), 'utf8')));
      heads = labels.people.filter((p) => ['P1', 'P2'].includes(p.id)).map((p) => {
        const [x, y, w, h] = p.keys[0]!.head;
        return { x: x! / 4, y: y! / 4, w: w! / 4, h: h! / 4 };
      });
      scanner = await FaceScanner.create(DEFAULT_FACE_SCAN, 'cpu', 'front');
    }, 60_000);
    afterAll(() => scanner?.release());

    it('is dark, one scan misses the two faces in the shadows, the second look finds them', async () => {
      expect(isDarkStill(frame)).toBe(true);
      const found = await scanner.scan(frame);
      const onHead = (dets: Rect[], h: Rect) => dets.some((d) => coverage(h, d) >= 0.5);
      expect(heads).toHaveLength(2);
      for (const h of heads) expect(onHead(found, h)).toBe(false);
      const both = await darkStillFaces(scanner, frame, found);
      for (const h of heads) expect(onHead(both, h)).toBe(true);
      // what the first scan found is kept
      for (const d of found) expect(both.some((b) => coverage(d, b) >= 0.5 || coverage(b, d) >= 0.5)).toBe(true);
    });

    it('redacting the still takes the second look and obscures both faces (the report says so)', async () => {
      let obscured: Rect[] = [];
      const report = await redactMedia(still, join(dirname(still), 'sample5-low-light-redacted.png'), {
        targets: ['faces'], style: 'pixelate', subjects: [], keepAudio: false, verify: false,
        onPlan: (p) => (obscured = p.obscured[0]!),
      });
      expect(report.parameters.detection.darkStillPass).toBe(true);
      for (const h of heads) expect(obscured.some((r) => coverage(h, r) >= 0.9)).toBe(true);
    }, 60_000);

    it('a still that is not dark gets no second look', async () => {
      const bright: Frame = { ...frame, data: Buffer.from(frame.data.map((v) => Math.min(255, v * 4))) };
      expect(isDarkStill(bright)).toBe(false);
      const found = await scanner.scan(bright);
      expect(await darkStillFaces(scanner, bright, found)).toEqual(found);
    });
  });
});
