import * as ort from 'onnxruntime-node';
import type { Frame, Rect } from '../frame.js';
import { iou, regionToTensor } from '../frame.js';
import type { ModelInfo } from '../models.js';
import { loadModelFile } from '../models.js';

/**
 * MediaPipe BlazeFace (short-range "front" 128×128 and full-range "back" 256×256) on onnxruntime-node.
 * Both ONNX files output 896 anchors split in two heads: 16×16 cells × 2 anchors (512) and
 * 8×8 cells × 6 anchors (384); regressors are [dx, dy, w, h, 6 keypoints × 2] in input pixels
 * relative to the anchor centre (fixed anchor size 1), scores are logits.
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

const ANCHORS = buildAnchors();

function buildAnchors(): Float32Array {
  const a = new Float32Array(896 * 2);
  let i = 0;
  for (const [grid, perCell] of [
    [16, 2],
    [8, 6],
  ] as const) {
    for (let y = 0; y < grid; y++) {
      for (let x = 0; x < grid; x++) {
        for (let k = 0; k < perCell; k++) {
          a[i++] = (x + 0.5) / grid;
          a[i++] = (y + 0.5) / grid;
        }
      }
    }
  }
  return a;
}

export class BlazeFace {
  readonly inputSize: number;
  readonly scoreThreshold: number;
  private readonly input: Float32Array;

  private constructor(
    private readonly session: ort.InferenceSession,
    readonly model: ModelInfo,
    variant: 'front' | 'back',
    scoreThreshold: number,
  ) {
    this.inputSize = variant === 'front' ? 128 : 256;
    this.scoreThreshold = scoreThreshold;
    this.input = new Float32Array(this.inputSize * this.inputSize * 3);
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

  /** Detects faces in one square region of the frame; boxes are returned in frame pixels. */
  async detect(frame: Frame, region: SquareRegion): Promise<FaceDetection[]> {
    const s = this.inputSize;
    regionToTensor(frame, region, s, this.input);
    const feeds = { [this.session.inputNames[0]!]: new ort.Tensor('float32', this.input, [1, s, s, 3]) };
    const out = await this.session.run(feeds);
    const [s1, s2, r1, r2] = this.session.outputNames.map((n) => out[n]!.data as Float32Array);
    const found: FaceDetection[] = [];
    const logitMin = Math.log(this.scoreThreshold / (1 - this.scoreThreshold));
    const scale = region.size / s;
    const decode = (scores: Float32Array, regs: Float32Array, anchorBase: number) => {
      for (let i = 0; i < scores.length; i++) {
        const logit = scores[i]!;
        if (logit < logitMin) continue;
        const a = (anchorBase + i) * 2;
        const o = i * 16;
        const cx = regs[o]! + ANCHORS[a]! * s;
        const cy = regs[o + 1]! + ANCHORS[a + 1]! * s;
        const bw = regs[o + 2]!;
        const bh = regs[o + 3]!;
        if (!(bw > 0 && bh > 0)) continue;
        found.push({
          x: region.x + (cx - bw / 2) * scale,
          y: region.y + (cy - bh / 2) * scale,
          w: bw * scale,
          h: bh * scale,
          score: 1 / (1 + Math.exp(-logit)),
        });
      }
    };
    decode(s1!, r1!, 0);
    decode(s2!, r2!, 512);
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
