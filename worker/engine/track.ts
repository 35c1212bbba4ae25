import type { SubjectHint } from '../../shared/domain/redaction.js';
import { headFromBody } from './detect/head-from-body.js';
import { SECOND_OPINION } from './detect/second-opinion.js';
import { centreDistance, coverage, iou, type Rect } from './frame.js';
import { type BystanderMode, frameRegions, holdTakenOver, onSubjectOnly, type Placed } from './persons-track.js';

/**
 * Links per-frame detections into tracks and turns them into a per-frame obscuring plan.
 *
 * - Association: greedy on IoU against each track's motion-predicted box, falling back to centre
 *   distance (small fast faces between detection frames may not overlap their last box).
 * - A track is obscured from `preRoll` frames before its first detection to `postRoll` after its
 *   last, and through every gap inside it (boxes interpolated between detections).
 * - Subject hints keep the matching track visible for its whole life; a hint that matches nothing
 *   or several tracks keeps nothing (fail-safe) and is reported. With person tracks the subject is
 *   a person (persons-track.ts); a hint may be a box around the body or the face, or a point.
 * - Track ids are deterministic and known when a track starts: the n-th track of a class gets
 *   3n + (0 face, 1 plate, 2 person), so the ids of one class never depend on how many tracks of
 *   another class there are (a second run can keep a track by id).
 */
export type TargetClass = 'face' | 'plate' | 'person';

const CLASS_ORDER: Record<TargetClass, number> = { face: 0, plate: 1, person: 2 };
const CLASSES = 3;

export interface Detection extends Rect {
  score: number;
  /**
   * Faces: a second model's score for this face (detect/second-opinion.ts), on faces of ≥ its
   * `minSide`; a verifier correction carries the verifier's own score.
   */
  second?: number;
}

export interface TrackParams {
  /** Longest gap (frames) bridged between two detections of the same track. */
  maxGap: number;
  preRoll: number;
  postRoll: number;
  /** Minimum IoU between prediction and detection for an IoU match. */
  minIou: number;
  /** Box growth per extrapolated frame (pre/post-roll), as a share of the box size. */
  rollGrowth: number;
  /** Pre-roll of confirmed plate tracks when longer than `preRoll` (plates are scanned whole-frame less often than faces). */
  platePreRoll?: number;
  /** Frames between detection scans of this class when none is missed (person tracks); gaps up to it get no slack. Default 1. */
  scanEvery?: number;
  /**
   * Person tracks: a confirmed track that starts or ends inside the picture (not at its edge) is
   * held this many frames before/after (people do not appear or vanish mid-frame: they were hidden
   * behind a pole, a sign or another person, or the detector lost them). The held box stops moving
   * `postRoll` frames out and grows at most `HOLD_GROWTH_FRAMES` × rollGrowth. Not for a kept
   * (subject) track, and not used to match a subject hint. Absent: no hold.
   */
  occludedRoll?: number;
  /** Person tracks: every hold stands its whole length, none is taken over by another track (persons-track.ts holdTakenOver; measurements). */
  keepHolds?: boolean;
}

/** A held box grows for at most this many frames of rollGrowth beyond its normal roll. */
export const HOLD_GROWTH_FRAMES = 8;

export const DEFAULT_TRACKING: TrackParams & { edgeRollMax: number } = { maxGap: 12, preRoll: 4, postRoll: 4, minIou: 0.2, rollGrowth: 0.04, edgeRollMax: 25, platePreRoll: 4 };

export interface Track {
  id: number;
  cls: TargetClass;
  /** Frames with a detection, ascending, and their boxes. */
  frames: number[];
  boxes: Rect[];
  kept: boolean;
  subjectHint?: number;
  /** Per-track rolls (see assignRolls); default to the parameters'. */
  preRoll?: number;
  postRoll?: number;
  /** Set for tracks entering/leaving at the frame edge: extrapolated boxes stay on the picture. */
  edgeClamp?: { width: number; height: number };
  /**
   * A reviewer's edit (edits.ts): `obscure` — never kept (wins over hints and keep ids), and a face
   * is obscured even where it lies on the subject; `body` — a person obscured whole (and never kept).
   */
  edit?: 'obscure' | 'body';
  /**
   * Set by assignRolls when a roll is an occlusion hold (TrackParams.occludedRoll): the rolls the
   * track has without the hold. A kept (subject) track and hint matching use those.
   */
  held?: { preRoll: number; postRoll: number };
  /** The shot the track lives in (cuts.ts): its rolls never reach across the shot's first or last frame. */
  shotStart?: number;
  shotEnd?: number;
  /** Faces: the second opinions on its detections (Detection.second), ascending by frame. */
  looks?: { frame: number; second: number }[];
}

/** Track ids a reviewer obscured (never kept) and person tracks obscured whole (see edits.ts). */
export interface TrackEdits {
  obscure: ReadonlySet<number>;
  bodies: ReadonlySet<number>;
}

export interface SubjectMatch {
  hint: number;
  frame: number;
  trackId: number | null;
  iou: number;
  keptShare: number;
  outcome: 'kept' | 'not-matched' | 'ambiguous';
  /** What the hint was matched against: person tracks, or face tracks (no person found there). */
  via?: 'person' | 'face';
  /** Ambiguous hints: the tracks it could mean (ids and boxes at the hint's frame). */
  candidates?: { trackId: number; class: TargetClass; box: Rect }[];
}

/**
 * Frame-by-frame association, fed one analysed frame at a time (causal: a track's past never
 * changes when later frames arrive, which is what lets the renderer run a bounded distance behind
 * the analysis, see StreamPlanner). Frames that were not analysed are simply not pushed.
 */
export class TrackBuilder {
  private readonly done: Track[] = [];
  /** Retired tracks whose rolls may still reach the frames asked of liveFrom. */
  private doneLive: Track[] = [];
  private active: Track[] = [];
  private count = 0;
  /** First frame of the current shot (the last cut; 0 before any). */
  private shotStart = 0;

  constructor(
    readonly cls: TargetClass,
    private readonly p: TrackParams,
    /** Track ids kept visible from their start (a second run's --keep-track). */
    private readonly keep: ReadonlySet<number> = new Set(),
    /** A reviewer's edits, marked on the tracks they name when those start (ids never change). */
    private readonly edits?: TrackEdits,
  ) {}

  private nextId(): number {
    return CLASSES * this.count++ + CLASS_ORDER[this.cls];
  }

  push(f: number, dets: readonly Detection[]): void {
    const p = this.p;
    // Retire tracks whose gap is too long.
    this.active = this.active.filter((t) => {
      if (f - t.frames[t.frames.length - 1]! > p.maxGap) {
        this.done.push(t);
        this.doneLive.push(t);
        return false;
      }
      return true;
    });
    const active = this.active;
    const pairs: { t: number; d: number; score: number }[] = [];
    active.forEach((t, ti) => {
      const pred = predict(t, f);
      dets.forEach((d, di) => {
        const o = iou(pred, d);
        if (o >= p.minIou) {
          pairs.push({ t: ti, d: di, score: 1 + o });
          return;
        }
        const size = Math.max(pred.w, pred.h, d.w, d.h);
        const dist = centreDistance(pred, d);
        const ratio = Math.max(pred.w, d.w) / Math.max(1, Math.min(pred.w, d.w));
        if (dist < size * 0.9 && ratio < 1.8) pairs.push({ t: ti, d: di, score: 1 - dist / size });
      });
    });
    pairs.sort((a, b) => b.score - a.score);
    const usedT = new Set<number>();
    const usedD = new Set<number>();
    for (const pr of pairs) {
      if (usedT.has(pr.t) || usedD.has(pr.d)) continue;
      usedT.add(pr.t);
      usedD.add(pr.d);
      const t = active[pr.t]!;
      const d = dets[pr.d]!;
      t.frames.push(f);
      t.boxes.push({ x: d.x, y: d.y, w: d.w, h: d.h });
      if (d.second !== undefined) (t.looks ??= []).push({ frame: f, second: d.second });
    }
    dets.forEach((d, di) => {
      if (usedD.has(di)) return;
      const id = this.nextId();
      const edit = this.edits?.bodies.has(id) ? ('body' as const) : this.edits?.obscure.has(id) ? ('obscure' as const) : undefined;
      active.push({
        id,
        cls: this.cls,
        frames: [f],
        boxes: [{ x: d.x, y: d.y, w: d.w, h: d.h }],
        kept: !edit && this.keep.has(id),
        ...(edit ? { edit } : {}),
        ...(this.shotStart ? { shotStart: this.shotStart } : {}),
        ...(d.second !== undefined ? { looks: [{ frame: f, second: d.second }] } : {}),
      });
    });
  }

  /**
   * A shot cut at frame f (cuts.ts): every active track ends before it — whoever stands at the same
   * place after a cut is someone else, and a kept subject must never continue onto them — and no
   * track's rolls reach across it. Call before pushing frame f's detections.
   */
  cut(f: number): void {
    for (const t of this.active) {
      t.shotEnd = f - 1;
      this.done.push(t);
      this.doneLive.push(t);
    }
    this.active = [];
    this.shotStart = f;
  }

  /** Every track so far (retired and active), by id. */
  all(): Track[] {
    return [...this.done, ...this.active].sort((a, b) => a.id - b.id);
  }

  /** Tracks that may still cover frame `f` or later (retired tracks whose rolls end before it are skipped). */
  liveFrom(f: number, maxPostRoll: number): Track[] {
    this.doneLive = this.doneLive.filter((t) => t.frames[t.frames.length - 1]! + maxPostRoll >= f);
    return [...this.doneLive, ...this.active].sort((a, b) => a.id - b.id);
  }
}

/** Frame-by-frame association; `detections[f]` is undefined for frames that were not analysed. */
export function buildTracks(detections: readonly (readonly Detection[] | undefined)[], cls: TargetClass, p: TrackParams, keep?: ReadonlySet<number>, edits?: TrackEdits): Track[] {
  const b = new TrackBuilder(cls, p, keep, edits);
  for (let f = 0; f < detections.length; f++) {
    const dets = detections[f];
    if (dets) b.push(f, dets);
  }
  return b.all();
}

/** Linear prediction from the last two detections. */
function predict(t: Track, f: number): Rect {
  const n = t.frames.length;
  const last = t.boxes[n - 1]!;
  if (n < 2) return last;
  const prev = t.boxes[n - 2]!;
  const df = t.frames[n - 1]! - t.frames[n - 2]!;
  const k = (f - t.frames[n - 1]!) / df;
  return { x: last.x + (last.x - prev.x) * k, y: last.y + (last.y - prev.y) * k, w: last.w, h: last.h };
}

/** Frames of detections next to a track's start/end its roll velocity is measured over. */
const VELOCITY_SPAN = 8;

/** The track's box at frame f: interpolated inside its life, extrapolated (and grown) in the rolls. */
export function boxAt(t: Track, f: number, p: TrackParams): Rect | undefined {
  const first = t.frames[0]!;
  const last = t.frames[t.frames.length - 1]!;
  const unheld = t.held && t.kept ? t.held : undefined;
  const pre = unheld?.preRoll ?? t.preRoll ?? p.preRoll;
  const post = unheld?.postRoll ?? t.postRoll ?? p.postRoll;
  if (f < first - pre || f > last + post) return undefined;
  if (f < first || f > last) {
    const n = t.frames.length;
    // Velocity over up to `VELOCITY_SPAN` frames next to the edge (two detections 2 frames apart
    // give a noisy direction that a 25-frame roll amplifies into a box beside the face).
    let ib = Math.min(1, n - 1);
    while (ib + 1 < n && t.frames[ib + 1]! - first <= VELOCITY_SPAN) ib++;
    let ia = Math.max(0, n - 2);
    while (ia - 1 >= 0 && last - t.frames[ia - 1]! <= VELOCITY_SPAN) ia--;
    [ia, ib] = f < first ? [0, ib] : [ia, n - 1];
    const edge = f < first ? ia : ib;
    const a = t.boxes[ia]!;
    const b = t.boxes[ib]!;
    const df = t.frames[ib]! - t.frames[ia]! || 1;
    const e = t.boxes[edge]!;
    // Forward velocity from the two detections nearest the edge, capped at one box size per frame.
    const vx = ia === ib ? 0 : clampAbs((b.x + b.w / 2 - (a.x + a.w / 2)) / df, e.w);
    const vy = ia === ib ? 0 : clampAbs((b.y + b.h / 2 - (a.y + a.h / 2)) / df, e.h);
    const dt = f - t.frames[edge]!;
    // A held box (occlusion) moves over the normal roll only, then stands and grows a little more.
    const base = heldSide(t, f) ? (f < first ? t.held!.preRoll : t.held!.postRoll) : undefined;
    const moveDt = base === undefined ? dt : Math.sign(dt) * Math.min(Math.abs(dt), base);
    const grow = 1 + p.rollGrowth * (base === undefined ? Math.abs(dt) : Math.min(Math.abs(dt), base + HOLD_GROWTH_FRAMES));
    let cx = e.x + e.w / 2 + vx * moveDt;
    let cy = e.y + e.h / 2 + vy * moveDt;
    if (t.edgeClamp) {
      cx = Math.max(0, Math.min(t.edgeClamp.width, cx));
      cy = Math.max(0, Math.min(t.edgeClamp.height, cy));
    }
    return { x: cx - (e.w * grow) / 2, y: cy - (e.h * grow) / 2, w: e.w * grow, h: e.h * grow };
  }
  const lo = detectionAtOrBefore(t, f);
  const fa = t.frames[lo]!;
  const a = t.boxes[lo]!;
  if (fa === f || lo === t.frames.length - 1) return a;
  const fb = t.frames[lo + 1]!;
  const b = t.boxes[lo + 1]!;
  const u = (f - fa) / (fb - fa);
  const box = { x: a.x + (b.x - a.x) * u, y: a.y + (b.y - a.y) * u, w: a.w + (b.w - a.w) * u, h: a.h + (b.h - a.h) * u };
  // Inside a gap the face may have wandered off the straight line: cover both ends' extent a little.
  const slack = Math.max(0, Math.min(0.5, 0.05 * (fb - fa - (p.scanEvery ?? 1))));
  return { x: box.x - box.w * slack / 2, y: box.y - box.h * slack / 2, w: box.w * (1 + slack), h: box.h * (1 + slack) };
}

/** Index of the track's last detection at or before frame f (binary search; 0 before its first). */
export function detectionAtOrBefore(t: Track, f: number): number {
  let lo = 0;
  let hi = t.frames.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (t.frames[mid]! <= f) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Per-track rolls. Confirmed tracks (≥ 3 detections) get the full pre/post-roll; a track that starts
 * or ends at the frame edge is extended while its extrapolated box is still in the picture (the face
 * was partly visible before the detector could see it, up to `edgeRollMax` frames); an unconfirmed
 * blip (1–2 detections that the following scans did not find again) gets a short roll only, so a
 * false detection does not hide the subject for long.
 */
export function assignRolls(tracks: Track[], width: number, height: number, p: TrackParams & { edgeRollMax: number }): void {
  for (const t of tracks) {
    t.edgeClamp = undefined;
    t.held = undefined;
    if (t.frames.length < 3) {
      t.preRoll = Math.min(2, p.preRoll);
      t.postRoll = Math.min(2, p.postRoll);
      continue;
    }
    const preRoll = t.cls === 'plate' ? Math.max(p.preRoll, p.platePreRoll ?? 0) : p.preRoll;
    t.preRoll = preRoll;
    t.postRoll = p.postRoll;
    // A face that enters or leaves through the frame edge is partly visible where the detector
    // cannot see it: hold its box at the edge (clamped onto the picture) for up to `edgeRollMax`.
    const touches = (e: Rect) => {
      const m = 0.35 * Math.max(e.w, e.h);
      return e.x < m || e.y < m || e.x + e.w > width - m || e.y + e.h > height - m;
    };
    // The box is probed where the track was first/last seen and where its roll extrapolates it to:
    // a face that walked in from the edge but was missed by the scan(s) right after it entered is
    // first detected inside the frame, moving away from the edge it came through.
    const probe = (edgeAt: 'start' | 'end') => {
      const roll = edgeAt === 'start' ? preRoll : p.postRoll;
      const e = edgeAt === 'start' ? t.boxes[0]! : t.boxes[t.boxes.length - 1]!;
      const far = boxAt({ ...t, edgeClamp: undefined, preRoll, postRoll: p.postRoll }, edgeAt === 'start' ? t.frames[0]! - roll : t.frames[t.frames.length - 1]! + roll, p);
      if (!touches(e) && !(far && touches(far))) {
        if (!p.occludedRoll || p.occludedRoll <= roll) return roll;
        holds[edgeAt] = true;
        return p.occludedRoll;
      }
      t.edgeClamp = { width, height };
      return Math.max(roll, p.edgeRollMax);
    };
    const holds = { start: false, end: false };
    t.preRoll = probe('start');
    t.postRoll = probe('end');
    if (holds.start || holds.end) t.held = { preRoll: holds.start ? preRoll : t.preRoll, postRoll: holds.end ? p.postRoll : t.postRoll };
  }
  // Rolls stay inside the track's shot (a cut: the picture before or after is another scene).
  for (const t of tracks) {
    if (t.shotStart !== undefined) t.preRoll = Math.min(t.preRoll ?? p.preRoll, t.frames[0]! - t.shotStart);
    if (t.shotEnd !== undefined) t.postRoll = Math.min(t.postRoll ?? p.postRoll, Math.max(0, t.shotEnd - t.frames[t.frames.length - 1]!));
    if (t.held) t.held = { preRoll: Math.min(t.held.preRoll, t.preRoll ?? p.preRoll), postRoll: Math.min(t.held.postRoll, t.postRoll ?? p.postRoll) };
  }
}

function clampAbs(v: number, max: number): number {
  return Math.max(-max, Math.min(max, v));
}

/**
 * Marks the tracks matched by subject hints as kept.
 *
 * With person tracks (`personP` given), the subject is a person: a box hint lying on a person's
 * head region (a box around the face) matches that person; any other box matches the persons it
 * mostly holds, by overlap (a box around the body); a point matches the persons whose box holds it,
 * by how central it lies. The matched person's track is kept, and so are the face tracks on its
 * head at the hint's frame. Where no person matches, the hint is matched against face tracks as
 * before: the faces whose box lies mostly inside the hint box (or around the point). Among several
 * candidates one must clearly score best, else the hint is ambiguous, nothing is kept for it, and
 * the candidates (ids, boxes) are reported. A track a reviewer obscured (`edit`) is never kept: a
 * hint matching it reports it with keptShare 0 and keeps nothing (not the faces on its head either).
 */
export function applySubjectHints(tracks: Track[], hints: readonly SubjectHint[], fps: number, frameCount: number, p: TrackParams, personP?: TrackParams): SubjectMatch[] {
  return hints.map((hint, index) => {
    const frame = Math.max(0, Math.min(frameCount - 1, Math.round(hint.atSeconds * fps)));
    const placed = (cls: TargetClass, params: TrackParams) =>
      tracks.filter((t) => t.cls === cls).flatMap((t) => {
        const b = nearestBox(t, frame, params);
        return b ? [{ t, b }] : [];
      });
    const persons = personP ? matchPersons(placed('person', personP), hint) : [];
    const faces = placed('face', p);
    const via = persons.length ? ('person' as const) : ('face' as const);
    const candidates = persons.length ? persons : matchFaces(faces, hint);
    if (candidates.length === 0) return { hint: index, frame, trackId: null, iou: 0, keptShare: 0, outcome: 'not-matched' as const };
    const [best, second] = candidates;
    if (second && !(best!.score >= (via === 'face' ? 0.3 : 0) && best!.score >= 1.5 * second.score)) {
      const listed = candidates.slice(0, 8).map((c) => ({ trackId: c.t.id, class: c.t.cls, box: roundRect(c.b) }));
      return { hint: index, frame, trackId: null, iou: round(best!.score), keptShare: 0, outcome: 'ambiguous' as const, via, candidates: listed };
    }
    const keep = (t: Track) => {
      if (t.edit) return;
      t.kept = true;
      t.subjectHint ??= index;
    };
    if (best!.t.edit) return { hint: index, frame, trackId: best!.t.id, iou: round(best!.score), keptShare: 0, outcome: 'kept' as const, via };
    keep(best!.t);
    if (via === 'person') {
      const head = headFromBody(best!.b);
      for (const f of faces) if (coverage(f.b, head) >= 0.5) keep(f.t);
    }
    return { hint: index, frame, trackId: best!.t.id, iou: round(best!.score), keptShare: 1, outcome: 'kept' as const, via };
  });
}

type Candidate = { t: Track; b: Rect; score: number };

/** How central a point lies in a box: 1 at its centre, 0 on its edge. */
function centrality(b: Rect, x: number, y: number): number {
  return 1 - Math.max(Math.abs(x - (b.x + b.w / 2)) / (b.w / 2), Math.abs(y - (b.y + b.h / 2)) / (b.h / 2));
}

function matchPersons(persons: { t: Track; b: Rect }[], hint: SubjectHint): Candidate[] {
  const sorted = (cs: Candidate[]) => cs.filter((c) => c.score > 0).sort((a, b) => b.score - a.score || a.t.id - b.t.id);
  if (hint.point) {
    const { x, y } = hint.point;
    return sorted(persons.map(({ t, b }) => ({ t, b, score: centrality(b, x, y) })));
  }
  const box = hint.box!;
  // A box lying on a person's head region and much smaller than the body: a box around the face.
  const onHead = sorted(
    persons.map(({ t, b }) => {
      const head = headFromBody(b);
      const fits = coverage(box, head) >= 0.6 && box.w * box.h <= 0.5 * b.w * b.h;
      return { t, b, score: fits ? (iou(box, head) + coverage(box, head)) / 2 : 0 };
    }),
  );
  if (onHead.length) return onHead;
  // Otherwise a box around the body: the persons it mostly holds, by overlap.
  return sorted(persons.map(({ t, b }) => ({ t, b, score: coverage(b, box) >= 0.6 || iou(b, box) >= 0.3 ? iou(b, box) : 0 })));
}

function matchFaces(faces: { t: Track; b: Rect }[], hint: SubjectHint): Candidate[] {
  const cs = hint.point
    ? faces.map(({ t, b }) => ({ t, b, score: centrality({ x: b.x - b.w / 2, y: b.y - b.h / 2, w: 2 * b.w, h: 2 * b.h }, hint.point!.x, hint.point!.y), cover: 1 }))
    : faces.map(({ t, b }) => ({ t, b, score: iou(b, hint.box!), cover: coverage(b, hint.box!) }));
  return cs
    .filter((c) => c.cover >= 0.6 && (!hint.point || c.score > 0))
    .sort((a, b) => b.score - a.score || b.cover - a.cover)
    .map(({ t, b, score }) => ({ t, b, score }));
}

function roundRect(r: Rect): Rect {
  return { x: Math.round(r.x), y: Math.round(r.y), w: Math.round(r.w), h: Math.round(r.h) };
}

function nearestBox(t: Track, f: number, p: TrackParams): Rect | undefined {
  // An occlusion hold is a guess where a hidden person is, not where the hint's person was seen.
  const track = t.held ? { ...t, ...t.held, held: undefined } : t;
  return boxAt(track, f, { ...p, preRoll: Math.max(p.preRoll, 2), postRoll: Math.max(p.postRoll, 2) });
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}

export interface FramePlan {
  /** Regions to obscure per frame (before padding). */
  obscure: Rect[][];
  /** Regions of kept (subject) tracks per frame: used by verification. */
  kept: Rect[][];
}

/** Person tracks in a plan: their tracking parameters and what is obscured of bystanders. */
export interface PersonPlanning {
  p: TrackParams & { edgeRollMax: number };
  mode: BystanderMode;
  /** The picture's height (a face on a close-up cut by the bottom edge may stand for its head: persons-track.ts standsForHead). */
  frameHeight?: number;
}

/** Per-frame regions for all tracks. Memory is O(frames × regions), boxes only. */
export function planFrames(tracks: readonly Track[], frameCount: number, p: TrackParams, persons?: PersonPlanning): FramePlan {
  const obscure: Rect[][] = Array.from({ length: frameCount }, () => []);
  const kept: Rect[][] = Array.from({ length: frameCount }, () => []);
  if (persons) {
    for (let f = 0; f < frameCount; f++) {
      const r = regionsAt(f, tracks, p, persons);
      obscure[f] = r.obscure;
      kept[f] = r.kept;
    }
    return { obscure, kept };
  }
  for (const t of tracks) {
    const from = Math.max(0, t.frames[0]! - (t.preRoll ?? p.preRoll));
    const to = Math.min(frameCount - 1, t.frames[t.frames.length - 1]! + (t.postRoll ?? p.postRoll));
    for (let f = from; f <= to; f++) {
      const b = boxAt(t, f, p);
      if (b) (t.kept ? kept : obscure)[f]!.push(b);
    }
  }
  return { obscure, kept };
}

/** Is frame f in a roll of track t that an occlusion hold lengthened (never for a kept track)? */
function heldSide(t: Track, f: number): boolean {
  if (!t.held || t.kept) return false;
  if (f < t.frames[0]!) return (t.preRoll ?? 0) > t.held.preRoll;
  if (f > t.frames[t.frames.length - 1]!) return (t.postRoll ?? 0) > t.held.postRoll;
  return false;
}

/**
 * A track's box at frame f, marked when it is an occlusion hold (none where another track took the
 * hold over: the person is seen there, persons-track.ts holdTakenOver); for a face in its pre/post-roll,
 * marked when the detection the roll starts from lay on the subject (and on nobody else's head)
 * then: the roll of a box on the subject's body follows the subject's face or a false alarm on its
 * body, so it is judged where it was seen, not where the extrapolation takes it.
 */
function placed(t: Track, box: Rect, f: number, params: TrackParams, persons?: { tracks: readonly Track[]; p: TrackParams }): Placed | undefined {
  const faceWindow = params.maxGap;
  // A hold another track took over is not placed: the person is seen there (persons-track.ts holdTakenOver).
  if (heldSide(t, f)) return persons && holdTakenOver(t, f, persons.tracks, persons.p) ? undefined : { t, box, held: true };
  if (persons && t.cls === 'person' && !t.kept) {
    const typical = typicalHeight(t, f, persons.p.maxGap);
    if (typical !== undefined && Math.abs(box.h - typical) > SIZE_JUMP * typical) return { t, box, typicalHeight: typical };
  }
  const doubt = persons && t.cls === 'face' && !t.kept && !t.edit && doubtedAt(t, f, faceWindow) ? { doubted: true as const } : {};
  if (persons && t.cls === 'face' && !t.kept && !t.edit && (f < t.frames[0]! || f > t.frames[t.frames.length - 1]!)) {
    const g = f < t.frames[0]! ? t.frames[0]! : t.frames[t.frames.length - 1]!;
    const seen = f < t.frames[0]! ? t.boxes[0]! : t.boxes[t.boxes.length - 1]!;
    const there = persons.tracks.flatMap((q) => {
      const b = boxAt(q, g, persons.p);
      return b ? [{ kept: q.kept, b }] : [];
    });
    if (onSubjectOnly(seen, there.filter((x) => x.kept).map((x) => x.b), there.filter((x) => !x.kept).map((x) => headFromBody(x.b)))) return { t, box, rollOnSubject: true, ...doubt };
  }
  return { t, box, ...doubt };
}

/**
 * Is face track t doubted at frame f (Placed.doubted)? Every second opinion on it so far scored
 * below the threshold, and it has stood still (each detection's centre within STILL_SHARE of its
 * side from the first's) or is a blip (found at most twice) — "so far" being up to `window` frames
 * past f (past its first detection for frames before it). The background stands still; a person's
 * face moves, and a person standing still has a body the person detector sees; a real face is found
 * again and again by the focused crops, while a false alarm may jump (vtest: a 71 px box on a roof
 * line, then a 44 px one 39 px away). A real face a look once confirmed stays confirmed, however
 * the next looks go (a compressed or turning face scores unevenly).
 * The window lies inside the stream planner's lag (lagFrames ≥ 2 × maxGap), and so does the count
 * of a blip's detections (settled within 2 × maxGap of the first, as the roll class of assignRolls),
 * so streaming and two-pass planning see the same detections.
 */
export function doubtedAt(t: Track, f: number, window: number, threshold: number = SECOND_OPINION.threshold): boolean {
  const looks = t.looks;
  if (!looks?.length) return false;
  const until = Math.max(f, t.frames[0]!) + window;
  if (looks[0]!.frame > until) return false;
  for (const l of looks) if (l.frame <= until && l.second >= threshold) return false;
  // A blip (found at most twice): its count is settled within 2 × maxGap of its first detection,
  // inside the planner's lag, as its roll class is (assignRolls).
  if (t.frames.length < 3) return true;
  const first = t.boxes[0]!;
  const cx = first.x + first.w / 2;
  const cy = first.y + first.h / 2;
  const reach = STILL_SHARE * Math.max(first.w, first.h);
  for (let i = 1; i < t.frames.length && t.frames[i]! <= until; i++) {
    const b = t.boxes[i]!;
    if (Math.hypot(b.x + b.w / 2 - cx, b.y + b.h / 2 - cy) > reach) return false;
  }
  return true;
}

/** How far (share of its side) a doubted face may move from where it was first seen (doubtedAt). */
export const STILL_SHARE = 0.25;

/** A person box this far (share) from its track's typical height is off (Placed.typicalHeight). */
export const SIZE_JUMP = 0.15;

/**
 * Median height of a track's detections within `window` frames of f (at least 3 of them), else
 * undefined. The window is at most the person tracks' maxGap, inside the stream planner's lag
 * (lagFrames), so streaming and two-pass planning see the same detections.
 */
export function typicalHeight(t: Track, f: number, window: number): number | undefined {
  const hs: number[] = [];
  for (let i = 0; i < t.frames.length; i++) if (Math.abs(t.frames[i]! - f) <= window) hs.push(t.boxes[i]!.h);
  if (hs.length < 3) return undefined;
  hs.sort((a, b) => a - b);
  const m = hs.length >> 1;
  return hs.length % 2 ? hs[m]! : (hs[m - 1]! + hs[m]!) / 2;
}

/** One frame's regions from tracks of every class (persons-track.ts frameRegions). */
function regionsAt(f: number, tracks: readonly Track[], p: TrackParams, persons: PersonPlanning): { obscure: Rect[]; kept: Rect[] } {
  const people = { tracks: tracks.filter((t) => t.cls === 'person'), p: persons.p };
  const at = (cls: TargetClass, params: TrackParams): Placed[] =>
    tracks.filter((t) => t.cls === cls).flatMap((t) => {
      const box = boxAt(t, f, params);
      const at = box && placed(t, box, f, params, people);
      return at ? [at] : [];
    });
  return frameRegions(at('face', p), at('plate', p), at('person', persons.p), persons.mode, persons.frameHeight);
}

/**
 * Inclusive frame range a track is obscured in (clipped to the media); for a person track, without
 * the ends of its holds that other tracks (`people`) took over (persons-track.ts holdTakenOver).
 */
export function trackRange(t: Track, frameCount: number, p: TrackParams, people?: readonly Track[]): [number, number] {
  let from = Math.max(0, t.frames[0]! - (t.preRoll ?? p.preRoll));
  let to = Math.min(frameCount - 1, t.frames[t.frames.length - 1]! + (t.postRoll ?? p.postRoll));
  if (people) {
    while (from < t.frames[0]! && heldSide(t, from) && holdTakenOver(t, from, people, p)) from++;
    while (to > t.frames[t.frames.length - 1]! && heldSide(t, to) && holdTakenOver(t, to, people, p)) to--;
  }
  return [from, to];
}

/**
 * The obscuring plan computed while the analysis is still running: the region list for frame `f` is
 * final once the analysis is `lagFrames(p)` frames past it (and past every subject hint's frame), and
 * equals what planFrames gives on the finished tracks. Why that lag suffices: association is causal;
 * a later track can only reach back over its pre-roll (≤ max(preRoll, edgeRollMax)); a track's roll
 * class (confirmed at 3 detections) settles within 2 × maxGap of its first detection; a gap longer
 * than maxGap retires a track, so interpolation around `f` is settled maxGap frames later. A hold
 * at `f` is taken over (holdTakenOver) by a track born by `f`, whose class has settled, or by one
 * that ended before the held track began, at most its roll after `f`, and was retired maxGap later.
 */
export function lagFrames(p: TrackParams & { edgeRollMax: number }): number {
  return maxRoll(p) + 2 * p.maxGap + 2;
}

/** The longest roll a track of these parameters can get (assignRolls). */
export function maxRoll(p: TrackParams & { edgeRollMax: number }): number {
  return Math.max(p.preRoll, p.platePreRoll ?? 0, p.edgeRollMax, p.postRoll, p.occludedRoll ?? 0);
}

export class StreamPlanner {
  private liveFaces: Track[] = [];
  private livePlates: Track[] = [];
  private readonly maxPostRoll: number;

  constructor(
    readonly faces: TrackBuilder,
    readonly plates: TrackBuilder,
    private readonly p: TrackParams & { edgeRollMax: number },
    private readonly width: number,
    private readonly height: number,
    /** Person tracks (issue 12): the subject is a person, bystanders' heads (or bodies) are obscured. */
    readonly persons?: { builder: TrackBuilder } & PersonPlanning,
  ) {
    this.maxPostRoll = Math.max(p.postRoll, p.edgeRollMax, p.preRoll) + 1;
  }

  /** The lag after which a frame's regions are final (lagFrames over every class's parameters). */
  lag(): number {
    return Math.max(lagFrames(this.p), this.persons ? lagFrames(this.persons.p) : 0);
  }

  /** Matches the subject hints against the tracks so far (call once the analysis is past every hint frame + lag). */
  applyHints(hints: readonly SubjectHint[], fps: number, frameCount: number): SubjectMatch[] {
    const tracks = [...this.faces.all(), ...this.plates.all()];
    assignRolls(tracks, this.width, this.height, this.p);
    if (!this.persons) return applySubjectHints(tracks, hints, fps, frameCount, this.p);
    const persons = this.persons.builder.all();
    assignRolls(persons, this.width, this.height, this.persons.p);
    return applySubjectHints([...tracks, ...persons], hints, fps, frameCount, this.p, this.persons.p);
  }

  /** Regions (obscured, kept) at frame `f`; frames must be asked for in ascending order. */
  at(f: number): { obscure: Rect[]; kept: Rect[] } {
    // Tracks retired before f − maxPostRoll can no longer reach f (or any later frame).
    this.liveFaces = this.faces.liveFrom(f, this.maxPostRoll);
    this.livePlates = this.plates.liveFrom(f, this.maxPostRoll);
    if (this.persons) {
      const pp = this.persons.p;
      const livePersons = this.persons.builder.liveFrom(f, maxRoll(pp) + 1);
      // Person rolls first: a face's roll is judged against the person boxes (placed).
      assignRolls(livePersons, this.width, this.height, pp);
      assignRolls([...this.liveFaces, ...this.livePlates], this.width, this.height, this.p);
      const people = { tracks: livePersons, p: pp };
      const place = (ts: Track[], params: TrackParams): Placed[] =>
        ts.flatMap((t) => {
          const box = boxAt(t, f, params);
          const at = box && placed(t, box, f, params, people);
          return at ? [at] : [];
        });
      return frameRegions(place(this.liveFaces, this.p), place(this.livePlates, this.p), place(livePersons, pp), this.persons.mode, this.height);
    }
    const obscure: Rect[] = [];
    const kept: Rect[] = [];
    for (const t of [...this.liveFaces, ...this.livePlates]) {
      assignRolls([t], this.width, this.height, this.p);
      const from = t.frames[0]! - (t.preRoll ?? this.p.preRoll);
      const to = t.frames[t.frames.length - 1]! + (t.postRoll ?? this.p.postRoll);
      if (f < from || f > to) continue;
      const b = boxAt(t, f, this.p);
      if (b) (t.kept ? kept : obscure).push(b);
    }
    return { obscure, kept };
  }
}
