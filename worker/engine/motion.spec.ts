import { describe, expect, it } from 'vitest';
import type { Frame } from './frame.js';
import { ChangeGate, LumaCells, MotionCompensation, plateCropGrid, plateCropsFor, SmallPassPlanner } from './motion.js';

function frame(w: number, h: number, paint?: (x: number, y: number) => number): Frame {
  const data = Buffer.alloc(w * h + 2 * Math.ceil(w / 2) * Math.ceil(h / 2), 128);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = paint ? paint(x, y) : 100;
  return { width: w, height: h, format: 'yuv420p', data };
}

const tiles = [
  { x: 0, y: 0, w: 64, h: 64 },
  { x: 64, y: 0, w: 64, h: 64 },
  { x: 0, y: 64, w: 64, h: 64 },
  { x: 64, y: 64, w: 64, h: 64 },
];

describe('motion gating', () => {
  it('scans everything first, then only regions whose content changed since their last scan', () => {
    const cells = new LumaCells(128, 128, 8);
    const gate = new ChangeGate(cells, tiles, 10, 1000, 0.5);
    cells.update(frame(128, 128), 0);
    let d = gate.select(0);
    expect(d.scan).toEqual([true, true, true, true]);
    gate.commit(0, d.scan);
    // Noise below the threshold changes nothing.
    cells.update(frame(128, 128, (x, y) => 100 + ((x + y) % 3)), 16);
    d = gate.select(16);
    expect(d.scan).toEqual([false, false, false, false]);
    gate.commit(16, d.scan);
    // A bright square in the bottom-right tile.
    cells.update(frame(128, 128, (x, y) => (x > 90 && y > 90 && x < 110 && y < 110 ? 220 : 100)), 32);
    d = gate.select(32);
    expect(d.scan).toEqual([false, false, false, true]);
    expect(d.global).toBe(false);
    gate.commit(32, d.scan);
    // It stands still: nothing changed since that tile's scan.
    d = gate.select(48);
    expect(d.scan).toEqual([false, false, false, false]);
  });

  it('falls back to a full scan on a global change (exposure jump) and keeps the safety net and forced regions', () => {
    const cells = new LumaCells(128, 128, 8);
    const gate = new ChangeGate(cells, tiles, 10, 64, 0.5);
    cells.update(frame(128, 128), 0);
    gate.commit(0, gate.select(0).scan);
    cells.update(frame(128, 128, () => 130), 16);
    const jump = gate.select(16);
    expect(jump.global).toBe(true);
    expect(jump.scan).toEqual([true, true, true, true]);
    gate.commit(16, jump.scan);
    gate.commit(40, [true, true, false, false]);
    // Nothing changes; tiles 2 and 3 were last scanned at 16: due at 80 (every 64 frames); tile 0 is forced.
    cells.update(frame(128, 128, () => 130), 80);
    const due = gate.select(80, [{ x: 10, y: 10, w: 5, h: 5 }]);
    expect(due.scan).toEqual([true, false, true, true]);
    expect(due.forced).toBe(1);
  });

  it('plate crops: runs of selected grid cells per row, grown by a margin', () => {
    const grid = plateCropGrid(1280, 720);
    const scan = grid.crops.map((_, i) => i === 0 || i === 1);
    const crops = plateCropsFor(grid, scan, 1280, 720);
    expect(crops).toHaveLength(1);
    expect(crops[0]!.x).toBe(0);
    expect(crops[0]!.w).toBeGreaterThan(2 * grid.cores[0]!.w);
    expect(crops[0]!.w).toBeLessThan(1280);
  });

  // A textured scene without repeats (smooth value noise plus hard-edged blocks, like shelves and
  // people) seen by a camera panning by `pan` px.
  const hash = (i: number, j: number) => {
    const h = Math.sin(i * 127.1 + j * 311.7) * 43758.5453;
    return h - Math.floor(h);
  };
  const noise = (x: number, y: number, s: number) => {
    const [i, j] = [Math.floor(x / s), Math.floor(y / s)];
    const [u, v] = [x / s - i, y / s - j];
    return (hash(i, j) * (1 - u) + hash(i + 1, j) * u) * (1 - v) + (hash(i, j + 1) * (1 - u) + hash(i + 1, j + 1) * u) * v;
  };
  const scene = (x: number, y: number) => 40 + 120 * noise(x, y, 13) + 60 * hash(Math.floor(x / 37), Math.floor(y / 29));
  const panned = (pan: number, extra?: (x: number, y: number) => number | undefined) => frame(320, 192, (x, y) => extra?.(x, y) ?? scene(x + pan, y));

  it('moved content: a pan is explained except the strip that enters; something new is not', () => {
    const mc = new MotionCompensation(320, 192);
    const cols = [0, 1, 2, 3, 4].map((i) => ({ x: i * 64, y: 0, w: 64, h: 192 }));
    expect(mc.update(panned(0), cols).unexplained).toEqual([true, true, true, true, true]);
    // The camera turns right by 18 px: new content enters at the right edge only.
    const pan = mc.update(panned(18), cols);
    expect(pan.unexplained).toEqual([false, false, false, false, true]);
    expect(pan.share).toBeLessThan(0.1);
    // Same pan again, and a face-sized bright patch appears in the middle.
    const patch = (x: number, y: number) => (x >= 150 && x < 166 && y >= 90 && y < 108 ? 230 : undefined);
    expect(mc.update(panned(36, patch), cols).unexplained).toEqual([false, false, true, false, true]);
    // A cut: nothing is explained.
    expect(mc.update(frame(320, 192, (x, y) => 255 - scene(y, x)), cols).unexplained).toEqual([true, true, true, true, true]);
  });

  it('small-face pass areas: everything first, then what is not explained as moved plus a staggered safety band', () => {
    const planner = new SmallPassPlanner(320, 192, 64, 4);
    const first = planner.plan(panned(0), 0);
    expect(first.areas).toEqual([{ x: 0, y: 0, w: 320, h: 192 }]);
    const covered = (areas: { x: number; y: number; w: number; h: number }[], x: number, y: number) => areas.some((a) => x >= a.x && x < a.x + a.w && y >= a.y && y < a.y + a.h);
    const bands: number[][] = [];
    for (let k = 1; k <= 4; k++) {
      const { areas } = planner.plan(panned(16 * k), 16 * k);
      // The entering strip (right edge) is searched every time.
      expect(covered(areas, 315, 100)).toBe(true);
      bands.push([0, 40, 80, 120, 160].filter((y) => covered(areas, 100, y)));
      expect(areas.reduce((a, r) => a + r.w * r.h, 0)).toBeLessThan(0.6 * 320 * 192);
    }
    // Over 4 calls (64 frames) the safety band has passed over every row of the picture, a part at a time.
    expect(new Set(bands.flat())).toEqual(new Set([0, 40, 80, 120, 160]));
    expect(bands.every((b) => b.length < 5)).toBe(true);
  });
});
