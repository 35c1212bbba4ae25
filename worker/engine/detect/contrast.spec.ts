import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { resampleToTensor } from '../frame.js';
import { DEFAULT_CONTRAST, normaliseDarkRegions } from './contrast.js';

const require = createRequire(import.meta.url);
const demo = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');

/** A real photo (face-api demo sample 2) as a 256×160 detector input, its left half darkened ×`dark`. */
async function input(dark: number): Promise<Float32Array> {
  const { data, info } = await sharp(join(demo, 'sample2.jpg')).resize(256, 160, { fit: 'fill' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  for (let y = 0; y < info.height; y++) for (let x = 0; x < info.width / 2; x++) for (let c = 0; c < 3; c++) data[(y * info.width + x) * 3 + c] = Math.round(data[(y * info.width + x) * 3 + c]! * dark);
  const t = new Float32Array(256 * 160 * 3);
  resampleToTensor({ width: info.width, height: info.height, format: 'rgb24', data }, 0, 0, 1, 256, 160, t);
  return t;
}

function lumaSpread(t: Float32Array, x0: number, x1: number): number {
  const v: number[] = [];
  for (let y = 0; y < 160; y++) for (let x = x0; x < x1; x++) v.push(0.299 * t[(y * 256 + x) * 3]! + 0.587 * t[(y * 256 + x) * 3 + 1]! + 0.114 * t[(y * 256 + x) * 3 + 2]!);
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  return Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
}

describe('normaliseDarkRegions (CLAHE on the dark cells of a detector input)', () => {
  it('spreads the luma of a dark region of a real photo and leaves well-lit cells as they were', async () => {
    const t = await input(0.2);
    const before = Float32Array.from(t);
    const cells = normaliseDarkRegions(t, 256, 160, DEFAULT_CONTRAST);
    expect(cells).toBeGreaterThan(0);
    // The darkened half: its contrast at least doubles.
    expect(lumaSpread(t, 0, 96)).toBeGreaterThan(2 * lumaSpread(before, 0, 96));
    // The top-right corner, whose cells and their blending neighbours are all well lit (mean luma
    // 0.44–0.79), is unchanged (the photo has dark cells of its own lower down).
    let changed = 0;
    for (let y = 0; y < 48; y++) for (let x = 208; x < 256; x++) for (let c = 0; c < 3; c++) if (t[(y * 256 + x) * 3 + c] !== before[(y * 256 + x) * 3 + c]) changed++;
    expect(changed).toBe(0);
  });

  it('does not touch an input without dark cells', async () => {
    const t = await input(1);
    const before = Float32Array.from(t);
    expect(normaliseDarkRegions(t, 256, 160, { ...DEFAULT_CONTRAST, darkBelow: 0.05 })).toBe(0);
    expect(t).toEqual(before);
  });
});
