import { describe, expect, it } from 'vitest';
import type { Frame } from './frame.js';
import { ChangeGate, LumaCells, plateCropGrid, plateCropsFor } from './motion.js';

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
});
