/**
 * Derived items of the real-footage set (eval/real/README.md, "Derived items"): a labelled real
 * photograph transformed by one operation — downscaled (the same photo at a lower resolution), made
 * dim (less light on the sensor, shot and read noise, the camera's gain) or smeared by linear
 * motion. Nothing is pasted or composited. The labels follow from the original's by the same
 * transform: scaling scales every box; low light and motion blur keep the boxes and add their
 * condition. The eval reports derived items apart from untouched footage.
 *
 * The pixel operations work in linear light (sRGB decoded), so the physics is right: a sensor
 * counts photons, blur averages light, not gamma-encoded values.
 */
import sharp from 'sharp';
import { z } from 'zod';
import { mulberry32 } from '../../test/fixtures/media/generate.js';
import type { Condition, LabelFile } from './labels.js';

export const DerivedOpSchema = z.discriminatedUnion('kind', [
  /** Resize to `factor` of the width and height (rounded): Lanczos-3 with its anti-aliasing, in linear light (sharp's gamma 2.2), as a sensor with bigger pixels would average it. */
  z.object({ kind: z.literal('scale'), factor: z.number().gt(0).lt(1) }).strict(),
  /**
   * `exposure`: share of the original light that reaches the sensor; `fullWell`: electrons that a
   * white pixel of the original collected (so the shot noise of the dimmed picture is Poisson in
   * `exposure × fullWell × value`); `readNoise`: Gaussian σ in electrons; `gain`: the camera's
   * amplification after the sensor (auto-gain brightening the dark picture, noise and all); `seed`
   * makes the noise repeatable.
   */
  z
    .object({
      kind: z.literal('low-light'),
      exposure: z.number().gt(0).lt(1),
      fullWell: z.number().positive(),
      readNoise: z.number().min(0),
      gain: z.number().min(1),
      seed: z.number().int(),
    })
    .strict(),
  /** Linear motion during the exposure: the average of `length` px of travel along `angleDeg` (0 = rightwards, 90 = downwards). */
  z.object({ kind: z.literal('motion-blur'), length: z.number().min(2), angleDeg: z.number() }).strict(),
]);
export type DerivedOp = z.infer<typeof DerivedOpSchema>;

export const DerivedItemSchema = z
  .object({
    name: z.string().min(1),
    derived: z.object({ from: z.string().min(1), op: DerivedOpSchema }).strict(),
  })
  .strict();
export type DerivedItem = z.infer<typeof DerivedItemSchema>;

/** `labels/derived.json`: the derived items, in any order (an item may derive from another one). */
export const DerivedSetSchema = z.object({ items: z.array(DerivedItemSchema) }).strict();

/** How a derived label file came from untouched media: its root and every op from the root on. */
export interface Derivation {
  from: string;
  root: string;
  ops: DerivedOp[];
}

export function describeOp(op: DerivedOp): string {
  switch (op.kind) {
    case 'scale':
      return `scale ×${op.factor}`;
    case 'low-light':
      return `low light (exposure ${op.exposure}, full well ${op.fullWell} e-, read noise ${op.readNoise} e-, gain ${op.gain}, seed ${op.seed})`;
    case 'motion-blur':
      return `motion blur (${op.length} px at ${op.angleDeg}°)`;
  }
}

/** The label file of `item`, from its parent's: boxes scaled by a scale op, the condition added by a degradation. */
export function deriveLabels(parent: LabelFile, op: DerivedOp, name: string): LabelFile {
  if (parent.kind !== 'image') throw new Error(`${name}: derived items are made from still images only (${parent.name} is a ${parent.kind})`);
  const add = (cs: Condition[], c: Condition) => (cs.includes(c) ? cs : [...cs, c]);
  const base = { ...parent, name, labelling: `${parent.labelling} Derived: ${describeOp(op)} of ${parent.name}; the boxes follow from its labels.` };
  if (op.kind === 'scale') {
    const width = Math.round(parent.width * op.factor);
    const height = Math.round(parent.height * op.factor);
    const sx = width / parent.width;
    const sy = height / parent.height;
    const box = ([x, y, w, h]: readonly [number, number, number, number]): [number, number, number, number] => [x * sx, y * sy, w * sx, h * sy];
    const rect = (r: { x: number; y: number; w: number; h: number }) => ({ x: r.x * sx, y: r.y * sy, w: r.w * sx, h: r.h * sy });
    return {
      ...base,
      width,
      height,
      ignore: parent.ignore.map(rect),
      ...(parent.subject ? { subject: { ...parent.subject, hint: { ...parent.subject.hint, ...(parent.subject.hint.box ? { box: rect(parent.subject.hint.box) } : {}) } } } : {}),
      people: parent.people.map((p) => ({ ...p, keys: p.keys.map((k) => ({ ...k, head: box(k.head), body: box(k.body) })) })),
    };
  }
  const c: Condition = op.kind;
  return { ...base, people: parent.people.map((p) => ({ ...p, keys: p.keys.map((k) => ({ ...k, conditions: add(k.conditions, c) })) })) };
}

/**
 * Expands the derived items over the untouched label files (any order; unknown parents, duplicate
 * names and cycles are errors). Returns the derived label files, each with its derivation.
 */
export function expandDerived(untouched: readonly LabelFile[], items: readonly DerivedItem[]): (LabelFile & { derived: Derivation })[] {
  const known = new Map<string, LabelFile & { derived?: Derivation }>(untouched.map((l) => [l.name, l]));
  const pending = new Map<string, DerivedItem>();
  for (const it of items) {
    if (known.has(it.name) || pending.has(it.name)) throw new Error(`derived item ${it.name}: the name is taken`);
    pending.set(it.name, it);
  }
  const out: (LabelFile & { derived: Derivation })[] = [];
  while (pending.size) {
    const ready = [...pending.values()].filter((it) => known.has(it.derived.from));
    if (!ready.length) {
      const [it] = pending.values();
      throw new Error(`derived item ${it!.name}: ${pending.has(it!.derived.from) ? 'derivation cycle' : `no label file or derived item named ${it!.derived.from}`}`);
    }
    for (const it of ready) {
      const parent = known.get(it.derived.from)!;
      const labels = deriveLabels(parent, it.derived.op, it.name);
      const derived: Derivation = { from: parent.name, root: parent.derived?.root ?? parent.name, ops: [...(parent.derived?.ops ?? []), it.derived.op] };
      const item = { ...labels, derived };
      known.set(it.name, item);
      out.push(item);
      pending.delete(it.name);
    }
  }
  return out;
}

/** Untouched, downscaled only (a real photo at a lower resolution) or degraded (low light or motion blur made from a real photo). */
export type Group = 'untouched' | 'downscaled' | 'degraded';
export function groupOf(l: { derived?: Derivation }): Group {
  if (!l.derived) return 'untouched';
  return l.derived.ops.every((o) => o.kind === 'scale') ? 'downscaled' : 'degraded';
}

// --- pixels -------------------------------------------------------------------------------------

/** An RGB picture in linear light, values 0..1. */
export interface Linear {
  width: number;
  height: number;
  data: Float32Array;
}

const toLinear = (v: number) => {
  const c = v / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
};
const LUT = Float32Array.from({ length: 256 }, (_, i) => toLinear(i));
const toSrgb8 = (l: number) => {
  const c = Math.min(1, Math.max(0, l));
  const v = c <= 0.0031308 ? c * 12.92 : 1.055 * c ** (1 / 2.4) - 0.055;
  return Math.round(v * 255);
};

export function decode(rgb: Uint8Array, width: number, height: number): Linear {
  const data = new Float32Array(rgb.length);
  for (let i = 0; i < rgb.length; i++) data[i] = LUT[rgb[i]!]!;
  return { width, height, data };
}

export function encode(img: Linear): Uint8Array {
  const out = new Uint8Array(img.data.length);
  for (let i = 0; i < out.length; i++) out[i] = toSrgb8(img.data[i]!);
  return out;
}

function gaussian(r: () => number): number {
  const u = Math.max(r(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
}

/** Poisson sample: Knuth's method for small means, the normal approximation above 30. */
function poisson(mean: number, r: () => number): number {
  if (mean <= 0) return 0;
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * gaussian(r)));
  const l = Math.exp(-mean);
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= r();
  } while (p > l);
  return k - 1;
}

/** Less light, shot noise, read noise, then the camera's gain (each channel a photosite). */
export function lowLight(img: Linear, op: Extract<DerivedOp, { kind: 'low-light' }>): Linear {
  const r = mulberry32(op.seed);
  const data = new Float32Array(img.data.length);
  for (let i = 0; i < data.length; i++) {
    const electrons = poisson(img.data[i]! * op.exposure * op.fullWell, r) + op.readNoise * gaussian(r);
    data[i] = (op.gain * electrons) / op.fullWell;
  }
  return { ...img, data };
}

/** The mean of the picture over `length` px of travel along the angle (bilinear samples, edges clamped). */
export function motionBlur(img: Linear, op: Extract<DerivedOp, { kind: 'motion-blur' }>): Linear {
  const { width: W, height: H, data: src } = img;
  const n = Math.max(2, Math.round(op.length));
  const dx = Math.cos((op.angleDeg * Math.PI) / 180);
  const dy = Math.sin((op.angleDeg * Math.PI) / 180);
  const offsets = Array.from({ length: n }, (_, i) => ((i / (n - 1)) - 0.5) * (op.length - 1));
  const data = new Float32Array(src.length);
  const clampX = (x: number) => Math.min(W - 1, Math.max(0, x));
  const clampY = (y: number) => Math.min(H - 1, Math.max(0, y));
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const acc = [0, 0, 0];
      for (const t of offsets) {
        const sx = clampX(x + t * dx);
        const sy = clampY(y + t * dy);
        const x0 = Math.floor(sx);
        const y0 = Math.floor(sy);
        const x1 = Math.min(W - 1, x0 + 1);
        const y1 = Math.min(H - 1, y0 + 1);
        const fx = sx - x0;
        const fy = sy - y0;
        for (let c = 0; c < 3; c++) {
          const v00 = src[(y0 * W + x0) * 3 + c]!;
          const v10 = src[(y0 * W + x1) * 3 + c]!;
          const v01 = src[(y1 * W + x0) * 3 + c]!;
          const v11 = src[(y1 * W + x1) * 3 + c]!;
          acc[c]! += (v00 * (1 - fx) + v10 * fx) * (1 - fy) + (v01 * (1 - fx) + v11 * fx) * fy;
        }
      }
      for (let c = 0; c < 3; c++) data[(y * W + x) * 3 + c] = acc[c]! / n;
    }
  }
  return { ...img, data };
}

/** Writes the derived picture of `input` (the untouched, checksum-checked file) after `ops`, as PNG. */
export async function renderDerived(input: string, ops: readonly DerivedOp[], output: string): Promise<{ width: number; height: number }> {
  let { data, info } = await sharp(input).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`${input}: expected 3 channels after conversion, got ${info.channels}`);
  let rgb: Uint8Array = new Uint8Array(data.buffer, data.byteOffset, data.length);
  let width = info.width;
  let height = info.height;
  for (const op of ops) {
    if (op.kind === 'scale') {
      const w = Math.round(width * op.factor);
      const h = Math.round(height * op.factor);
      ({ data, info } = await sharp(rgb, { raw: { width, height, channels: 3 } }).gamma().resize(w, h, { kernel: 'lanczos3', fit: 'fill' }).raw().toBuffer({ resolveWithObject: true }));
      rgb = new Uint8Array(data.buffer, data.byteOffset, data.length);
      width = w;
      height = h;
    } else {
      const lin = decode(rgb, width, height);
      rgb = encode(op.kind === 'low-light' ? lowLight(lin, op) : motionBlur(lin, op));
    }
  }
  await sharp(rgb, { raw: { width, height, channels: 3 } }).png().toFile(output);
  return { width, height };
}
