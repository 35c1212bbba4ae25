import { beforeAll, describe, expect, it } from 'vitest';
import { type BandFrame, buildBandSet, FACES_BEFORE, found } from '../../eval/bands-set.js';
import { DEFAULT_FACE_SCAN, FaceScanner } from './detect/faces.js';
import type { Rect } from './frame.js';
import { DEFAULT_VERIFY, SMALLEST_FACE, Verifier } from './verify.js';

/**
 * The smallest faces the report claims (SMALLEST_FACE) hold on real photographs of people scaled
 * down whole, in good light and dim (eval/bands-set.ts; labels are the hand-checked boxes under the
 * same transform): the engine's full scan finds ≥ 90 % of the faces from its claimed size up, and
 * the verifier — which must reach at least as small — finds ≥ 90 % of those too. The verifier as it
 * was (full-range model only) did not.
 */
describe('smallest face found: engine claim and verifier reach (real photos, clean and dim)', () => {
  let set: BandFrame[];
  beforeAll(async () => {
    set = await buildBandSet(undefined, ['clean', 'dark'], [SMALLEST_FACE.engine, SMALLEST_FACE.engine + 3], [1, 3, 5]);
  }, 120_000);

  async function recall(scan: (f: BandFrame['frame']) => Promise<Rect[]>): Promise<number> {
    let hit = 0;
    let n = 0;
    for (const item of set) {
      const dets = await scan(item.frame);
      for (const face of item.faces.filter((x) => x.w >= SMALLEST_FACE.engine)) {
        n++;
        if (dets.some((d) => found(d, face))) hit++;
      }
    }
    expect(n).toBeGreaterThan(20);
    return hit / n;
  }

  it('the verifier reaches at least as small as the engine claims', () => {
    expect(SMALLEST_FACE.verifier).toBeLessThanOrEqual(SMALLEST_FACE.engine);
  });

  it('the engine finds ≥ 90 % of the faces from its claimed size up', async () => {
    const s = await FaceScanner.create(DEFAULT_FACE_SCAN);
    try {
      const all = (f: BandFrame['frame']) => [{ x: 0, y: 0, w: f.width, h: f.height }];
      expect(await recall((f) => s.scanPlan(f, { whole: true, areas: all(f), crops: [], small: all(f) }))).toBeGreaterThanOrEqual(0.9);
    } finally {
      await s.release();
    }
  }, 300_000);

  it('the verifier finds ≥ 90 % of them too; the former verifier did not', async () => {
    const now = await Verifier.create(DEFAULT_VERIFY, 'cpu');
    const before = await Verifier.create({ ...DEFAULT_VERIFY, ...FACES_BEFORE.verifyParams }, 'cpu');
    try {
      expect(await recall((f) => now.scan(f))).toBeGreaterThanOrEqual(0.9);
      expect(await recall((f) => before.scan(f))).toBeLessThan(0.9);
    } finally {
      await now.release();
      await before.release();
    }
  }, 300_000);
});
