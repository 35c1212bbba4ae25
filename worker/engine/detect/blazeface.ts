import * as ort from 'onnxruntime-node';
import type { Frame, Rect } from '../frame.js';
import { iou, resampleToTensor } from '../frame.js';
import type { ModelInfo } from '../models.js';
import { loadModelFile } from '../models.js';
import { type ContrastParams, normaliseDarkRegions } from './contrast.js';

/**
 * MediaPipe BlazeFace (short-range "front", trained at 128×128, and full-range "back", 256×256) on
 * onnxruntime-node, as the spatially dynamic ("dense") derivatives of the vendored ONNX files
 * (models/blazeface/make-dense.ts: same weights, any input of H×W multiples of 32). On its training
 * size a dense model outputs exactly the original's 896 anchors; on a larger input it outputs the
 * anchors of every window position, so one pass over a wide area replaces a grid of tiles.
 * Two heads: stride s/16 with 2 anchors per cell and stride s/8 with 6 (s = training size);
 * regressors are [dx, dy, w, h, 6 keypoints × 2] in input pixels relative to the anchor centre
 * (fixed anchor size 1), scores are logits.
 */
export interface FaceDetection extends Rect {
  score: number;
}

export interface SquareRegion {
  x: number;
  y: number;
  size: number;
}

export type Device = 'cpu' | 'cuda';

export interface BlazeFaceOptions {
  variant: 'front' | 'back';
  device?: Device;
  scoreThreshold?: number;
  threads?: number;
}

export class BlazeFace {
  /** Training input size: a square region is resampled to this. */
  readonly inputSize: number;
  /** Dense input sides must be multiples of this (the coarser head's stride: 16 front, 32 back). */
  readonly align: number;
  readonly scoreThreshold: number;
  private input = new Float32Array(0);

  private constructor(
    private readonly session: ort.InferenceSession,
    readonly model: ModelInfo,
    variant: 'front' | 'back',
    scoreThreshold: number,
  ) {
    this.inputSize = variant === 'front' ? 128 : 256;
    this.align = this.inputSize / 8;
    this.scoreThreshold = scoreThreshold;
  }

  static async create(options: BlazeFaceOptions): Promise<BlazeFace> {
    const name = options.variant === 'front' ? 'blazeface-front-128' : 'blazeface-back-256';
    const { bytes, info } = await loadModelFile(name);
    const session = await createSession(bytes, options.device ?? 'cpu', options.threads ?? 1);
    return new BlazeFace(session, info, options.variant, options.scoreThreshold ?? 0.6);
  }

  async release(): Promise<void> {
    await this.session.release();
  }

  /** Detects faces in one square region of the frame (resampled to the training size); boxes in frame pixels. */
  detect(frame: Frame, region: SquareRegion): Promise<FaceDetection[]> {
    const s = this.inputSize;
    return this.detectArea(frame, region.x, region.y, region.size / s, s, s);
  }

  /**
   * Dense pass: the frame area from (x0, y0), `scale` frame pixels per input pixel, resampled to an
   * inW×inH input (multiples of `align`; the part past the frame is black). Boxes in frame pixels.
   * With `contrast`, dark regions of the input are equalised first (contrast.ts).
   */
  async detectArea(frame: Frame, x0: number, y0: number, scale: number, inW: number, inH: number, contrast?: ContrastParams): Promise<FaceDetection[]> {
    if (inW % this.align || inH % this.align || inW <= 0 || inH <= 0) throw new Error(`dense BlazeFace input ${inW}×${inH} is not a multiple of ${this.align}`);
    const n = inW * inH * 3;
    if (this.input.length !== n) this.input = new Float32Array(n);
    resampleToTensor(frame, x0, y0, scale, inW, inH, this.input);
    if (contrast) normaliseDarkRegions(this.input, inW, inH, contrast);
    const feeds = { [this.session.inputNames[0]!]: new ort.Tensor('float32', this.input, [1, inH, inW, 3]) };
    const out = await this.session.run(feeds);
    const [s1, s2, r1, r2] = this.session.outputNames.map((name) => out[name]!.data as Float32Array);
    const found: FaceDetection[] = [];
    const logitMin = Math.log(this.scoreThreshold / (1 - this.scoreThreshold));
    const decode = (scores: Float32Array, regs: Float32Array, stride: number, perCell: number) => {
      const cols = Math.round(inW / stride);
      for (let i = 0; i < scores.length; i++) {
        const logit = scores[i]!;
        if (logit < logitMin) continue;
        const cell = Math.floor(i / perCell);
        const o = i * 16;
        const cx = regs[o]! + ((cell % cols) + 0.5) * stride;
        const cy = regs[o + 1]! + (Math.floor(cell / cols) + 0.5) * stride;
        const bw = regs[o + 2]!;
        const bh = regs[o + 3]!;
        if (!(bw > 0 && bh > 0)) continue;
        found.push({
          x: x0 + (cx - bw / 2) * scale,
          y: y0 + (cy - bh / 2) * scale,
          w: bw * scale,
          h: bh * scale,
          score: 1 / (1 + Math.exp(-logit)),
        });
      }
    };
    decode(s1!, r1!, this.inputSize / 16, 2);
    decode(s2!, r2!, this.inputSize / 8, 6);
    return weightedNms(found, 0.3);
  }
}

export async function createSession(bytes: Uint8Array, device: Device, threads: number): Promise<ort.InferenceSession> {
  const options: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    executionProviders: device === 'cuda' ? ['cuda'] : ['cpu'],
  };
  try {
    return await ort.InferenceSession.create(bytes, options);
  } catch (err) {
    if (device === 'cuda') throw new CudaUnavailableError(err);
    throw err;
  }
}

export class CudaUnavailableError extends Error {
  override name = 'CudaUnavailableError';
  constructor(cause: unknown) {
    super(
      'CUDA was requested (--device cuda) but onnxruntime-node cannot create a CUDA session here: ' +
        'this needs an NVIDIA GPU with its driver, CUDA 12 + cuDNN 9 runtime libraries, and onnxruntime-node ' +
        'installed with --onnxruntime-node-install=cuda12 (see worker/Dockerfile). Use --device cpu instead. ' +
        `Cause: ${cause instanceof Error ? cause.message.split('\n')[0] : String(cause)}`,
      { cause },
    );
  }
}

/**
 * MediaPipe-style weighted non-maximum suppression: overlapping detections are merged into their
 * score-weighted average, which is steadier than keeping the single best box.
 */
export function weightedNms<T extends FaceDetection>(dets: T[], threshold: number): FaceDetection[] {
  const sorted = [...dets].sort((a, b) => b.score - a.score);
  const used = new Uint8Array(sorted.length);
  const result: FaceDetection[] = [];
  for (let i = 0; i < sorted.length; i++) {
    if (used[i]) continue;
    const head = sorted[i]!;
    let sw = 0;
    let x = 0;
    let y = 0;
    let w = 0;
    let h = 0;
    for (let j = i; j < sorted.length; j++) {
      if (used[j]) continue;
      const d = sorted[j]!;
      if (j !== i && iou(head, d) < threshold) continue;
      used[j] = 1;
      sw += d.score;
      x += d.x * d.score;
      y += d.y * d.score;
      w += d.w * d.score;
      h += d.h * d.score;
    }
    result.push({ x: x / sw, y: y / sw, w: w / sw, h: h / sw, score: head.score });
  }
  return result;
}
