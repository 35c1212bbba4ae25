import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FACE_BOXES, type PhotoId } from '../../../test/fixtures/media/generate.js';
import { iou } from '../frame.js';
import { DEFAULT_FACE_SCAN, FaceScanner, scanRegions } from './faces.js';

const require = createRequire(import.meta.url);
const demo = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');

describe('BlazeFace face scanner on the face-api sample photos', () => {
  let scanner: FaceScanner;
  beforeAll(async () => {
    scanner = await FaceScanner.create({ ...DEFAULT_FACE_SCAN, tileSize: 640 });
  });
  afterAll(() => scanner.release());

  it.each([1, 2, 3, 4, 5, 6] as PhotoId[])('finds every annotated face in sample%i.jpg', async (photo) => {
    const { data, info } = await sharp(join(demo, `sample${photo}.jpg`)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const found = await scanner.scan({ width: info.width, height: info.height, format: 'rgb24', data });
    for (const [x, y, w, h] of FACE_BOXES[photo]) {
      const best = Math.max(0, ...found.map((d) => iou(d, { x, y, w, h })));
      expect(best, `face at ${x},${y}`).toBeGreaterThan(0.5);
    }
    // Confident detections are all real faces.
    for (const d of found.filter((f) => f.score > 0.8)) {
      expect(Math.max(...FACE_BOXES[photo].map(([x, y, w, h]) => iou(d, { x, y, w, h })))).toBeGreaterThan(0.3);
    }
  });

  it('plans a whole-frame pass plus overlapping tiles that cover the frame', () => {
    const regions = scanRegions(1280, 720, { tileSize: 256, tileOverlap: 0.25 });
    expect(regions[0]).toEqual({ x: 0, y: -280, size: 1280 });
    const tiles = regions.slice(1);
    for (const [px, py] of [[0, 0], [1279, 719], [640, 360], [1279, 0]] as const) {
      expect(tiles.some((t) => px >= t.x && px < t.x + t.size && py >= t.y && py < t.y + t.size)).toBe(true);
    }
    expect(scanRegions(200, 150, { tileSize: 256, tileOverlap: 0.25 })).toHaveLength(1);
  });
});
