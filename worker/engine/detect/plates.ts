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

  async scan(frame: Frame): Promise<(Rect & { score: number })[]> {
    const p = this.params;
    const scale = Math.min(1, p.inputSide / Math.max(frame.width, frame.height));
    const W = Math.max(32, Math.round((frame.width * scale) / 32) * 32);
    const H = Math.max(32, Math.round((frame.height * scale) / 32) * 32);
    const input = toBgrNchw(frame, W, H);
    const out = await this.session.run({ [this.session.inputNames[0]!]: new ort.Tensor('float32', input, [1, 3, H, W]) });
    const prob = out[this.session.outputNames[0]!]!.data as Float32Array;
    const sx = frame.width / W;
    const sy = frame.height / H;
    return weightedNms(
      components(prob, W, H, p)
        // The detector boxes the characters; the plate (border, region strip) extends beyond them.
        .map((c) => ({ x: (c.x - c.w * 0.15) * sx, y: (c.y - c.h * 0.2) * sy, w: c.w * 1.3 * sx, h: c.h * 1.4 * sy, score: c.score }))
        .filter((b) => b.h >= p.minHeight && b.w / b.h >= p.minAspect && b.w / b.h <= p.maxAspect && b.w < frame.width * 0.5),
      0.3,
    );
  }
}

/** Area-averaged resize of the frame into a normalised BGR planar tensor (PaddleOCR convention). */
function toBgrNchw(frame: Frame, W: number, H: number): Float32Array {
  const out = new Float32Array(3 * W * H);
  const { width: w, height: h, data } = frame;
  const fx = w / W;
  const fy = h / H;
  const k = Math.max(1, Math.min(3, Math.ceil(Math.max(fx, fy))));
  const yuv = frame.format === 'yuv420p';
  const cw = Math.ceil(w / 2);
  const uOff = w * h;
  const vOff = uOff + cw * Math.ceil(h / 2);
  const plane = W * H;
  for (let oy = 0; oy < H; oy++) {
    for (let ox = 0; ox < W; ox++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let sy = 0; sy < k; sy++) {
        const py = Math.min(h - 1, Math.floor((oy + (sy + 0.5) / k) * fy));
        for (let sx = 0; sx < k; sx++) {
          const px = Math.min(w - 1, Math.floor((ox + (sx + 0.5) / k) * fx));
          if (yuv) {
            const Y = data[py * w + px]! - 16;
            const ci = (py >> 1) * cw + (px >> 1);
            const U = data[uOff + ci]! - 128;
            const V = data[vOff + ci]! - 128;
            r += 1.164 * Y + 1.596 * V;
            g += 1.164 * Y - 0.392 * U - 0.813 * V;
            b += 1.164 * Y + 2.017 * U;
          } else {
            const i = (py * w + px) * 3;
            r += data[i]!;
            g += data[i + 1]!;
            b += data[i + 2]!;
          }
        }
      }
      const n = k * k * 255;
      const o = oy * W + ox;
      out[o] = (clamp01(b / n) - MEAN[0]!) / STD[0]!;
      out[plane + o] = (clamp01(g / n) - MEAN[1]!) / STD[1]!;
      out[2 * plane + o] = (clamp01(r / n) - MEAN[2]!) / STD[2]!;
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
      for (const q of [x > 0 ? j - 1 : -1, x < W - 1 ? j + 1 : -1, y > 0 ? j - W : -1, y < H - 1 ? j + W : -1]) {
        if (q >= 0 && !labels[q] && prob[q]! >= p.binThreshold) {
          labels[q] = label;
          stack.push(q);
        }
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
