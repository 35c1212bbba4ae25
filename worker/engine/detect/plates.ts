import * as ort from 'onnxruntime-node';
import type { Frame, Rect } from '../frame.js';
import { loadModelFile, type ModelInfo } from '../models.js';
import { type Device, createSession, weightedNms } from './blazeface.js';

/**
 * Licence plates from PP-OCRv4 text detection (DB head) plus plate-shaped filtering: there is no
 * plate model on npm, but a plate is a short, high-contrast line of text with a plate's proportions.
 * The probability map is thresholded, connected components become boxes (DB "unclip" expansion), and
 * only boxes with a plate-like aspect ratio and size survive. Any text of that shape is obscured too
 * (false positives cost obscured area, never privacy).
 */
export interface PlateParams {
  /** Longest side of the frame as fed to the text detector (multiple of 32). */
  inputSide: number;
  /** Pixel threshold on the DB probability map. */
  binThreshold: number;
  /** Mean probability a component needs to count as text. */
  boxThreshold: number;
  /** Plate-like width/height range. */
  minAspect: number;
  maxAspect: number;
  /** Minimum plate height in frame pixels. */
  minHeight: number;
  unclipRatio: number;
  /** Run plate detection on every n-th frame (tracking fills the rest). */
  cadence: number;
  /**
   * Whole-frame scan every n-th frame (a multiple of `cadence`); the detection frames in between
   * scan only crops around the plates seen recently. New plates are met at the next whole-frame
   * scan and covered backwards by the tracker's pre-roll (at least this many frames).
   */
  fullScanEvery: number;
}

export const DEFAULT_PLATES: PlateParams = {
  inputSide: 960,
  binThreshold: 0.3,
  boxThreshold: 0.5,
  minAspect: 1.6,
  maxAspect: 10,
  minHeight: 6,
  unclipRatio: 1.6,
  cadence: 6,
  fullScanEvery: 24,
};

const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

export class PlateScanner {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly model: ModelInfo,
    readonly params: PlateParams,
  ) {}

  static async create(params: PlateParams, device: Device = 'cpu'): Promise<PlateScanner> {
    const { bytes, info } = await loadModelFile('ppocr-v4-det');
    return new PlateScanner(await createSession(bytes, device, 1), info, params);
  }

  release(): Promise<void> {
    return this.session.release();
  }

  /** Scale the text detector sees the frame at (whole-frame scans and crops alike). */
  scaleFor(frame: Frame): number {
    return Math.min(1, this.params.inputSide / Math.max(frame.width, frame.height));
  }

  /** Whole-frame scan. */
  async scan(frame: Frame): Promise<(Rect & { score: number })[]> {
    const scale = this.scaleFor(frame);
    const W = Math.max(32, Math.round((frame.width * scale) / 32) * 32);
    const H = Math.max(32, Math.round((frame.height * scale) / 32) * 32);
    return weightedNms(await this.scanRegion(frame, { x: 0, y: 0, w: frame.width, h: frame.height }, W, H), 0.3);
  }

  /**
   * Scans crops around known plates at the whole-frame scan's scale: a plate moves less than its
   * own width between detection frames, so a crop of 3× its width and 5× its height finds it again
   * at a fraction of the cost (a 120 px plate: ~0.05 MP instead of 0.5 MP).
   */
  async scanAround(frame: Frame, boxes: readonly Rect[]): Promise<(Rect & { score: number })[]> {
    const scale = this.scaleFor(frame);
    const regions: Rect[] = [];
    for (const b of boxes) {
      const mx = Math.max(b.w, 48);
      const my = Math.max(2 * b.h, 32);
      let r = cropTo32({ x: b.x - mx, y: b.y - my, w: b.w + 2 * mx, h: b.h + 2 * my }, scale, frame);
      // Merge with an overlapping crop (a queue of cars) instead of scanning the overlap twice.
      const i = regions.findIndex((o) => o.x < r.x + r.w && r.x < o.x + o.w && o.y < r.y + r.h && r.y < o.y + o.h);
      if (i >= 0) {
        const o = regions.splice(i, 1)[0]!;
        const x = Math.min(o.x, r.x);
        const y = Math.min(o.y, r.y);
        r = cropTo32({ x, y, w: Math.max(o.x + o.w, r.x + r.w) - x, h: Math.max(o.y + o.h, r.y + r.h) - y }, scale, frame);
      }
      regions.push(r);
    }
    const found: (Rect & { score: number })[] = [];
    for (const r of regions) found.push(...(await this.scanRegion(frame, r, Math.round((r.w * scale) / 32) * 32, Math.round((r.h * scale) / 32) * 32)));
    return weightedNms(found, 0.3);
  }

  /**
   * Scans the given frame regions at the whole-frame scan's scale (motion gating: only the parts of
   * the frame that changed since they were last scanned). Each region is grown to a multiple of
   * 32 px at that scale.
   */
  async scanCrops(frame: Frame, crops: readonly Rect[]): Promise<(Rect & { score: number })[]> {
    const scale = this.scaleFor(frame);
    const found: (Rect & { score: number })[] = [];
    for (const c of crops) {
      const r = cropTo32(c, scale, frame);
      found.push(...(await this.scanRegion(frame, r, Math.round((r.w * scale) / 32) * 32, Math.round((r.h * scale) / 32) * 32)));
    }
    return weightedNms(found, 0.3);
  }

  private async scanRegion(frame: Frame, region: Rect, W: number, H: number): Promise<(Rect & { score: number })[]> {
    const p = this.params;
    const input = toBgrNchw(frame, W, H, region);
    const out = await this.session.run({ [this.session.inputNames[0]!]: new ort.Tensor('float32', input, [1, 3, H, W]) });
    const prob = out[this.session.outputNames[0]!]!.data as Float32Array;
    const sx = region.w / W;
    const sy = region.h / H;
    return (
      components(prob, W, H, p)
        // The detector boxes the characters; the plate (border, region strip) extends beyond them.
        .map((c) => ({ x: region.x + (c.x - c.w * 0.15) * sx, y: region.y + (c.y - c.h * 0.2) * sy, w: c.w * 1.3 * sx, h: c.h * 1.4 * sy, score: c.score }))
        .filter((b) => b.h >= p.minHeight && b.w / b.h >= p.minAspect && b.w / b.h <= p.maxAspect && b.w < frame.width * 0.5)
    );
  }
}

/** A crop whose size at `scale` is a multiple of 32 px (≥ 64), kept inside the frame where it fits. */
function cropTo32(r: Rect, scale: number, frame: Frame): Rect {
  const unit = 32 / scale;
  const w = Math.min(Math.max(2, Math.ceil(r.w / unit)) * unit, Math.floor(frame.width / unit) * unit || unit);
  const h = Math.min(Math.max(2, Math.ceil(r.h / unit)) * unit, Math.floor(frame.height / unit) * unit || unit);
  const cx = r.x + r.w / 2;
  const cy = r.y + r.h / 2;
  const x = Math.round(Math.max(0, Math.min(frame.width - w, cx - w / 2)));
  const y = Math.round(Math.max(0, Math.min(frame.height - h, cy - h / 2)));
  return { x, y, w, h };
}

/**
 * Area-averaged resize of a frame region into a normalised BGR planar tensor (PaddleOCR convention).
 * Sample positions are computed once per row/column (not per pixel): this runs on ~0.5 MP per scan.
 */
export function toBgrNchw(frame: Frame, W: number, H: number, region: Rect = { x: 0, y: 0, w: frame.width, h: frame.height }, out = new Float32Array(3 * W * H)): Float32Array {
  const { width: w, height: h, data } = frame;
  const fx = region.w / W;
  const fy = region.h / H;
  const k = Math.max(1, Math.min(3, Math.ceil(Math.max(fx, fy))));
  const yuv = frame.format === 'yuv420p';
  const cw = Math.ceil(w / 2);
  const uOff = w * h;
  const vOff = uOff + cw * Math.ceil(h / 2);
  const plane = W * H;
  const xs = new Int32Array(W * k);
  for (let ox = 0; ox < W; ox++) for (let sx = 0; sx < k; sx++) xs[ox * k + sx] = Math.max(0, Math.min(w - 1, region.x + Math.floor((ox + (sx + 0.5) / k) * fx)));
  const ys = new Int32Array(H * k);
  for (let oy = 0; oy < H; oy++) for (let sy = 0; sy < k; sy++) ys[oy * k + sy] = Math.max(0, Math.min(h - 1, region.y + Math.floor((oy + (sy + 0.5) / k) * fy)));
  const n = k * k * 255;
  const m0 = MEAN[0]!, m1 = MEAN[1]!, m2 = MEAN[2]!;
  const s0 = STD[0]!, s1 = STD[1]!, s2 = STD[2]!;
  for (let oy = 0; oy < H; oy++) {
    for (let ox = 0; ox < W; ox++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let sy = 0; sy < k; sy++) {
        const py = ys[oy * k + sy]!;
        const row = py * w;
        const crow = (py >> 1) * cw;
        for (let sx = 0; sx < k; sx++) {
          const px = xs[ox * k + sx]!;
          if (yuv) {
            const Y = data[row + px]! - 16;
            const ci = crow + (px >> 1);
            const U = data[uOff + ci]! - 128;
            const V = data[vOff + ci]! - 128;
            r += 1.164 * Y + 1.596 * V;
            g += 1.164 * Y - 0.392 * U - 0.813 * V;
            b += 1.164 * Y + 2.017 * U;
          } else {
            const i = (row + px) * 3;
            r += data[i]!;
            g += data[i + 1]!;
            b += data[i + 2]!;
          }
        }
      }
      const o = oy * W + ox;
      out[o] = (clamp01(b / n) - m0) / s0;
      out[plane + o] = (clamp01(g / n) - m1) / s1;
      out[2 * plane + o] = (clamp01(r / n) - m2) / s2;
    }
  }
  return out;
}

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

/** Connected components of the thresholded map, each as an unclipped bounding box with its mean score. */
export function components(prob: Float32Array, W: number, H: number, p: Pick<PlateParams, 'binThreshold' | 'boxThreshold' | 'unclipRatio'>): (Rect & { score: number })[] {
  const labels = new Int32Array(W * H);
  const stack: number[] = [];
  const boxes: (Rect & { score: number })[] = [];
  let label = 0;
  for (let i = 0; i < W * H; i++) {
    if (labels[i] || prob[i]! < p.binThreshold) continue;
    label++;
    let x0 = W;
    let y0 = H;
    let x1 = -1;
    let y1 = -1;
    let sum = 0;
    let n = 0;
    labels[i] = label;
    stack.push(i);
    while (stack.length) {
      const j = stack.pop()!;
      const x = j % W;
      const y = (j - x) / W;
      sum += prob[j]!;
      n++;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
      if (x > 0 && !labels[j - 1] && prob[j - 1]! >= p.binThreshold) {
        labels[j - 1] = label;
        stack.push(j - 1);
      }
      if (x < W - 1 && !labels[j + 1] && prob[j + 1]! >= p.binThreshold) {
        labels[j + 1] = label;
        stack.push(j + 1);
      }
      if (y > 0 && !labels[j - W] && prob[j - W]! >= p.binThreshold) {
        labels[j - W] = label;
        stack.push(j - W);
      }
      if (y < H - 1 && !labels[j + W] && prob[j + W]! >= p.binThreshold) {
        labels[j + W] = label;
        stack.push(j + W);
      }
    }
    if (n < 4 || sum / n < p.boxThreshold) continue;
    const w = x1 - x0 + 1;
    const h = y1 - y0 + 1;
    // DB "unclip": the shrunk text kernel is grown back by area × ratio / perimeter.
    const d = (w * h * p.unclipRatio) / (2 * (w + h));
    boxes.push({ x: x0 - d, y: y0 - d, w: w + 2 * d, h: h + 2 * d, score: sum / n });
  }
  return boxes;
}
