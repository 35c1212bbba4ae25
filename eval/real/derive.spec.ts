import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decode, DerivedSetSchema, deriveLabels, encode, expandDerived, groupOf, lowLight, motionBlur, renderDerived } from './derive.js';
import { type LabelFile, LABELS_DIR, loadLabelFiles, loadRealItems, type RealItem } from './labels.js';

const still = (o: Partial<LabelFile> = {}): LabelFile => ({
  name: 'still',
  kind: 'image',
  source: 's',
  file: 'f.png',
  width: 200,
  height: 100,
  frames: [0, 0],
  labelling: 'by eye.',
  ignore: [{ x: 10, y: 10, w: 20, h: 20 }],
  people: [{ id: 'a', keys: [{ frame: 0, class: 'face', head: [40, 20, 30, 40], body: [20, 10, 80, 90], conditions: ['frontal'] }] }],
  ...o,
});

describe('derived items: labels', () => {
  it('a scale op scales every box, the ignore regions and the picture size; a degradation keeps the boxes and adds its condition', () => {
    const s = deriveLabels(still(), { kind: 'scale', factor: 0.25 }, 'small');
    expect(s).toMatchObject({ name: 'small', width: 50, height: 25, ignore: [{ x: 2.5, y: 2.5, w: 5, h: 5 }] });
    expect(s.people[0]!.keys[0]).toMatchObject({ head: [10, 5, 7.5, 10], body: [5, 2.5, 20, 22.5], conditions: ['frontal'] });
    const d = deriveLabels(s, { kind: 'low-light', exposure: 0.1, fullWell: 1000, readNoise: 3, gain: 4, seed: 1 }, 'dim');
    expect(d.people[0]!.keys[0]).toMatchObject({ head: [10, 5, 7.5, 10], conditions: ['frontal', 'low-light'] });
    const b = deriveLabels(d, { kind: 'motion-blur', length: 9, angleDeg: 0 }, 'both');
    expect(b.people[0]!.keys[0]!.conditions).toEqual(['frontal', 'low-light', 'motion-blur']);
    expect(() => deriveLabels(still({ kind: 'video', frames: [0, 10] }), { kind: 'scale', factor: 0.5 }, 'v')).toThrow(/still images only/);
  });

  it('boxes scale by the rounded size actually made, not the nominal factor', () => {
    const s = deriveLabels(still({ width: 101, height: 51 }), { kind: 'scale', factor: 0.5 }, 'odd');
    expect([s.width, s.height]).toEqual([51, 26]);
    expect(s.people[0]!.keys[0]!.head[0]).toBeCloseTo((40 * 51) / 101, 9);
    expect(s.people[0]!.keys[0]!.head[1]).toBeCloseTo((20 * 26) / 51, 9);
  });

  it('expands chains in any order, records root and ops, and groups them', () => {
    const items = [
      { name: 'b', derived: { from: 'a', op: { kind: 'motion-blur' as const, length: 5, angleDeg: 90 } } },
      { name: 'a', derived: { from: 'still', op: { kind: 'scale' as const, factor: 0.5 } } },
    ];
    const out = expandDerived([still()], items);
    expect(out.map((l) => l.name)).toEqual(['a', 'b']);
    expect(out[1]!.derived).toEqual({ from: 'a', root: 'still', ops: [items[1]!.derived.op, items[0]!.derived.op] });
    expect(out[1]!.width).toBe(100);
    expect(out.map(groupOf)).toEqual(['downscaled', 'degraded']);
    expect(groupOf(still() as RealItem)).toBe('untouched');
  });

  it('rejects unknown parents, cycles, taken names, unknown fields and out-of-range ops', () => {
    const op = { kind: 'scale' as const, factor: 0.5 };
    expect(() => expandDerived([still()], [{ name: 'x', derived: { from: 'nobody', op } }])).toThrow(/no label file or derived item named nobody/);
    expect(() => expandDerived([still()], [{ name: 'x', derived: { from: 'y', op } }, { name: 'y', derived: { from: 'x', op } }])).toThrow(/cycle/);
    expect(() => expandDerived([still()], [{ name: 'still', derived: { from: 'still', op } }])).toThrow(/taken/);
    const ok = { items: [{ name: 'x', derived: { from: 'still', op } }] };
    expect(DerivedSetSchema.safeParse(ok).success).toBe(true);
    expect(DerivedSetSchema.safeParse({ items: [{ ...ok.items[0], extra: 1 }] }).success).toBe(false);
    expect(DerivedSetSchema.safeParse({ items: [{ name: 'x', derived: { from: 'still', op: { kind: 'scale', factor: 2 } } }] }).success).toBe(false);
    expect(DerivedSetSchema.safeParse({ items: [{ name: 'x', derived: { from: 'still', op: { kind: 'composite', with: 'y' } } }] }).success).toBe(false);
    expect(DerivedSetSchema.safeParse({ items: [{ name: 'x', derived: { from: 'still', op: { kind: 'low-light', exposure: 0.1, fullWell: 1000, readNoise: 3, gain: 4, seed: 1, extra: 0 } } }] }).success).toBe(false);
  });

  it('the committed set: derived items expand from committed label files, and every derived face lands in the band it was made for', async () => {
    const untouched = await loadLabelFiles();
    const all = await loadRealItems();
    expect(all.length).toBeGreaterThan(untouched.length);
    for (const l of all.filter((x) => x.derived)) {
      const sizes = l.people.flatMap((p) => p.keys.map((k) => Math.max(k.head[2], k.head[3])));
      // downscaled faces are in 20–80 px (the bands the originals lacked)
      for (const s of sizes) {
        expect(s).toBeGreaterThanOrEqual(20);
        expect(s).toBeLessThan(80);
      }
    }
    expect(JSON.parse(await readFile(join(LABELS_DIR, 'derived.json'), 'utf8')).items.length).toBe(all.length - untouched.length);
  });
});

describe('derived items: pixels', () => {
  const grey = (w: number, h: number, v: (x: number, y: number) => number) => {
    const rgb = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) rgb.fill(v(x, y), (y * w + x) * 3, (y * w + x) * 3 + 3);
    return decode(rgb, w, h);
  };

  it('sRGB decode and encode are inverse on every 8-bit value', () => {
    const rgb = Uint8Array.from({ length: 256 * 3 }, (_, i) => Math.floor(i / 3));
    expect([...encode(decode(rgb, 256, 1))]).toEqual([...rgb]);
  });

  it('low light: the mean follows exposure × gain in linear light, the noise is shot plus read noise, and a seed repeats it', () => {
    const img = grey(100, 100, () => 188); // linear ≈ 0.50
    const op = { kind: 'low-light' as const, exposure: 0.05, fullWell: 1000, readNoise: 4, gain: 4, seed: 7 };
    const out = lowLight(img, op);
    const mean = out.data.reduce((a, v) => a + v, 0) / out.data.length;
    const lin = img.data[0]!;
    expect(mean).toBeCloseTo(lin * 0.05 * 4, 2);
    const sd = Math.sqrt(out.data.reduce((a, v) => a + (v - mean) ** 2, 0) / out.data.length);
    // electrons: Poisson(25) plus N(0, 4²) → σ = √(25 + 16) e-, × gain / full well
    const expected = (Math.sqrt(lin * 0.05 * 1000 + 16) * 4) / 1000;
    expect(sd).toBeGreaterThan(expected * 0.9);
    expect(sd).toBeLessThan(expected * 1.1);
    expect([...lowLight(img, op).data]).toEqual([...out.data]);
    expect([...lowLight(img, { ...op, seed: 8 }).data]).not.toEqual([...out.data]);
  });

  it('motion blur spreads a bright dot over `length` px along the angle and keeps the light', () => {
    const img = grey(21, 21, (x, y) => (x === 10 && y === 10 ? 255 : 0));
    const h = motionBlur(img, { kind: 'motion-blur', length: 5, angleDeg: 0 });
    const row = Array.from({ length: 21 }, (_, x) => h.data[(10 * 21 + x) * 3]!);
    expect(row.slice(8, 13).every((v) => v > 0.19 && v < 0.21)).toBe(true);
    expect(row[7]).toBe(0);
    expect(row[13]).toBe(0);
    expect(h.data.reduce((a, v) => a + v, 0)).toBeCloseTo(img.data.reduce((a, v) => a + v, 0), 4);
    const v = motionBlur(img, { kind: 'motion-blur', length: 5, angleDeg: 90 });
    expect(v.data[(8 * 21 + 10) * 3]).toBeCloseTo(0.2, 3);
    expect(v.data[(10 * 21 + 8) * 3]).toBe(0);
  });

  describe('renderDerived', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'derive-'));
    });
    afterAll(() => rm(dir, { recursive: true, force: true }));

    it('writes the picture the ops describe, at the size the labels expect', async () => {
      const src = join(dir, 'in.png');
      // a white square on black: its light must stay where the scaled box says
      await sharp({ create: { width: 200, height: 100, channels: 3, background: '#000' } })
        .composite([{ input: { create: { width: 40, height: 40, channels: 3, background: '#fff' } }, left: 80, top: 40 }])
        .png()
        .toFile(src);
      const out = join(dir, 'out.png');
      const size = await renderDerived(src, [{ kind: 'scale', factor: 0.25 }], out);
      expect(size).toEqual({ width: 50, height: 25 });
      const { data, info } = await sharp(out).raw().toBuffer({ resolveWithObject: true });
      expect([info.width, info.height, info.channels]).toEqual([50, 25, 3]);
      expect(data[(15 * 50 + 25) * 3]).toBeGreaterThan(240); // centre of the square at (20..30, 10..20)
      expect(data[(2 * 50 + 2) * 3]).toBeLessThan(5);
      const blurred = join(dir, 'blur.png');
      await renderDerived(src, [{ kind: 'motion-blur', length: 9, angleDeg: 0 }], blurred);
      const b = await sharp(blurred).raw().toBuffer();
      expect(b[(60 * 200 + 77) * 3]).toBeGreaterThan(0); // light smeared left of the square
      expect(b[(60 * 200 + 77) * 3]).toBeLessThan(255);
    });
  });
});
