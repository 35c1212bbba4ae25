import type { RedactionEdits, ReviewBox, ReviewReason } from '../../shared/domain/redaction.js';
import { clampRect, iou, type Rect } from './frame.js';
import { detectionAtOrBefore, type SubjectMatch, type Track, type TrackEdits } from './track.js';

/**
 * A reviewer's edits (issue 13 item 4), applied after tracking — they never change a track id:
 *
 * - `keepTracks`: kept like --keep-track; `obscureTracks`: never kept (wins over hints and keep ids;
 *   a face is obscured even on the subject); `obscureBodies`: person tracks obscured whole (and never
 *   kept). The tracker marks these on the tracks when they start (TrackBuilder, Track.edit).
 * - `boxes`: a box drawn at `atSeconds`, obscured on every output frame of [fromSeconds, toSeconds].
 *   It follows the person or face track it lies on (largest IoU with the track's box at the
 *   at-frame): the box keeps its place relative to that track's box, which moves (and scales) with
 *   the track's interpolated detections; beyond the track's life it holds where the track was first
 *   / last seen. On no track it stays where drawn. Boxes are clipped to the picture; one wholly
 *   outside is not applied (warning).
 *
 * And the review reasons every run reports (reviewReasons).
 */

/** The id sets a run's trackers use: what is kept (hint-free) and what a reviewer obscured. */
export function editSets(keepTracks: readonly number[] | undefined, edits: RedactionEdits | undefined): { keep: Set<number>; asked: number[]; trackEdits: TrackEdits } {
  const obscure = new Set(edits?.obscureTracks ?? []);
  const bodies = new Set(edits?.obscureBodies ?? []);
  const asked = [...new Set([...(keepTracks ?? []), ...(edits?.keepTracks ?? [])])];
  return { keep: new Set(asked.filter((id) => !obscure.has(id) && !bodies.has(id))), asked, trackEdits: { obscure, bodies } };
}

/** A track's detected box at frame f: interpolated between detections, held at its first/last detection outside its life. */
export function lifeBoxAt(t: Track, f: number): Rect {
  const n = t.frames.length;
  if (f <= t.frames[0]!) return t.boxes[0]!;
  if (f >= t.frames[n - 1]!) return t.boxes[n - 1]!;
  const lo = detectionAtOrBefore(t, f);
  const fa = t.frames[lo]!;
  const a = t.boxes[lo]!;
  if (fa === f) return a;
  const b = t.boxes[lo + 1]!;
  const u = (f - fa) / (t.frames[lo + 1]! - fa);
  return { x: a.x + (b.x - a.x) * u, y: a.y + (b.y - a.y) * u, w: a.w + (b.w - a.w) * u, h: a.h + (b.h - a.h) * u };
}

/** The track a review box lies on at frame `f`: the live person or face track with the largest IoU (ties: lower id). */
export function anchorTrack(tracks: readonly Track[], box: Rect, f: number): Track | undefined {
  let best: Track | undefined;
  let bestIou = 0;
  for (const t of tracks) {
    if (t.cls === 'plate' || f < t.frames[0]! || f > t.frames[t.frames.length - 1]!) continue;
    const o = iou(box, lifeBoxAt(t, f));
    if (o > bestIou || (o === bestIou && o > 0 && best && t.id < best.id)) {
      best = t;
      bestIou = o;
    }
  }
  return best;
}

/** The review box at frame f, moved with its anchor: same place relative to the anchor's box as at the at-frame. */
export function followBox(drawn: Rect, anchor: Track | undefined, atFrame: number, f: number): Rect {
  if (!anchor) return drawn;
  const a = lifeBoxAt(anchor, atFrame);
  const b = lifeBoxAt(anchor, f);
  const sx = b.w / a.w;
  const sy = b.h / a.h;
  return { x: b.x + (drawn.x - a.x) * sx, y: b.y + (drawn.y - a.y) * sy, w: drawn.w * sx, h: drawn.h * sy };
}

/** What the report says of one review box (ids and numbers only). */
export interface ReviewBoxReport {
  /** Index in edits.boxes. */
  box: number;
  /** The track it followed (null: it stayed where drawn). */
  trackId: number | null;
  /** Inclusive output frames it was obscured in (null: none). */
  frames: [number, number] | null;
  framesCovered: number;
}

interface Placed {
  index: number;
  drawn: Rect;
  atFrame: number;
  from: number;
  to: number;
  anchor?: Track;
  first?: number;
  last?: number;
  covered: number;
}

/**
 * The review boxes of one render: placed (seconds → frames, clipped) at construction, anchored once
 * the tracks at every at-frame are final (`anchor`), then asked frame by frame (`at`), which
 * counts what each covered.
 */
export class ReviewRegions {
  private readonly placed: Placed[] = [];
  readonly warnings: string[] = [];
  private anchored = false;

  constructor(boxes: readonly ReviewBox[], fps: number, width: number, height: number) {
    // Stills (fps 0): every box is frame 0.
    const frame = (s: number) => (fps > 0 ? Math.round(s * fps) : 0);
    boxes.forEach((b, index) => {
      const drawn = clampRect(b.box, width, height);
      if (!drawn) {
        this.warnings.push(`review box ${index} lies wholly outside the ${width}×${height} picture; it was not applied`);
        return;
      }
      this.placed.push({ index, drawn, atFrame: frame(b.atSeconds), from: frame(b.fromSeconds), to: frame(b.toSeconds), covered: 0 });
    });
  }

  /** Frames whose tracks must be final before `anchor` (the renderer waits for them as for hint frames). */
  atFrames(): number[] {
    return this.placed.map((p) => p.atFrame);
  }

  /** Chooses each box's track (call once, with every person and face track so far). */
  anchor(tracks: readonly Track[]): void {
    if (this.anchored) return;
    this.anchored = true;
    for (const p of this.placed) p.anchor = anchorTrack(tracks, p.drawn, p.atFrame);
  }

  /** The review regions of output frame f (clipped to the picture), counted as covered. */
  at(f: number, width: number, height: number): Rect[] {
    const out: Rect[] = [];
    for (const p of this.placed) {
      if (f < p.from || f > p.to) continue;
      const r = clampRect(followBox(p.drawn, p.anchor, p.atFrame, f), width, height);
      if (!r) continue;
      out.push(r);
      p.first ??= f;
      p.last = f;
      p.covered++;
    }
    return out;
  }

  report(): ReviewBoxReport[] {
    return this.placed.map((p) => ({ box: p.index, trackId: p.anchor?.id ?? null, frames: p.first === undefined ? null : [p.first, p.last!], framesCovered: p.covered }));
  }

  /** Warnings: boxes outside the picture, and boxes whose span holds no frame of the output. */
  finalWarnings(): string[] {
    return [...this.warnings, ...this.placed.filter((p) => p.covered === 0).map((p) => `review box ${p.index} covers no output frame (frames ${p.from}–${p.to}); it was not applied`)];
  }
}

/**
 * A kept subject counts as lost when the kept tracks of its class (the hint's person — or face —
 * track and any other kept track of that class: a reviewer's keep of its continuation counts)
 * span, from first to last detection together, less than this share of the clip's frames. Simple
 * on purpose: a tracker that loses the subject leaves the rest of its time obscured under another
 * id, and a subject who is only briefly in view is worth a look as well.
 */
export const SUBJECT_LOST_SHARE = 0.5;

export interface ReviewInput {
  tracks: readonly Track[];
  matches: readonly SubjectMatch[];
  /** Output frames (1 for a still). */
  frames: number;
  /** Keep ids asked (options.keepTracks ∪ edits.keepTracks). */
  keepAsked: readonly number[];
  edits?: RedactionEdits;
  verificationFailed: boolean;
  /** Smallest face side (px) the verifier finds reliably. */
  smallestVerified: number;
}

/** Detections that confirm a track (assignRolls gives fewer only short rolls). */
const CONFIRMED = 3;

/** Median of a face track's detected box sides (max of width and height). */
export function typicalSide(t: Track): number {
  const sides = t.boxes.map((b) => Math.max(b.w, b.h)).sort((a, b) => a - b);
  const n = sides.length;
  return n % 2 ? sides[(n - 1) / 2]! : (sides[n / 2 - 1]! + sides[n / 2]!) / 2;
}

/**
 * Why a person must look at this render before it is published (empty: the engine is sure). See
 * ReviewReasonSchema; a reviewer's explicit decision (edits keeping an existing track, or obscuring
 * tracks) resolves `subject-ambiguous` and `subject-not-matched`.
 */
export function reviewReasons(r: ReviewInput): ReviewReason[] {
  const reasons = new Set<ReviewReason>();
  if (r.verificationFailed) reasons.add('verifier-found-faces');
  // Confirmed face tracks only (≥ 3 detections, as assignRolls): a one-off small detection is most
  // often a false alarm (the demo clip has a 21 px blip on a 58 px face's edge) and is obscured anyway.
  if (r.tracks.some((t) => t.cls === 'face' && !t.kept && t.frames.length >= CONFIRMED && typicalSide(t) < r.smallestVerified)) reasons.add('faces-below-verified-size');
  const ids = new Set(r.tracks.map((t) => t.id));
  const decided = !!r.edits && ((r.edits.keepTracks ?? []).some((id) => ids.has(id)) || (r.edits.obscureTracks?.length ?? 0) > 0);
  if (!decided && r.matches.some((m) => m.outcome === 'ambiguous')) reasons.add('subject-ambiguous');
  if (!decided && r.matches.some((m) => m.outcome === 'not-matched')) reasons.add('subject-not-matched');
  if (r.frames > 1) {
    for (const m of r.matches) {
      if (m.outcome !== 'kept' || m.keptShare === 0 || m.trackId === null) continue;
      const cls = r.tracks.find((t) => t.id === m.trackId)?.cls;
      const kept = r.tracks.filter((t) => t.kept && t.cls === cls);
      if (spanShare(kept, r.frames) < SUBJECT_LOST_SHARE) reasons.add('subject-lost');
    }
  }
  if (r.keepAsked.some((id) => !ids.has(id))) reasons.add('keep-track-missing');
  return [...reasons];
}

/** Share of `frames` covered by the union of the tracks' [first, last] detection spans. */
function spanShare(tracks: readonly Track[], frames: number): number {
  const spans = tracks.map((t) => [t.frames[0]!, t.frames[t.frames.length - 1]!] as const).sort((a, b) => a[0] - b[0]);
  let covered = 0;
  let end = -1;
  for (const [a, b] of spans) {
    if (b <= end) continue;
    covered += b - Math.max(a, end + 1) + 1;
    end = b;
  }
  return covered / frames;
}

/** Warnings about edits naming tracks this run does not have. */
export function editWarnings(edits: RedactionEdits | undefined, tracks: readonly Track[]): string[] {
  if (!edits) return [];
  const ids = new Set(tracks.map((t) => t.id));
  const out: string[] = [];
  const missing = (list: readonly number[] | undefined) => (list ?? []).filter((id) => !ids.has(id));
  const ob = missing(edits.obscureTracks);
  if (ob.length) out.push(`edits: obscure-track id(s) ${ob.join(', ')} name no track in this run`);
  const bodies = (edits.obscureBodies ?? []).filter((id) => !tracks.some((t) => t.id === id && t.cls === 'person'));
  if (bodies.length) out.push(`edits: obscure-body id(s) ${bodies.join(', ')} name no person track in this run`);
  return out;
}
