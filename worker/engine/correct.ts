/**
 * Correction rounds: what the verifier finds becomes a redaction.
 *
 * The first pass records every detection it made (boxes only, per frame). When verification of its
 * output finds faces outside the obscured regions, the video is rendered again from those recorded
 * detections plus one correction per violation: around the violation's frame f, on every
 * `cadence`-th frame of [f − reach, f + reach] (reach = the verifier's sampling interval, so the
 * correction meets the neighbouring checked frames), the engine's detector scans a crop around the
 * verifier's box, grown with the distance from f (the face may have moved), and what it finds there
 * is added; the verifier's box itself, grown the same way, is held over the window so the face is
 * covered even where the engine's detector still cannot see it. The tracker links all of it like any
 * other detections (back and forward: the held boxes reach back from f, and tracks get their rolls).
 * The output is then verified again. After a bounded number of rounds, what still fails goes to
 * quarantine with its frames named.
 */
import { type FaceScanner, plausibleFaces } from './detect/faces.js';
import { centreDistance, coverage, type Frame, type Rect } from './frame.js';
import type { Detection } from './track.js';

/** What a video pass asks of its detection source: faces per frame, plates on plate frames. */
export interface FrameDetector {
  faces(frame: Frame, f: number): Promise<Detection[] | undefined>;
  isPlateFrame(f: number): boolean;
  plates(frame: Frame, f: number): Promise<Detection[]>;
}

export interface Correction {
  /** Output frame where the verifier found the face, and its box there. */
  frame: number;
  box: Rect;
  score: number;
  /** Correction round that added it (1 = the first re-render). */
  round: number;
}

export interface CorrectionParams {
  /** Re-renders allowed after the first pass (the bound on rounds). */
  maxRounds: number;
  /** Box growth per frame of distance from the violation (share of its side; the face may move). */
  growth: number;
  /** Extra search margin per frame of distance (frame px) for the engine's focused scan. */
  searchPerFrame: number;
}

/**
 * At most 3 correction rounds (also the cap on what a caller may ask for). Real footage needs more
 * than two: on OpenCV's vtest.avi (795 frames, the real set) the verifier's findings went 30 → 5 →
 * 2 → 0 over rounds 0–3 — the last two, false alarms on two walkers' chests that appeared once the
 * round before had re-rendered their surroundings — so with 2 rounds the clip was quarantined and
 * with 3 it verifies (`npm run eval -- --real`: 107.7 → 142.6 s for it; the generated set verifies
 * within 2 rounds, unchanged). Each round only adds obscuring and is verified in full.
 */
export const DEFAULT_CORRECTION: CorrectionParams = { maxRounds: 3, growth: 0.04, searchPerFrame: 3 };

/** Wraps a detection source and keeps what it returned, so a later round can replay it. */
export class RecordingDetector implements FrameDetector {
  readonly faceDets = new Map<number, Detection[]>();
  readonly plateDets = new Map<number, Detection[]>();

  constructor(private readonly inner: FrameDetector) {}

  async faces(frame: Frame, f: number): Promise<Detection[] | undefined> {
    const d = await this.inner.faces(frame, f);
    if (d) this.faceDets.set(f, d);
    return d;
  }

  isPlateFrame(f: number): boolean {
    return this.inner.isPlateFrame(f);
  }

  async plates(frame: Frame, f: number): Promise<Detection[]> {
    const d = await this.inner.plates(frame, f);
    this.plateDets.set(f, d);
    return d;
  }
}

/**
 * A later round's detection source: the first pass's detections replayed, plus the corrections.
 * Frames come in order (as in the first pass).
 */
export class CorrectingDetector implements FrameDetector {
  private readonly byFrame = new Map<number, Correction[]>();
  /** Frames (sorted) on which some correction is active. */
  readonly frames: number[];

  constructor(
    private readonly recorded: RecordingDetector,
    private readonly scanner: FaceScanner,
    readonly corrections: readonly Correction[],
    private readonly reach: number,
    private readonly cadence: number,
    private readonly p: CorrectionParams,
    private readonly frameCount: number,
    /** Measurement hook: scans run for corrections are counted here. */
    private readonly prof?: Record<string, number>,
  ) {
    for (const c of corrections) {
      for (let g = Math.max(0, c.frame - reach); g <= Math.min(frameCount - 1, c.frame + reach); g++) {
        if (g !== c.frame && g % cadence !== 0) continue;
        const list = this.byFrame.get(g) ?? [];
        list.push(c);
        this.byFrame.set(g, list);
      }
    }
    this.frames = [...this.byFrame.keys()].sort((a, b) => a - b);
  }

  async faces(frame: Frame, f: number): Promise<Detection[] | undefined> {
    const base = this.recorded.faceDets.get(f);
    const active = this.byFrame.get(f);
    if (!active) return base;
    const out: Detection[] = [...(base ?? [])];
    for (const c of active) {
      const dt = Math.abs(f - c.frame);
      const held = this.heldBox(c, f);
      // The engine's detector, in a crop around where the face can be by now, upsampled so the
      // face is ≥ ~24 px in the model's input.
      const side = Math.max(c.box.w, c.box.h);
      const crop = Math.max(this.scanner.crop.cropMin, this.scanner.crop.cropScale * side + 2 * this.p.searchPerFrame * dt);
      const d = this.scanner.detector;
      const scale = Math.min(crop / this.scanner.crop.cropInput, side / 24);
      const input = Math.ceil(crop / scale / d.align) * d.align;
      const cx = c.box.x + c.box.w / 2;
      const cy = c.box.y + c.box.h / 2;
      const search = { x: cx - crop / 2, y: cy - crop / 2, w: crop, h: crop };
      const found = plausibleFaces(await d.detectArea(frame, search.x, search.y, crop / input, input, input), this.scanner.params.scoreThreshold)
        .filter((x) => coverage(x, search) > 0.5 && x.w <= 3 * side);
      if (this.prof) this.prof.correctionScans = (this.prof.correctionScans ?? 0) + 1;
      // The verifier found it: its own score is the second opinion (detect/second-opinion.ts).
      out.push(...found, { ...held, score: c.score, second: c.score });
    }
    return out;
  }

  isPlateFrame(f: number): boolean {
    return this.recorded.isPlateFrame(f);
  }

  /**
   * The verifier's box of correction `c` held at frame f: between two sightings of the same face
   * (the verifier found it at both ends) interpolated; beyond the last one held where it was seen,
   * growing with the distance.
   */
  heldBox(c: Correction, f: number): Rect {
    const dt = Math.abs(f - c.frame);
    const other = this.linked(c, f);
    return other
      ? grow(lerp(c.box, other.box, (f - c.frame) / (other.frame - c.frame)), 1 + this.p.growth * Math.min(dt, Math.abs(other.frame - f)))
      : grow(c.box, 1 + this.p.growth * dt);
  }

  /**
   * The held boxes of every correction whose window ([frame − reach, frame + reach]) holds frame f,
   * on every frame (not only detection frames): a review render obscures these directly, without
   * the tracker, so nothing the verifier found can be kept visible (index.ts, reviewable).
   */
  heldRegions(f: number): Rect[] {
    return this.corrections.filter((c) => Math.abs(f - c.frame) <= this.reach).map((c) => this.heldBox(c, f));
  }

  /** The same face seen by the verifier on the other side of frame f (the neighbouring checked frame), if any. */
  private linked(c: Correction, f: number): Correction | undefined {
    if (f === c.frame) return undefined;
    const at = f > c.frame ? c.frame + this.reach : c.frame - this.reach;
    const side = Math.max(c.box.w, c.box.h);
    let best: Correction | undefined;
    let bestDist = Infinity;
    for (const o of this.corrections) {
      if (o.frame !== at) continue;
      const dist = centreDistance(o.box, c.box);
      const ratio = Math.max(o.box.w, c.box.w) / Math.max(1, Math.min(o.box.w, c.box.w));
      if (dist < 3 * side && ratio < 2 && dist < bestDist) {
        best = o;
        bestDist = dist;
      }
    }
    return best;
  }

  async plates(_frame: Frame, f: number): Promise<Detection[]> {
    return this.recorded.plateDets.get(f) ?? [];
  }
}

function lerp(a: Rect, b: Rect, u: number): Rect {
  return { x: a.x + (b.x - a.x) * u, y: a.y + (b.y - a.y) * u, w: a.w + (b.w - a.w) * u, h: a.h + (b.h - a.h) * u };
}

function grow(r: Rect, k: number): Rect {
  return { x: r.x + (r.w * (1 - k)) / 2, y: r.y + (r.h * (1 - k)) / 2, w: r.w * k, h: r.h * k };
}

/** Frames listed compactly for a message: "45, 140, 585" (at most `max`, then "… (n more)"). */
export function nameFrames(frames: readonly number[], max = 20): string {
  const uniq = [...new Set(frames)].sort((a, b) => a - b);
  const head = uniq.slice(0, max).join(', ');
  return uniq.length > max ? `${head} … (${uniq.length - max} more)` : head;
}
