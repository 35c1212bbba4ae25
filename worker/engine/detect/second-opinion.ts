import { iou, type Frame, type Rect } from '../frame.js';
import type { Detection } from '../track.js';
import { BlazeFace, type Device } from './blazeface.js';

/**
 * A second opinion on the faces the scans find (issue 12, false obscuring on real CCTV).
 *
 * The engine's face scan runs BlazeFace short-range at a low threshold (0.4) over a fine grid with
 * dark regions equalised, because real bystanders' faces are small and dim. On real CCTV that also
 * finds "faces" of 25–80 px on the background — a signpost, a roof line, a stain on the road —
 * found again at the same spots scan after scan and obscured with their rolls: on OpenCV's
 * vtest.avi (frames 0–120) most of the area obscured outside people.
 *
 * Each face of at least `minSide` px the scans find is looked at again by the other BlazeFace, the
 * full-range model the verifier runs, in a square of `cropScale`× the face around it; its best
 * score on a box overlapping the face (IoU ≥ `minIou`) is recorded on the detection (`second`). A
 * face at the same place within `refresh` frames keeps the look it had. A face track that no look
 * has confirmed (≥ `threshold`), that stands still, and that lies on no person the person detector
 * sees is not obscured (track.ts doubtedAt, persons-track.ts frameRegions): two models disagree,
 * nothing moves, and no body carries it. Faces on a person are always obscured, and so is every
 * face that moves or is below `minSide` px, where the full-range model cannot judge (its reach,
 * SMALLEST_FACE.verifier, is 24 px). The verifier's small-face pass asks the same of what it finds
 * of that size (verify.ts SmallFacePass.confirm).
 *
 * Measured (real pictures; `.test-data` runs, written up in eval/real/README.md): on vtest frames
 * 0–120 the off-person face tracks of ≥ 20 px scored 0–0.36 on their first look (one look on the
 * signpost 0.51); real faces scaled down to 24–56 px (face-api's demo photographs, 22 faces) scored
 * 0.65–0.94 (test: second-opinion.spec.ts). On the generated set's composited faces, which have no
 * bodies, heavy compression brings some looks down to 0.12: those faces move, and were confirmed
 * by another look.
 */
export const SECOND_OPINION = {
  /** Faces smaller than this (px) get no second opinion (the full-range model's reach). */
  minSide: 24,
  /** Crop side as a multiple of the face side (at least `cropMin` px), resampled to 256². */
  cropScale: 3,
  cropMin: 64,
  /** Overlap (IoU) a full-range box needs with the face to speak for it. */
  minIou: 0.2,
  /** A face scoring below this is doubted (Track.looks). */
  threshold: 0.5,
} as const;

export type SecondOpinionParams = { [K in keyof typeof SECOND_OPINION]: number };

/** Is a face of this size one the second opinion judges? */
export function judged(d: { w: number; h: number }, p: Pick<SecondOpinionParams, 'minSide'> = SECOND_OPINION): boolean {
  return Math.min(d.w, d.h) >= p.minSide;
}

export class SecondOpinion {
  /** Recent looks (frame order): a face at the same place again within `refresh` frames keeps its score. */
  private memo: { box: Rect; frame: number; second: number }[] = [];

  private constructor(
    private readonly model: BlazeFace,
    readonly params: SecondOpinionParams,
    /** Frames a look stands for a face at the same place (IoU ≥ 0.5); calls come in frame order. */
    private readonly refresh: number,
  ) {}

  static async create(device: Device, refresh: number, params: SecondOpinionParams = SECOND_OPINION): Promise<SecondOpinion> {
    // A low floor: the score itself is recorded, the threshold applied when planning.
    return new SecondOpinion(await BlazeFace.create({ variant: 'back', device, scoreThreshold: 0.1 }), params, refresh);
  }

  get modelInfo() {
    return this.model.model;
  }

  /**
   * Frame f's detections with `second` set on those of ≥ minSide px: one inference each, unless a
   * face at the same place was looked at within the last `refresh` frames.
   */
  async look(frame: Frame, f: number, dets: readonly Detection[]): Promise<Detection[]> {
    const p = this.params;
    this.memo = this.memo.filter((m) => f - m.frame < this.refresh);
    const out: Detection[] = [];
    for (const d of dets) {
      if (!judged(d, p)) {
        out.push(d);
        continue;
      }
      const known = this.memo.find((m) => iou(m.box, d) >= 0.5);
      if (known) {
        out.push({ ...d, second: known.second });
        continue;
      }
      const second = await this.score(frame, d);
      this.memo.push({ box: { x: d.x, y: d.y, w: d.w, h: d.h }, frame: f, second });
      out.push({ ...d, second });
      this.looks++;
    }
    return out;
  }

  /** Inferences run so far (measurement). */
  looks = 0;

  /** The faces of `dets` it does not doubt: every one below minSide, and those scoring ≥ threshold. */
  async confirmed<T extends Rect>(frame: Frame, dets: readonly T[]): Promise<T[]> {
    const out: T[] = [];
    for (const d of dets) if (!judged(d, this.params) || (await this.score(frame, d)) >= this.params.threshold) out.push(d);
    return out;
  }

  /** The full-range model's best score on a box overlapping `d`, in a crop of cropScale× around it. */
  private async score(frame: Frame, d: Rect): Promise<number> {
    const p = this.params;
    const size = Math.max(p.cropMin, p.cropScale * Math.max(d.w, d.h));
    const found = await this.model.detect(frame, { x: d.x + d.w / 2 - size / 2, y: d.y + d.h / 2 - size / 2, size });
    return Math.round(found.reduce((m, x) => (iou(x, d) >= p.minIou ? Math.max(m, x.score) : m), 0) * 1000) / 1000;
  }

  release(): Promise<void> {
    return this.model.release();
  }
}
