import { centreDistance, iou, type Frame, type Rect } from '../frame.js';
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
 * face seen again (centre near where it was last) within `refresh` frames keeps the look it had.
 * A face track that no look has confirmed (≥ `threshold`), that stands still (or is a blip, found
 * at most twice), and that lies on no person the person detector sees is not obscured (track.ts
 * doubtedAt, persons-track.ts frameRegions): two models disagree, nothing moves, and no body
 * carries it. Faces on a person are always obscured, and so is every face that moves (found three
 * times or more) or is below `minSide` px, where the full-range model cannot judge (its reach,
 * SMALLEST_FACE.verifier, is 24 px). The verifier's small-face pass asks the same model about what
 * it finds from 30 px up (verify.ts SmallFacePass.confirmFrom).
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

/**
 * Is `d` the face last seen at `last`, for reusing a look? Its centre within 3/4 of the larger side
 * and its size within 1.5× — a walking face moves 10–20 px between detections, more than an overlap
 * test allows at 24–50 px.
 */
function sameFace(last: Rect, d: Rect): boolean {
  const side = Math.max(last.w, last.h, d.w, d.h);
  const ratio = Math.max(last.w, d.w) / Math.max(1, Math.min(last.w, d.w));
  return ratio <= 1.5 && centreDistance(last, d) <= 0.75 * side;
}

/** Is a face of this size one the second opinion judges? */
export function judged(d: { w: number; h: number }, p: Pick<SecondOpinionParams, 'minSide'> = SECOND_OPINION): boolean {
  return Math.min(d.w, d.h) >= p.minSide;
}

export class SecondOpinion {
  /** Recent looks (frame order): the same face again (centre near where it was last) within `refresh` frames keeps its score. */
  private memo: { box: Rect; frame: number; second: number }[] = [];

  private constructor(
    private readonly model: BlazeFace,
    readonly params: SecondOpinionParams,
    /** Frames a look stands for the same face (sameFace with its last box); calls come in frame order. */
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
   * Frame f's detections with `second` set on those of ≥ minSide px: one inference each, unless
   * the same face (centre near where it was last) was looked at within the last `refresh` frames.
   */
  async look(frame: Frame, f: number, dets: readonly Detection[]): Promise<Detection[]> {
    const p = this.params;
    this.memo = this.memo.filter((m) => f - m.frame < this.refresh);
    const out: Detection[] = [];
    const used = new Set<(typeof this.memo)[number]>();
    for (const d of dets) {
      if (!judged(d, p)) {
        out.push(d);
        continue;
      }
      // One face per look in a frame: two faces side by side do not share one.
      const known = this.memo.find((m) => !used.has(m) && sameFace(m.box, d));
      if (known) {
        used.add(known);
        // The look follows the face (its box moves on with it); its age is the look's.
        known.box = { x: d.x, y: d.y, w: d.w, h: d.h };
        out.push({ ...d, second: known.second });
        continue;
      }
      const second = await this.score(frame, d);
      const look = { box: { x: d.x, y: d.y, w: d.w, h: d.h }, frame: f, second };
      this.memo.push(look);
      used.add(look);
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

