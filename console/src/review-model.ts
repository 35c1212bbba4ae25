/**
 * The review page's logic without the DOM (unit-tested in review-model.spec.ts): reasons in words,
 * where a track is at a frame, the default span of a drawn box, and the pending edit set.
 */

// The review API's shapes used here (api.ts re-uses them; this module stays free of the DOM).
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}
export type ReviewReason = 'verifier-found-faces' | 'faces-below-verified-size' | 'subject-ambiguous' | 'subject-not-matched' | 'subject-lost' | 'keep-track-missing';
export interface ReviewTrack {
  id: number;
  class: 'person' | 'face' | 'plate';
  kept: boolean;
  firstFrame: number;
  lastFrame: number;
  /** Boxes at keyframes, in output pixels. */
  boxes: Array<{ frame: number } & Box>;
}
export interface ReviewBox {
  atSeconds: number;
  fromSeconds: number;
  toSeconds: number;
  box: Box;
}
export interface ReviewEdits {
  keepTracks?: number[];
  obscureTracks?: number[];
  obscureBodies?: number[];
  boxes?: ReviewBox[];
}
export const REASON_TEXT: Record<ReviewReason, string> = {
  'verifier-found-faces': 'The independent check still found faces outside the obscured regions after its own corrections (they are obscured in this render; check them).',
  'faces-below-verified-size': 'Some obscured faces are smaller than the independent check can verify; check that every small face is covered.',
  'subject-ambiguous': 'The subject mark matched several people, so nobody was kept visible; choose the subject’s track.',
  'subject-not-matched': 'The subject mark matched nobody, so everyone was obscured; keep the subject’s track if it is there.',
  'subject-lost': 'The subject’s track covers too little of the clip (the tracker lost them and the rest is obscured).',
  'keep-track-missing': 'A track id asked to be kept names no track of this run.',
};

export function reasonText(reason: string): string {
  return (REASON_TEXT as Record<string, string>)[reason] ?? `Needs review: ${reason}.`;
}

/**
 * A track's box at `frame`: linear between the keyframe boxes around it, the nearest keyframe's box
 * before the first or after the last one, nothing outside firstFrame..lastFrame.
 */
export function boxAt(track: Pick<ReviewTrack, 'firstFrame' | 'lastFrame' | 'boxes'>, frame: number): Box | undefined {
  if (frame < track.firstFrame || frame > track.lastFrame || track.boxes.length === 0) return undefined;
  const boxes = [...track.boxes].sort((a, b) => a.frame - b.frame);
  let after = boxes.findIndex((b) => b.frame >= frame);
  if (after === -1) after = boxes.length - 1;
  const b1 = boxes[after]!;
  if (b1.frame <= frame || after === 0) return { x: b1.x, y: b1.y, w: b1.w, h: b1.h };
  const b0 = boxes[after - 1]!;
  const t = (frame - b0.frame) / (b1.frame - b0.frame);
  const lerp = (a: number, b: number) => a + (b - a) * t;
  return { x: lerp(b0.x, b1.x), y: lerp(b0.y, b1.y), w: lerp(b0.w, b1.w), h: lerp(b0.h, b1.h) };
}

/** The span a drawn box is obscured over by default: from 1 s before to 2 s after, within the clip. */
export function defaultSpan(atSeconds: number, durationSeconds: number): { fromSeconds: number; toSeconds: number } {
  const round = (v: number) => Math.round(v * 100) / 100;
  const end = Number.isFinite(durationSeconds) && durationSeconds > 0 ? durationSeconds : atSeconds + 2;
  return { fromSeconds: round(Math.max(0, atSeconds - 1)), toSeconds: round(Math.min(end, atSeconds + 2)) };
}

/**
 * A rectangle dragged on the overlay (CSS pixels, relative to it) in the render's pixels, clamped to
 * the picture and rounded.
 */
export function toRenderBox(a: { x: number; y: number }, b: { x: number; y: number }, shown: { width: number; height: number }, render: { width: number; height: number }): Box {
  const sx = render.width / shown.width;
  const sy = render.height / shown.height;
  const cx = (v: number) => Math.max(0, Math.min(render.width, v * sx));
  const cy = (v: number) => Math.max(0, Math.min(render.height, v * sy));
  const x0 = Math.round(Math.min(cx(a.x), cx(b.x)));
  const y0 = Math.round(Math.min(cy(a.y), cy(b.y)));
  const x1 = Math.round(Math.max(cx(a.x), cx(b.x)));
  const y1 = Math.round(Math.max(cy(a.y), cy(b.y)));
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}

/** Why a typed or drawn box cannot be added (undefined when it can). */
export function boxProblem(rb: ReviewBox, render: { width: number; height: number; durationSeconds?: number }): string | undefined {
  const { box } = rb;
  if (![box.x, box.y, box.w, box.h, rb.fromSeconds, rb.toSeconds, rb.atSeconds].every(Number.isFinite)) return 'Every box field needs a number.';
  if (box.w < 2 || box.h < 2) return 'Drag a box on the picture first (or type its size).';
  if (box.x < 0 || box.y < 0 || box.x + box.w > render.width || box.y + box.h > render.height) return `The box must lie inside the picture (${render.width} × ${render.height} px).`;
  if (rb.fromSeconds > rb.atSeconds || rb.atSeconds > rb.toSeconds) return 'The span must run from before to after the current time.';
  if (render.durationSeconds !== undefined && rb.toSeconds > render.durationSeconds + 0.01) return `The span must end within the clip (${render.durationSeconds.toFixed(2)} s).`;
  return undefined;
}

export type TrackAction = 'keep' | 'obscure' | 'body';

/** The whole edit set the reviewer is building (sent as one, replacing the previous version). */
export class EditSet {
  keep = new Set<number>();
  obscure = new Set<number>();
  bodies = new Set<number>();
  boxes: ReviewBox[] = [];

  constructor(from?: ReviewEdits | null) {
    for (const id of from?.keepTracks ?? []) this.keep.add(id);
    for (const id of from?.obscureTracks ?? []) this.obscure.add(id);
    for (const id of from?.obscureBodies ?? []) this.bodies.add(id);
    this.boxes = [...(from?.boxes ?? [])];
  }

  /**
   * Toggles an action on a track. Keeping and obscuring exclude each other: keeping a track drops
   * it from the obscured tracks and bodies, obscuring it (or its body) drops it from the kept ones.
   */
  toggle(action: TrackAction, id: number): void {
    const set = action === 'keep' ? this.keep : action === 'obscure' ? this.obscure : this.bodies;
    if (set.has(id)) {
      set.delete(id);
      return;
    }
    set.add(id);
    if (action === 'keep') {
      this.obscure.delete(id);
      this.bodies.delete(id);
    } else this.keep.delete(id);
  }

  has(action: TrackAction, id: number): boolean {
    return (action === 'keep' ? this.keep : action === 'obscure' ? this.obscure : this.bodies).has(id);
  }

  /** The request body of POST …/review/edits. */
  body(baseVersion: number): { baseVersion: number } & ReviewEdits {
    const sorted = (s: Set<number>) => [...s].sort((a, b) => a - b);
    return { baseVersion, keepTracks: sorted(this.keep), obscureTracks: sorted(this.obscure), obscureBodies: sorted(this.bodies), boxes: this.boxes.map((b) => ({ ...b, box: { ...b.box } })) };
  }

  /** Whether this set differs from the edits the render applied. */
  differsFrom(applied: ReviewEdits | null | undefined): boolean {
    const a = this.body(0);
    const b = new EditSet(applied).body(0);
    return JSON.stringify(a) !== JSON.stringify(b);
  }
}

/** What a track shows in the current render, and what the pending edits would change. */
export function trackState(track: Pick<ReviewTrack, 'id' | 'kept'>, edits: EditSet): { now: string; pending: string } {
  const now = track.kept ? 'kept visible' : 'obscured';
  const pending = [edits.has('keep', track.id) && 'keep as subject', edits.has('obscure', track.id) && 'obscure', edits.has('body', track.id) && 'obscure whole person'].filter(Boolean).join(', ');
  return { now, pending };
}
