import { describe, expect, it } from 'vitest';
import type { SubjectHint } from '../../shared/domain/redaction.js';
import {
  applySubjectHints,
  assignRolls,
  boxAt,
  buildTracks,
  DEFAULT_TRACKING,
  type Detection,
  doubtedAt,
  HOLD_GROWTH_FRAMES,
  lagFrames,
  planFrames,
  trackRange,
  SIZE_JUMP,
  StreamPlanner,
  type Track,
  TrackBuilder,
  typicalHeight,
} from './track.js';
import { headFromBody } from './detect/head-from-body.js';
import { coverage } from './frame.js';
import { holdTakenOver, personTracking, timedEdgeRoll } from './persons-track.js';
import { mulberry32 } from '../../test/fixtures/media/generate.js';

/** Random moving objects with missed detections, blips, edge entries and a detection cadence. */
function scenario(seed: number, frames: number, W: number, H: number) {
  const r = mulberry32(seed);
  const objects = Array.from({ length: 6 + Math.floor(r() * 6) }, () => {
    const from = Math.floor(r() * frames * 0.8);
    const to = Math.min(frames - 1, from + 3 + Math.floor(r() * frames * 0.6));
    const size = 16 + r() * 120;
    const edge = r() < 0.3;
    return { from, to, size, x: edge ? -size * 0.3 : r() * W, y: r() * H, vx: (r() - 0.5) * 12, vy: (r() - 0.5) * 4, miss: r() * 0.4 };
  });
  const cadence = 1 + Math.floor(r() * 3);
  const faces: (Detection[] | undefined)[] = [];
  const plates: (Detection[] | undefined)[] = [];
  for (let f = 0; f < frames; f++) {
    if (f % cadence === 0) {
      faces[f] = [];
      for (const o of objects) {
        if (f < o.from || f > o.to || r() < o.miss) continue;
        const t = f - o.from;
        faces[f]!.push({ x: o.x + o.vx * t + (r() - 0.5) * 3, y: o.y + o.vy * t, w: o.size, h: o.size, score: 0.9 });
      }
      if (r() < 0.05) faces[f]!.push({ x: r() * W, y: r() * H, w: 20, h: 20, score: 0.5 });
    }
    if (f % 6 === 0) plates[f] = r() < 0.7 ? [{ x: 100 + f * 3, y: 500, w: 120, h: 26, score: 0.8 }] : [];
  }
  return { faces, plates };
}

type Scans = (Detection[] | undefined)[];

/**
 * Streams the detections through the planner as the engine does — the renderer trails the analysis
 * by the planner's lag (and waits past every hint frame) — and expects every frame's regions and the
 * hint matches to equal the two-pass reference.
 */
function streamAgainst(planner: StreamPlanner, scans: { faces: Scans; plates: Scans; persons?: Scans }, ref: ReturnType<typeof planFrames>, refMatches: unknown, hints: SubjectHint[], fps: number, n: number): void {
  const lag = planner.lag();
  const hintFrames = hints.map((h) => Math.round(h.atSeconds * fps));
  let matches: unknown;
  let m = 0;
  const render = (analysed: number, done: boolean) => {
    while (m < n && (done || analysed >= Math.max(m, ...hintFrames) + lag)) {
      matches ??= planner.applyHints(hints, fps, done ? n : Number.MAX_SAFE_INTEGER);
      const got = planner.at(m);
      expect(got.obscure, `frame ${m}`).toEqual(ref.obscure[m]);
      expect(got.kept, `frame ${m}`).toEqual(ref.kept[m]);
      m++;
    }
  };
  for (let f = 0; f < n; f++) {
    if (scans.faces[f]) planner.faces.push(f, scans.faces[f]!);
    if (scans.plates[f]) planner.plates.push(f, scans.plates[f]!);
    if (scans.persons?.[f]) planner.persons!.builder.push(f, scans.persons[f]!);
    render(f + 1, false);
  }
  render(n, true);
  expect(m).toBe(n);
  expect(matches).toEqual(refMatches);
}

describe('second opinions on a face track (doubtedAt)', () => {
  const d = (x: number, second?: number): Detection => ({ x, y: 100, w: 30, h: 30, score: 0.6, ...(second !== undefined ? { second } : {}) });
  /** One face track from [frame, x, second?] detections. */
  const trackOf = (dets: [number, number, number?][]): Track => {
    const scans: (Detection[] | undefined)[] = [];
    for (const [f, x, second] of dets) scans[f] = [d(x, second)];
    const tracks = buildTracks(scans, 'face', DEFAULT_TRACKING);
    expect(tracks).toHaveLength(1);
    return tracks[0]!;
  };

  it('records the looks of its detections; a still track is doubted until a look within the window confirms it, then never again', () => {
    // frame 12: a focused crop between full scans, no look
    const t = trackOf([[10, 100, 0.2], [12, 101], [16, 102, 0.3], [24, 100, 0.9], [32, 101, 0.1]]);
    expect(t.looks).toEqual([
      { frame: 10, second: 0.2 },
      { frame: 16, second: 0.3 },
      { frame: 24, second: 0.9 },
      { frame: 32, second: 0.1 },
    ]);
    // before the first detection: the looks up to `window` past it
    expect(doubtedAt(t, 2, 4)).toBe(true);
    expect(doubtedAt(t, 19, 4)).toBe(true);
    // the confirmation at 24 is seen 4 frames ahead, and stands for the rest of the track
    expect(doubtedAt(t, 20, 4)).toBe(false);
    expect(doubtedAt(t, 40, 4)).toBe(false);
    expect(doubtedAt(t, 2, 14)).toBe(false);
  });

  it('a blip (found at most twice) no look confirmed is doubted wherever it jumped', () => {
    const jumped = trackOf([[0, 100, 0.1], [4, 112, 0.2]]); // 12 px: more than a quarter of its side
    expect(doubtedAt(jumped, 0, 4)).toBe(true);
    expect(doubtedAt(jumped, 6, 4)).toBe(true);
    const confirmed = trackOf([[0, 100, 0.1], [4, 112, 0.6]]);
    expect(doubtedAt(confirmed, 0, 4)).toBe(false);
  });

  it('a face that moves is never doubted, once found three times (the background stands still)', () => {
    // at 4, 6 px from where it was first seen (within a quarter of its 30 px side); at 8, 12 px
    const t = trackOf([[0, 100, 0.1], [4, 106, 0.1], [8, 112, 0.1]]);
    expect(doubtedAt(t, 0, 4)).toBe(true);
    expect(doubtedAt(t, 3, 4)).toBe(true);
    expect(doubtedAt(t, 4, 4)).toBe(false);
    expect(doubtedAt(t, 0, 8)).toBe(false);
  });

  it('a track without looks (small faces, or no second opinion) is never doubted; nor before a first look beyond the window', () => {
    const t = trackOf([[0, 100], [8, 101, 0.1]]);
    expect(doubtedAt(t, 0, 4)).toBe(false);
    expect(doubtedAt(t, 3, 4)).toBe(false);
    expect(doubtedAt(t, 4, 4)).toBe(true);
    const plain = trackOf([[0, 100], [1, 101]]);
    expect(plain.looks).toBeUndefined();
    expect(doubtedAt(plain, 1, 4)).toBe(false);
  });
});

describe('StreamPlanner', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('gives the same plan as the two-pass planner (seed %i)', (seed) => {
    const W = 1280;
    const H = 720;
    const n = 300;
    const fps = 25;
    const p = { ...DEFAULT_TRACKING, preRoll: 9, platePreRoll: 25 };
    const { faces, plates } = scenario(seed, n, W, H);
    // A hint on some face at a random time (may match, be ambiguous, or match nothing).
    const r = mulberry32(seed * 7);
    const hf = Math.floor(r() * n);
    const anyFace = faces[hf - (hf % 3)]?.[0];
    const hints: SubjectHint[] = anyFace ? [{ atSeconds: hf / fps, box: { x: anyFace.x - 10, y: anyFace.y - 10, w: anyFace.w + 20, h: anyFace.h + 40 } }] : [];

    // Two-pass reference.
    const ft = buildTracks(faces, 'face', p);
    const pt = buildTracks(plates, 'plate', p);
    const all = [...ft, ...pt];
    assignRolls(all, W, H, p);
    const refMatches = applySubjectHints(all, hints, fps, n, p);
    const ref = planFrames(all, n, p);

    // Streaming: the renderer trails the analysis by the lag (and waits past every hint frame).
    const planner = new StreamPlanner(new TrackBuilder('face', p), new TrackBuilder('plate', p), p, W, H);
    expect(planner.lag()).toBe(lagFrames(p));
    streamAgainst(planner, { faces, plates }, ref, refMatches, hints, fps, n);
  });
});

describe('occlusion hold (person tracks lost inside the picture)', () => {
  const W = 768;
  const H = 576;
  // Person scans every 3 frames at 10 fps, held 2 s.
  const pp = personTracking(DEFAULT_TRACKING, 3, 10, 2);
  /** A person walking right at 2 px/frame, detected every 3 frames from `from` to `to`. */
  const walker = (x0: number, from = 0, to = 30, kept = false): Track => {
    const frames: number[] = [];
    for (let f = from; f <= to; f += 3) frames.push(f);
    return { id: 1, cls: 'person', frames, boxes: frames.map((f) => ({ x: x0 + 2 * (f - from), y: 200, w: 30, h: 90 })), kept };
  };
  const centre = (b: { x: number; y: number; w: number; h: number }): [number, number] => [b.x + b.w / 2, b.y + b.h / 2];

  it('holds a track that ends mid-frame where it was last seen for occludedRoll frames: moving over the normal roll, then standing', () => {
    expect(pp.occludedRoll).toBe(20);
    const t = walker(300);
    assignRolls([t], W, H, pp);
    expect(t.postRoll).toBe(20);
    expect(t.preRoll).toBe(20);
    expect(t.held).toEqual({ preRoll: pp.preRoll, postRoll: pp.postRoll });
    const last = t.boxes.at(-1)!;
    const atBase = boxAt(t, 30 + pp.postRoll, pp)!;
    const atEnd = boxAt(t, 30 + 20, pp)!;
    expect(boxAt(t, 30 + 21, pp)).toBeUndefined();
    // moved with the walker over the normal roll (2 px/frame), then stood there
    expect(centre(atBase)[0]).toBeCloseTo(centre(last)[0] + 2 * pp.postRoll, 5);
    expect(centre(atEnd)).toEqual(centre(atBase));
    // and grew by at most HOLD_GROWTH_FRAMES frames of growth beyond the normal roll
    expect(atEnd.w).toBeCloseTo(last.w * (1 + pp.rollGrowth * (pp.postRoll + HOLD_GROWTH_FRAMES)), 5);
  });

  it('does not hold a track at the frame edge (edge roll), a blip, a kept track, or without a frame rate', () => {
    const edge = walker(W - 110, 0, 30);
    assignRolls([edge], W, H, pp);
    // entered mid-frame (held at the start), left through the edge (an edge roll, not a hold)
    expect(edge.preRoll).toBe(20);
    expect(edge.postRoll).toBe(pp.edgeRollMax);
    expect(edge.held).toEqual({ preRoll: pp.preRoll, postRoll: pp.edgeRollMax });

    const blip = walker(300, 0, 3);
    assignRolls([blip], W, H, pp);
    expect(blip.held).toBeUndefined();
    expect(blip.postRoll).toBeLessThanOrEqual(2);

    const kept = walker(300, 0, 30, true);
    assignRolls([kept], W, H, pp);
    // the subject is never held: its box ends with the normal roll (a hidden subject keeps nobody visible)
    expect(boxAt(kept, 30 + pp.postRoll, pp)).toBeDefined();
    expect(boxAt(kept, 30 + pp.postRoll + 1, pp)).toBeUndefined();

    const noFps = personTracking(DEFAULT_TRACKING, 3);
    const t = walker(300);
    assignRolls([t], W, H, noFps);
    expect(noFps.occludedRoll).toBeUndefined();
    expect(t.postRoll).toBe(noFps.postRoll);
  });

  it('an edge roll lasts at most a second (EDGE_ROLL_SECONDS) whatever the frame rate, for faces as for persons', () => {
    expect(timedEdgeRoll(DEFAULT_TRACKING, 25).edgeRollMax).toBe(25);
    expect(timedEdgeRoll(DEFAULT_TRACKING, 50).edgeRollMax).toBe(25); // the default's frames are the ceiling
    expect(timedEdgeRoll(DEFAULT_TRACKING, 10).edgeRollMax).toBe(10);
    expect(timedEdgeRoll({ ...DEFAULT_TRACKING, preRoll: 13 }, 10).edgeRollMax).toBe(13); // never under the pre-roll
    expect(timedEdgeRoll(DEFAULT_TRACKING, 0)).toEqual(DEFAULT_TRACKING); // a still
    expect(personTracking(DEFAULT_TRACKING, 3, 10, 3).edgeRollMax).toBe(10);
    // A face walking in from the right edge of a 10 fps video, first found 15 px in: rolled back to the edge for 10 frames.
    const p = timedEdgeRoll(DEFAULT_TRACKING, 10);
    const frames = [40, 41, 42, 43, 44];
    const face: Track = { id: 1, cls: 'face', frames, boxes: frames.map((f) => ({ x: W - 45 - 3 * (f - 40), y: 200, w: 30, h: 30 })), kept: false };
    assignRolls([face], W, H, p);
    expect(face.preRoll).toBe(10);
    expect(boxAt(face, 30, p)).toBeDefined();
    expect(boxAt(face, 29, p)).toBeUndefined();
  });

  it('a hold another track takes over ends there: the person lost at 30 and found again as a new track at 45 is not held twice', () => {
    // Person 1 walks right (2 px/frame) and is lost at frame 30 (x 360); it is found again at 45 as
    // track 2 (a gap over maxGap), 30 px on, and walks on to 90. Each got a 2 s hold (20 frames).
    const lost = walker(300, 0, 30);
    const found: Track = { ...walker(390, 45, 90), id: 2 };
    const tracks = [lost, found];
    assignRolls(tracks, W, H, pp);
    expect(lost.held && found.held).toBeTruthy();
    const held = (t: Track, f: number) => headFromBody(boxAt(t, f, pp)!);
    const plan = planFrames(tracks, 120, DEFAULT_TRACKING, { p: pp, mode: 'heads' });
    // Between the two tracks (31–44) both holds stand: the person is hidden there.
    for (let f = 31; f <= 44; f++) expect(plan.obscure[f], `frame ${f}`).toEqual([held(lost, f), held(found, f)]);
    // From track 2's first detection on, track 1's hold is taken over (it would stand to frame 50)...
    for (let f = 45; f <= 50; f++) {
      expect(holdTakenOver(lost, f, tracks)).toBe(true);
      expect(plan.obscure[f], `frame ${f}`).toEqual([headFromBody(boxAt(found, f, pp)!)]);
    }
    // ...and track 2's hold before it is taken over up to track 1's last detection (it would reach back to 25).
    for (let f = 25; f <= 30; f++) expect(plan.obscure[f], `frame ${f}`).toEqual([headFromBody(boxAt(lost, f, pp)!)]);
    // The report's obscured ranges say so.
    expect(trackRange(lost, 120, pp, tracks)).toEqual([0, 44]);
    expect(trackRange(found, 120, pp, tracks)).toEqual([31, 110]);
    expect(trackRange(lost, 120, pp)).toEqual([0, 50]);
    // The stream planner gives the same (the takeover is inside its lag).
    const planner = new StreamPlanner(new TrackBuilder('face', DEFAULT_TRACKING), new TrackBuilder('plate', DEFAULT_TRACKING), DEFAULT_TRACKING, W, H, { builder: new TrackBuilder('person', pp), p: pp, mode: 'heads' });
    const persons: Detection[][] = [];
    for (const t of tracks) t.frames.forEach((f, i) => (persons[f] ??= []).push({ ...t.boxes[i]!, score: 0.9 }));
    streamAgainst(planner, { faces: [], plates: [], persons: Array.from({ length: 120 }, (_, f) => (f % 3 === 0 ? (persons[f] ?? []) : undefined)) }, plan, [], [], 10, 120);
  });

  it('a hold is not taken over by a track born more than a body height away, of another height, by a blip, or by one that overlaps it in time', () => {
    const lost = walker(300, 0, 30);
    const far: Track = { ...walker(360 + 95, 45, 90), id: 2 }; // its centre 95 px (> 90, the height) past where 1 was lost
    const blip: Track = { ...walker(390, 45, 48), id: 3 };
    const overlapping: Track = { ...walker(390, 27, 90), id: 4 };
    // somebody nearer the camera, 1.4× as tall, where 1 was lost (a like height, 1.2×, takes over)
    const nearer: Track = { ...walker(390, 45, 90), id: 5 };
    nearer.boxes = nearer.boxes.map((b) => ({ ...b, y: b.y - 36, h: 126 }));
    const like: Track = { ...walker(390, 45, 90), id: 6 };
    like.boxes = like.boxes.map((b) => ({ ...b, y: b.y - 18, h: 108 }));
    assignRolls([lost, like], W, H, pp);
    expect(holdTakenOver(lost, 45, [lost, like])).toBe(true);
    for (const other of [far, nearer, blip, overlapping]) {
      const tracks = [lost, other];
      assignRolls(tracks, W, H, pp);
      for (let f = 31; f <= 50; f++) expect(holdTakenOver(lost, f, tracks), `track ${other.id} frame ${f}`).toBe(false);
      expect(trackRange(lost, 120, pp, tracks)).toEqual([0, 50]);
    }
  });

  it('a subject hint is matched on detections and normal rolls, not on a hold', () => {
    // Person 1 was last seen at frame 30 at the hint's place; person 2 is seen there at frame 45.
    const gone = walker(300);
    const there: Track = { ...walker(360, 39, 60), id: 2 };
    const tracks = [gone, there];
    assignRolls(tracks, W, H, pp);
    const hint: SubjectHint = { atSeconds: 4.5, box: { x: 350, y: 190, w: 60, h: 110 } };
    const [m] = applySubjectHints(tracks, [hint], 10, 100, DEFAULT_TRACKING, pp);
    expect(m!.outcome).toBe('kept');
    expect(m!.trackId).toBe(2);
  });

  it.each([1, 2, 3, 4])('with person tracks, holds and doubted faces, the stream plan equals the two-pass plan (seed %i)', (seed) => {
    const n = 240;
    const fps = 10;
    const p = { ...DEFAULT_TRACKING, preRoll: 9 };
    const q = personTracking(p, 3, fps, 3);
    const scanned = scenario(seed, n, W, H);
    // Second opinions on the faces of ≥ 24 px and on the blips: a third of them doubted.
    const doubt = mulberry32(seed * 17);
    const faces = scanned.faces.map((d) => d?.map((b) => (b.w >= 20 ? { ...b, second: doubt() < 1 / 3 ? 0.2 : 0.8 } : b)));
    const plates = scanned.plates;
    // People: the scenario's objects scanned every 3 frames, as tall boxes; one scan in six sees a
    // box whose top jumped up (a neighbour or a sign merged into it: Placed.typicalHeight).
    const jump = mulberry32(seed * 13);
    const persons = faces.map((d, f) => (f % 3 === 0 ? (d ?? []).map((b) => (jump() < 1 / 6 ? { ...b, y: b.y - b.w * 1.5, h: b.w * 4.5 } : { ...b, h: b.w * 3 })) : undefined));
    // Faces with no body: the scenario's faces moved off their persons, every other scan; and a
    // "face" on the background, standing still, that the second opinion does not confirm but once.
    for (let f = 0; f < n; f += 2) faces[f] = faces[f]?.map((b, i) => (i % 2 ? { ...b, y: b.y + 300 } : b));
    for (let f = 60; f < 180; f++) if (faces[f]) faces[f] = [...faces[f]!, { x: 40 + seed * 30 + (f % 2), y: 640, w: 40, h: 40, score: 0.5, second: f === 150 ? 0.7 : 0.2 }];
    // A walker lost for longer than maxGap and found again as a new track: holds taken over.
    for (let f = 30; f < 200; f += 3) if (f < 100 || f > 100 + 3 * seed + 12) persons[f] = [...(persons[f] ?? []), { x: 100 + 2 * f, y: 300, w: 40, h: 120, score: 0.9 }];
    const r = mulberry32(seed * 11);
    const hf = 3 * Math.floor((r() * n) / 3);
    const someone = persons[hf]?.[0];
    const hints: SubjectHint[] = someone ? [{ atSeconds: hf / fps, box: { x: someone.x - 5, y: someone.y - 5, w: someone.w + 10, h: someone.h + 10 } }] : [];

    const all = [...buildTracks(faces, 'face', p), ...buildTracks(plates, 'plate', p)];
    const people = buildTracks(persons, 'person', q);
    assignRolls(all, W, H, p);
    assignRolls(people, W, H, q);
    expect(people.some((t) => t.held)).toBe(true);
    expect(people.some((t) => t.held && Array.from({ length: q.occludedRoll! }, (_, i) => t.frames.at(-1)! + 1 + i).some((f) => holdTakenOver(t, f, people)))).toBe(true);
    // the jumps are seen as such (the window of typicalHeight is inside the planner's lag)
    expect(people.some((t) => t.frames.some((f, i) => Math.abs(t.boxes[i]!.h - (typicalHeight(t, f, q.maxGap) ?? t.boxes[i]!.h)) > SIZE_JUMP * t.boxes[i]!.h))).toBe(true);
    const refMatches = applySubjectHints([...all, ...people], hints, fps, n, p, q);
    const ref = planFrames([...all, ...people], n, p, { p: q, mode: 'heads', frameHeight: H });
    // The doubts are exercised: without them more is obscured.
    const sure = all.map((t) => ({ ...t, looks: undefined }));
    const area = (plan: ReturnType<typeof planFrames>) => plan.obscure.flat().reduce((a, r) => a + r.w * r.h, 0);
    expect(area(planFrames([...sure, ...people], n, p, { p: q, mode: 'heads', frameHeight: H }))).toBeGreaterThan(area(ref));

    const planner = new StreamPlanner(new TrackBuilder('face', p), new TrackBuilder('plate', p), p, W, H, { builder: new TrackBuilder('person', q), p: q, mode: 'heads' });
    streamAgainst(planner, { faces, plates, persons }, ref, refMatches, hints, fps, n);
  });

  it('a person box whose height jumps off its track\'s typical height also gets the head region of a typical box on the same feet', () => {
    const q = personTracking(DEFAULT_TRACKING, 3, 10, 3);
    const frames = [0, 3, 6, 9, 12, 15, 18, 21, 24];
    const normal = { x: 300, y: 200, w: 30, h: 90 };
    // at 12 a person behind is merged into the box: its top is at the other's head
    const merged = { x: 300, y: 150, w: 40, h: 140 };
    const t: Track = { id: 1, cls: 'person', frames, boxes: frames.map((f) => (f === 12 ? merged : normal)), kept: false };
    assignRolls([t], W, H, q);
    expect(typicalHeight(t, 12, q.maxGap)).toBe(90);
    expect(typicalHeight({ ...t, frames: [0, 30], boxes: [normal, normal] }, 12, q.maxGap)).toBeUndefined(); // too few detections near
    const plan = planFrames([t], 30, DEFAULT_TRACKING, { p: q, mode: 'heads' });
    expect(plan.obscure[12]).toEqual([headFromBody(merged), headFromBody({ x: 300, y: 150 + 140 - 90, w: 40, h: 90 })]);
    expect(plan.obscure[6]).toEqual([headFromBody(normal)]);
    // the typical box's head region holds the head of the person in front, the merged box's does not
    const frontHead = { x: 310, y: 202, w: 10, h: 12 };
    expect(coverage(frontHead, headFromBody(merged))).toBeLessThan(0.5);
    expect(coverage(frontHead, plan.obscure[12]![1]!)).toBe(1);
    // a jitter of 10 % is not a jump
    const jitter: Track = { ...t, id: 2, boxes: frames.map((f) => (f === 12 ? { ...normal, y: 191, h: 99 } : normal)) };
    assignRolls([jitter], W, H, q);
    expect(planFrames([jitter], 30, DEFAULT_TRACKING, { p: q, mode: 'heads' }).obscure[12]).toHaveLength(1);
  });

  it('the roll of a face box seen on the subject is not obscured where the extrapolation takes it; a bystander face\'s roll is', () => {
    const q = personTracking(DEFAULT_TRACKING, 3, 10, 3);
    const p = { ...DEFAULT_TRACKING, preRoll: 17 };
    // The subject walks left 3 px/frame; a 30 px false alarm on its shoulder is found from frame 30
    // on (standing for its first detections, then moving with it: extrapolated back it stands where
    // it was first seen while the subject comes from the right); a bystander far off has a face
    // found from frame 30 too.
    const subject: Track = { ...walker(400, 0, 60, true), id: 1 };
    subject.boxes = subject.frames.map((f) => ({ x: 400 - 3 * f, y: 200, w: 60, h: 140 }));
    const faceFrames = Array.from({ length: 11 }, (_, i) => 30 + 3 * i);
    const onShoulder: Track = { id: 2, cls: 'face', frames: faceFrames, boxes: faceFrames.map((f) => ({ x: 413 - 3 * Math.max(f, 36), y: 215, w: 30, h: 30 })), kept: false };
    const bystander: Track = { id: 3, cls: 'face', frames: faceFrames, boxes: faceFrames.map((f) => ({ x: 600 + f, y: 100, w: 30, h: 30 })), kept: false };
    const tracks = [onShoulder, bystander, subject];
    assignRolls([onShoulder, bystander], W, H, p);
    assignRolls([subject], W, H, q);
    const plan = planFrames(tracks, 80, p, { p: q, mode: 'heads' });
    for (let f = 13; f < 30; f++) {
      // pre-roll: the shoulder box extrapolated back lies where the subject is going, not on it
      const rolled = boxAt(onShoulder, f, p)!;
      if (f < 20) expect(coverage(rolled, boxAt(subject, f, q)!)).toBeLessThan(0.5);
      expect(plan.obscure[f], `frame ${f}`).not.toContainEqual(rolled);
      expect(plan.obscure[f], `frame ${f}`).toContainEqual(boxAt(bystander, f, p));
    }
  });
});
