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

  it('turns the tiles motion gating selected into dense areas: one box per group of overlapping tiles, the whole frame when they cover most of it', () => {
    const t = (x: number, y: number) => ({ x, y, size: 160 });
    // Two overlapping tiles top-left, one apart bottom-right.
    expect(scanner.areasFor([t(0, 0), t(120, 0), t(1000, 500)], 1280, 720)).toEqual([
      { x: 0, y: 0, w: 280, h: 160 },
      { x: 1000, y: 500, w: 160, h: 160 },
    ]);
    // A chain A–B–C where A and C only meet through B, listed out of order, ends as one box.
    expect(scanner.areasFor([t(0, 0), t(240, 0), t(120, 0)], 1280, 720)).toEqual([{ x: 0, y: 0, w: 400, h: 160 }]);
    const most = scanRegions(1280, 720, { tileSize: 160, tileOverlap: 0.25 }).slice(1, 50);
    expect(scanner.areasFor(most, 1280, 720)).toEqual([{ x: 0, y: 0, w: 1280, h: 720 }]);
    expect(scanner.areasFor([], 1280, 720)).toEqual([]);
  });
});
