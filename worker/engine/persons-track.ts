import type { Frame, Rect } from './frame.js';
import { centreDistance, coverage } from './frame.js';
import { headFromBody, headSize } from './detect/head-from-body.js';
import type { PersonFinder } from './detect/persons.js';
import type { Detection, Track, TrackParams } from './track.js';

/**
 * People in the redaction (issue 12): person detection on a cadence, person tracks, and what a
 * frame's person tracks change in the plan.
 *
 * - Every person other than the subject has the head region of its body box obscured ("head from
 *   body", detect/head-from-body.ts), whether or not a small face was found there: a small face box
 *   on the head region is no proof that the face is covered (on real vtest frames BlazeFace boxes on
 *   a collar or chin left the top of the head visible); a face of FACE_STANDS_FOR_HEAD px or more
 *   on it stands for the head. In `bodies` mode the whole body box is obscured too.
 * - The subject is a person track (chosen by a hint or kept by id): its box is kept visible, and a
 *   face box lying on it (its own face, or a false alarm on its torso, hands or what it carries) is
 *   not obscured — unless that face lies on another person's head region. Bystanders' bodies in
 *   `bodies` mode are obscured only outside the subject's box (their heads always).
 */
export type BystanderMode = 'heads' | 'bodies';
export const BYSTANDER_MODES = ['heads', 'bodies'] as const;

export interface PersonOptions {
  /** Person detection on the frames (default on whenever faces are a target). */
  enabled: boolean;
  /**
   * Seconds between person scans (tracks interpolate between): a time, so a 10 fps export and a
   * 30 fps one are scanned as often per second; in frames it is `personCadence(everySeconds, fps)`.
   */
  everySeconds: number;
  /** What is obscured of a person other than the subject. */
  mode: BystanderMode;
  /** Seconds a person lost inside the picture stays obscured where last seen (0: not held). */
  holdSeconds: number;
  /** A hold ends where another track takes the person up (holdTakenOver); false keeps every hold its whole length (measurements). */
  holdsTakenOver: boolean;
}

/**
 * Seconds a person track that ends (or starts) inside the picture is held (TrackParams.occludedRoll).
 * On vtest.avi people stand behind the signpost or one another for 1–6 s and the person detector
 * loses them there while their heads show beside it. Measured on its first 140 frames (the real
 * set's labelled part), heads left visible (face/head-frames) and longest visible run, hold 0 → 1 →
 * 2 → 3 s: 23 → 16 → 10 → 9, 9 → 6 → 6 → 6 frames (the 6 are a head wholly behind the sign), the
 * subject's body visible 54/63 throughout once a held head yields to the subject, false-obscured
 * 4.9 → 5.0 → 5.6 → 5.6 %.
 */
export const OCCLUDED_HOLD_SECONDS = 3;

/**
 * A scan every 0.3 s (3 frames at 10 fps, 7 at 25): chosen by measurement and cost, see
 * worker/README.md "People in the pipeline" (eval/persons-cadence.ts, npm run eval, npm run bench).
 */
export const DEFAULT_PERSONS: PersonOptions = { enabled: true, everySeconds: 0.3, mode: 'heads', holdSeconds: OCCLUDED_HOLD_SECONDS, holdsTakenOver: true };

/** Bounds of `everySeconds` (a scan at least every 2 s; at most every frame). */
export const PERSON_EVERY_SECONDS = { min: 0.02, max: 2 } as const;

/**
 * The person cadence in frames for a scan interval in seconds: the largest whole number of frames
 * not longer than the interval (never less than 1), so the time between scans never exceeds it.
 * Deterministic in (everySeconds, fps): track ids, which follow scan order, repeat between runs.
 */
export function personCadence(everySeconds: number, fps: number): number {
  if (!(everySeconds > 0) || !(fps > 0)) return 1;
  return Math.max(1, Math.floor(everySeconds * fps + 1e-6));
}

/** A face lies on a head region / a body when at least this share of it is inside. */
const ON = 0.5;

/**
 * A face box at least this wide (px), lying on a bystander's head region and big enough for it
 * (standsForHead), stands for that head: the head region is not obscured besides it. Below this
 * size the head region stays (on real vtest frames BlazeFace boxes of 10–30 px sat on chins and
 * collars and left the top of the head visible). At and above it, BlazeFace's boxes cover the head
 * as rendered (padded): recall 1.0 for faces 20–200 px on the generated set with faces alone, and
 * every 20–80 px face of the real set obscured with persons off; the head region of a
 * head-and-shoulders detection around such a face only hid background (false-obscured 0.81 → 2.58 %
 * on the generated set, 0.00 / 1.17 → 9.57 % on the real stills).
 */
export const FACE_STANDS_FOR_HEAD = 32;
/**
 * A face standing for a head is at least this share of the head region's width — or, on a box cut
 * by the bottom of the picture (a close-up: head and shoulders, or down to the waist), at least
 * STANDS_SHARE_CUT of the head size the box implies (headSize). The width rule keeps two people
 * merged into one box safe (one face found does not stand for both heads); on a close-up the width
 * is the shoulders', far more than a head: the close-ups of the real stills (faces 69–241 px) kept
 * head regions of up to 1570 × 1159 px that hid background (python3-skimage's camera 14.4 %
 * false-obscured → 0.0 with the second rule, face-api sample 3 10.4 → 0.9 %).
 */
export const STANDS_SHARE = 0.3;
export const STANDS_SHARE_CUT = 0.5;
/**
 * A box ending this close to the bottom (share of the picture's height, and 2 px) is cut by it: a
 * detector's box stops a little short of the edge (face-api sample 3: 13.7 px short of 1350).
 */
const CUT_MARGIN = 0.02;

/** Does face box f stand for the head (region `head`) of the person with box `person`? */
export function standsForHead(f: Rect, person: Rect, head: Rect, frameHeight?: number): boolean {
  if (f.w < FACE_STANDS_FOR_HEAD || coverage(f, head) < ON) return false;
  if (f.w >= STANDS_SHARE * head.w) return true;
  const cut = frameHeight !== undefined && person.y + person.h >= frameHeight * (1 - CUT_MARGIN) - 2;
  return cut && f.w >= STANDS_SHARE_CUT * headSize(person);
}

/** Tracking parameters for person tracks: gaps and rolls scaled to the person cadence and frame rate. */
export function personTracking<T extends TrackParams & { edgeRollMax: number }>(faces: T, cadence: number, fps = 0, holdSeconds = OCCLUDED_HOLD_SECONDS, holdsTakenOver = true): T {
  // A person entering or leaving through the edge is held there for at most a second, as a face is.
  return timedEdgeRoll({
    ...faces,
    // A person missed by one or two scans (occluded, a detector dip) stays one track.
    maxGap: Math.max(faces.maxGap, 3 * cadence),
    // A person first seen at scan f was there (unseen) since the previous scan.
    preRoll: Math.max(faces.postRoll, cadence + 1),
    postRoll: Math.max(faces.postRoll, cadence + 1),
    platePreRoll: 0,
    // Between two scans `cadence` frames apart nothing was missed: no gap slack (a missed scan gets it).
    scanEvery: cadence,
    // A person lost inside the picture is held where they were last seen (occluded, or missed).
    ...(fps > 0 && holdSeconds > 0 ? { occludedRoll: Math.max(cadence + 1, Math.round(holdSeconds * fps)), ...(holdsTakenOver ? {} : { keepHolds: true }) } : {}),
  }, fps);
}

/**
 * Longest edge roll of a track, in seconds (TrackParams edgeRollMax): how long a face or a person
 * entering or leaving through the edge is partly in the picture where the detector cannot see it is
 * a time, not a number of frames. DEFAULT_TRACKING's 25 frames are this at 25 fps; on vtest.avi
 * (10 fps) they were 2.5 s: a walker first detected at the right edge at frame 117 had its head
 * region held at the edge from frame 92, before anyone was there, and a face first found 26 px in
 * from the edge at frame 26 was rolled back to the edge from frame 1.
 */
export const EDGE_ROLL_SECONDS = 1;

/** Face and plate tracking for a video of this rate: the edge roll at most EDGE_ROLL_SECONDS (never under the pre-roll). */
export function timedEdgeRoll<T extends TrackParams & { edgeRollMax: number }>(p: T, fps: number): T {
  return fps > 0 ? { ...p, edgeRollMax: Math.min(p.edgeRollMax, Math.max(p.preRoll, Math.round(EDGE_ROLL_SECONDS * fps))) } : p;
}

/**
 * Is the occlusion hold of person track `t` at frame `f` taken over by another track — the person
 * it guesses at seen again? A hold stands where a person vanished inside the picture (or before
 * one appeared there) for OCCLUDED_HOLD_SECONDS, because a person does not vanish mid-frame: they
 * went behind something or the detector lost them. When the detector loses a person and finds them
 * again, that is two tracks, and each got a hold: the first kept a head region where it was last
 * seen for 3 s after the person walked on as the second, and the second one where it was first seen
 * for 3 s before, while the person was still seen as the first. A hold after `t` is taken over
 * from the first detection of a confirmed track (≥ 3 detections) that starts after `t` ends, within
 * one body height (HOLD_TAKEN_WITHIN) of where `t` was last seen and of a like height
 * (HOLD_TAKEN_SIZE); a hold before `t` up to the last detection of one that ended before `t`
 * started, within a body height of where `t` was first seen and of a like height.
 * Between the two tracks both holds stand (the person is hidden there). None is taken over with
 * `keepHolds` (PersonOptions.holdsTakenOver false). On vtest.avi the walkers
 * crossing behind the signpost and each other break into tracks this way: holds were over half of
 * the area obscured outside people.
 */
export function holdTakenOver(t: Track, f: number, people: readonly Track[], p?: Pick<TrackParams, 'keepHolds'>): boolean {
  if (p?.keepHolds) return false;
  const first = t.frames[0]!;
  const last = t.frames[t.frames.length - 1]!;
  if (f > last) {
    const seen = t.boxes[t.boxes.length - 1]!;
    return people.some((q) => q !== t && q.frames.length >= 3 && q.frames[0]! > last && q.frames[0]! <= f && near(seen, q.boxes[0]!));
  }
  if (f < first) {
    const seen = t.boxes[0]!;
    return people.some((q) => q !== t && q.frames.length >= 3 && q.frames[q.frames.length - 1]! < first && q.frames[q.frames.length - 1]! >= f && near(q.boxes[q.boxes.length - 1]!, seen));
  }
  return false;
}

/** Distance (in the taller box's heights) within which a new track takes over a hold (holdTakenOver). */
export const HOLD_TAKEN_WITHIN = 1;
/**
 * ...and the most the two boxes' heights may differ (ratio): somebody nearer or farther from the
 * camera is not the person lost. Twice the jitter SIZE_JUMP allows; on vtest the rule gives the
 * same 1.85 % with this condition as without it.
 */
export const HOLD_TAKEN_SIZE = 1.3;

function near(a: Rect, b: Rect): boolean {
  if (Math.max(a.h, b.h) > HOLD_TAKEN_SIZE * Math.min(a.h, b.h)) return false;
  return centreDistance(a, b) <= HOLD_TAKEN_WITHIN * Math.max(a.h, b.h);
}

/**
 * Person detections on every `cadence`-th frame, kept (boxes only) so that a correction round
 * replays them instead of running the detector again.
 */
export class PersonSource {
  private readonly seen = new Map<number, Detection[]>();

  constructor(
    private readonly detector: PersonFinder,
    readonly cadence: number,
    private readonly prof?: Record<string, number>,
  ) {}

  get model() {
    return this.detector.model;
  }

  async at(frame: Frame, f: number): Promise<Detection[] | undefined> {
    if (f % this.cadence !== 0) return undefined;
    const known = this.seen.get(f);
    if (known) return known;
    const t = performance.now();
    const found = (await this.detector.detect(frame)).map(({ x, y, w, h, score }) => ({ x, y, w, h, score }));
    if (this.prof) {
      this.prof.persons = (this.prof.persons ?? 0) + performance.now() - t;
      this.prof.personFrames = (this.prof.personFrames ?? 0) + 1;
    }
    this.seen.set(f, found);
    return found;
  }
}

export interface Placed {
  t: Track;
  box: Rect;
  /** The box is an occlusion hold (TrackParams.occludedRoll): where a hidden person probably is. */
  held?: boolean;
  /** A face's roll whose detection lay on the subject and on nobody else's head (track.ts placed). */
  rollOnSubject?: boolean;
  /**
   * A bystander's box whose height here is off its track's typical height (track.ts typicalHeight,
   * SIZE_JUMP): something in front (a sign, a counter) or a neighbour merged into the box, or part of
   * the person hidden, moved its top. The head region of a box of the typical height standing on the
   * same feet is obscured as well as the box's own.
   */
  typicalHeight?: number;
  /**
   * A face track no second opinion has confirmed, standing still (track.ts doubtedAt,
   * detect/second-opinion.ts): not obscured where it lies on no person seen (frameRegions).
   */
  doubted?: boolean;
}

/**
 * A "face" lying partly on a person's body below the head, at least this many times the head size
 * that person's box implies, is too big to be a face there: a real one would belong to somebody
 * nearer the camera, whose body the person detector sees (and whose head region it then lies on).
 */
export const FACE_TOO_BIG_FOR_BODY = 2;
/** Share of such a box that must lie on the body (the verifier's share for a finding on the subject, verify.ts judgeFrame). */
const PARTLY_ON = 0.3;

/** A box partly on `person`'s body below its head region and too big to be a face of that size of person. */
export function tooBigOnBody(box: Rect, person: Rect): boolean {
  const head = headFromBody(person);
  return coverage(box, person) >= PARTLY_ON && Math.min(box.w, box.h) >= FACE_TOO_BIG_FOR_BODY * headSize(person) && box.y + box.h / 2 > head.y + head.h;
}

/** Does a face box lie partly (PARTLY_ON) on a person's box or its head region? */
export function onPerson(box: Rect, person: Rect): boolean {
  return coverage(box, person) >= PARTLY_ON || coverage(box, headFromBody(person)) >= PARTLY_ON;
}

/**
 * A box on the subject (one of `subjects`) and on nobody else's head region: the subject's own face
 * or a box on its body — lying mostly on it, or partly on it below the head and too big for a face
 * there (a false alarm on the legs, half on the ground beside them).
 */
export function onSubjectOnly(box: Rect, subjects: readonly Rect[], otherHeads: readonly Rect[]): boolean {
  return subjects.some((s) => coverage(box, s) >= ON || tooBigOnBody(box, s)) && !otherHeads.some((h) => coverage(box, h) >= ON);
}

/**
 * The regions of one frame from the face, plate and person tracks there (boxes at this frame).
 * Order is deterministic (the callers pass tracks sorted by id).
 */
export function frameRegions(faces: readonly Placed[], plates: readonly Placed[], persons: readonly Placed[], mode: BystanderMode, frameHeight?: number): { obscure: Rect[]; kept: Rect[] } {
  const obscure: Rect[] = [];
  const kept: Rect[] = [];
  const subjects = persons.filter((p) => p.t.kept).map((p) => p.box);
  const others = persons.filter((p) => !p.t.kept);
  const otherHeads = others.map((p) => headFromBody(p.box));
  /** The bystanders' faces obscured here (one of them may stand for a person's head below). */
  const bystanderFaces: Rect[] = [];
  for (const p of faces) {
    const { t, box } = p;
    // A face a reviewer obscured is obscured wherever it lies (also on the subject).
    if (t.edit) {
      obscure.push(box);
      bystanderFaces.push(box);
      continue;
    }
    if (t.kept) {
      kept.push(box);
      continue;
    }
    // On the subject and on nobody else's head: the subject's own face or a box on its body; the
    // roll of such a box likewise, unless it now lies on somebody else's head.
    if (onSubjectOnly(box, subjects, otherHeads)) continue;
    if (p.rollOnSubject && !otherHeads.some((h) => coverage(box, h) >= ON)) continue;
    // Two face models disagree and no body seen here carries it (a hold is a guess where a hidden
    // person is, not a body seen): a false alarm on the background.
    if (p.doubted && !persons.some((q) => !q.held && onPerson(box, q.box))) continue;
    obscure.push(box);
    bystanderFaces.push(box);
  }
  for (const { t, box } of plates) (t.kept ? kept : obscure).push(box);
  others.forEach((p, i) => {
    const head = otherHeads[i]!;
    if (bystanderFaces.some((f) => standsForHead(f, p.box, head, frameHeight))) {
      // the face found there stands for the head
    } else if (p.held) {
      // A held head is a guess where a hidden person is: where the subject is seen, the subject wins
      // (by a margin of a quarter head, what the render's padding adds back to the pieces).
      const mx = HELD_MARGIN * head.w;
      const my = HELD_MARGIN * head.h;
      obscure.push(...subtractAll(head, subjects.map((s) => ({ x: s.x - mx, y: s.y - my, w: s.w + 2 * mx, h: s.h + 2 * my }))));
    } else obscure.push(head);
    if (p.typicalHeight !== undefined && !p.held) obscure.push(headFromBody({ x: p.box.x, y: p.box.y + p.box.h - p.typicalHeight, w: p.box.w, h: p.typicalHeight }));
    // A person a reviewer obscured whole: the whole body box, also where it overlaps the subject.
    if (p.t.edit === 'body') obscure.push(p.box);
    else if (mode === 'bodies') for (const part of subtractAll(p.box, subjects)) obscure.push(part);
  });
  kept.push(...subjects);
  return { obscure, kept };
}

/** Margin (share of the head) by which the subject's box is cleared of a held head (the render pads obscured boxes by 0.25). */
const HELD_MARGIN = 0.25;

/** `a` minus `b`: up to four rectangles covering what of `a` lies outside `b`. */
export function subtract(a: Rect, b: Rect): Rect[] {
  const x0 = Math.max(a.x, b.x);
  const y0 = Math.max(a.y, b.y);
  const x1 = Math.min(a.x + a.w, b.x + b.w);
  const y1 = Math.min(a.y + a.h, b.y + b.h);
  if (x1 <= x0 || y1 <= y0) return [a];
  const out: Rect[] = [];
  if (y0 > a.y) out.push({ x: a.x, y: a.y, w: a.w, h: y0 - a.y });
  if (y1 < a.y + a.h) out.push({ x: a.x, y: y1, w: a.w, h: a.y + a.h - y1 });
  if (x0 > a.x) out.push({ x: a.x, y: y0, w: x0 - a.x, h: y1 - y0 });
  if (x1 < a.x + a.w) out.push({ x: x1, y: y0, w: a.x + a.w - x1, h: y1 - y0 });
  return out;
}

function subtractAll(a: Rect, bs: readonly Rect[]): Rect[] {
  let parts = [a];
  for (const b of bs) parts = parts.flatMap((p) => subtract(p, b));
  return parts.filter((p) => p.w >= 1 && p.h >= 1);
}
