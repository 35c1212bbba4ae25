import { describe, expect, it } from 'vitest';
import { anchorTrack, editSets, editWarnings, followBox, lifeBoxAt, ReviewRegions, reviewReasons, SUBJECT_LOST_SHARE } from './edits.js';
import { headFromBody } from './detect/head-from-body.js';
import { coverage, type Rect } from './frame.js';
import { frameRegions } from './persons-track.js';
import { applySubjectHints, buildTracks, DEFAULT_TRACKING, type Detection, type SubjectMatch, type Track } from './track.js';

const p = DEFAULT_TRACKING;

/** One object moving `vx` px per frame from `x0`, detected every `every` frames over [from, to]. */
function moving(n: number, from: number, to: number, x0: number, y: number, size: number, vx: number, every = 2): (Detection[] | undefined)[] {
  return Array.from({ length: n }, (_, f) => (f % every === 0 ? (f >= from && f <= to ? [{ x: x0 + vx * (f - from), y, w: size, h: size, score: 0.9 }] : []) : undefined));
}

function merge(...lists: (Detection[] | undefined)[][]): (Detection[] | undefined)[] {
  return lists[0]!.map((_, f) => (lists.some((l) => l[f]) ? lists.flatMap((l) => l[f] ?? []) : undefined));
}

const near = (a: Rect, b: Rect) => expect([a.x, a.y, a.w, a.h].map(Math.round)).toEqual([b.x, b.y, b.w, b.h].map(Math.round));

describe('review boxes follow the track they lie on', () => {
  // A face moving right 4 px a frame, detected on even frames 10–40.
  const [face] = buildTracks(moving(60, 10, 40, 100, 50, 40, 4), 'face', p);

  it('interpolates the track between detections and holds its first/last box outside its life', () => {
    near(lifeBoxAt(face!, 21), { x: 144, y: 50, w: 40, h: 40 });
    near(lifeBoxAt(face!, 3), { x: 100, y: 50, w: 40, h: 40 });
    near(lifeBoxAt(face!, 55), { x: 220, y: 50, w: 40, h: 40 });
  });

  it('moves with the track: same place relative to its box; held at the last position beyond its life', () => {
    // Drawn at frame 20 over the upper half of the face (x 140).
    const drawn = { x: 140, y: 45, w: 40, h: 25 };
    near(followBox(drawn, face, 20, 30), { x: 180, y: 45, w: 40, h: 25 });
    near(followBox(drawn, face, 20, 50), { x: 220, y: 45, w: 40, h: 25 });
    near(followBox(drawn, face, 20, 0), { x: 100, y: 45, w: 40, h: 25 });
    // On no track: stays where drawn.
    near(followBox(drawn, undefined, 20, 50), drawn);
  });

  it('scales with the track box', () => {
    const [t] = buildTracks([[{ x: 0, y: 0, w: 20, h: 20, score: 1 }], undefined, [{ x: 0, y: 0, w: 40, h: 40, score: 1 }]], 'face', p);
    near(followBox({ x: 5, y: 5, w: 10, h: 10 }, t, 0, 2), { x: 10, y: 10, w: 20, h: 20 });
  });

  it('lies on the person or face track with the largest IoU at its frame (plates and tracks not alive then never)', () => {
    const body = moving(60, 0, 58, 300, 100, 200, 2);
    const head = moving(60, 0, 58, 360, 110, 60, 2);
    const plate = moving(60, 0, 58, 300, 100, 200, 0);
    const faces = buildTracks(head, 'face', p);
    const persons = buildTracks(body.map((d) => d?.map((b) => ({ ...b, w: 150, h: 300 }))), 'person', p);
    const plates = buildTracks(plate, 'plate', p);
    const all = [...faces, ...persons, ...plates];
    // At frame 20 the head is at x 400, the body at 340.
    expect(anchorTrack(all, { x: 398, y: 108, w: 64, h: 64 }, 20)?.cls).toBe('face');
    expect(anchorTrack(all, { x: 335, y: 95, w: 160, h: 310 }, 20)?.cls).toBe('person');
    expect(anchorTrack(all, { x: 900, y: 500, w: 30, h: 30 }, 20)).toBeUndefined();
    // A track whose life does not hold the frame is not a candidate.
    const late = buildTracks(moving(60, 40, 58, 900, 500, 30, 0), 'face', p);
    expect(anchorTrack(late, { x: 900, y: 500, w: 30, h: 30 }, 20)).toBeUndefined();
    expect(anchorTrack(late, { x: 900, y: 500, w: 30, h: 30 }, 44)?.id).toBe(late[0]!.id);
  });

  it('ReviewRegions: seconds → frames, obscured only over its span, following its track, clipped; the report names the frames covered', () => {
    const r = new ReviewRegions(
      [
        { atSeconds: 2, fromSeconds: 1, toSeconds: 3, box: { x: 140, y: 50, w: 40, h: 40 } },
        { atSeconds: 0, fromSeconds: 0, toSeconds: 0.5, box: { x: 620, y: 300, w: 100, h: 100 } },
        { atSeconds: 0, fromSeconds: 0, toSeconds: 1, box: { x: 700, y: 10, w: 10, h: 10 } },
      ],
      10,
      640,
      360,
    );
    expect(r.atFrames()).toEqual([20, 0]);
    r.anchor([face!]);
    const frames = Array.from({ length: 60 }, (_, f) => r.at(f, 640, 360));
    expect(frames[9]).toEqual([]);
    near(frames[10]![0]!, { x: 100, y: 50, w: 40, h: 40 });
    near(frames[30]![0]!, { x: 180, y: 50, w: 40, h: 40 });
    expect(frames[31]).toEqual([]);
    // The second box is clipped to the picture, frames 0–5.
    expect(frames[0]).toEqual([{ x: 620, y: 300, w: 20, h: 60 }]);
    expect(frames[6]).toEqual([]);
    expect(r.report()).toEqual([
      { box: 0, trackId: face!.id, frames: [10, 30], framesCovered: 21 },
      { box: 1, trackId: null, frames: [0, 5], framesCovered: 6 },
    ]);
    expect(r.finalWarnings()).toEqual([expect.stringMatching(/review box 2 lies wholly outside/)]);
  });

  it('a still: every box is frame 0; a box whose span holds no output frame is warned about', () => {
    const still = new ReviewRegions([{ atSeconds: 3, fromSeconds: 2, toSeconds: 4, box: { x: 1, y: 1, w: 5, h: 5 } }], 0, 100, 100);
    expect(still.at(0, 100, 100)).toEqual([{ x: 1, y: 1, w: 5, h: 5 }]);
    const late = new ReviewRegions([{ atSeconds: 30, fromSeconds: 30, toSeconds: 31, box: { x: 1, y: 1, w: 5, h: 5 } }], 10, 100, 100);
    for (let f = 0; f < 50; f++) late.at(f, 100, 100);
    expect(late.finalWarnings()).toEqual([expect.stringMatching(/covers no output frame/)]);
  });
});

describe('track edits (applied after tracking: ids never change)', () => {
  const n = 40;
  const body = (x: number) => moving(n, 0, 38, x, 100, 120, 1, 3).map((d) => d?.map((b) => ({ ...b, h: 300 })));
  const personDets = merge(body(100), body(400));
  // A face on each person's head.
  const faceDets = merge(moving(n, 0, 38, 130, 105, 60, 1), moving(n, 0, 38, 430, 105, 60, 1));
  const hint = [{ atSeconds: 1, box: { x: 95, y: 95, w: 130, h: 310 } }];
  const run = (keep: readonly number[] = [], edits?: Parameters<typeof editSets>[1]) => {
    const sets = editSets(keep, edits);
    const faces = buildTracks(faceDets, 'face', p, sets.keep, sets.trackEdits);
    const persons = buildTracks(personDets, 'person', p, sets.keep, sets.trackEdits);
    const matches = applySubjectHints([...faces, ...persons], hint, 10, n, p, p);
    return { faces, persons, matches, sets };
  };

  it('the same ids with and without edits', () => {
    const plain = run();
    const edited = run([4], { version: 1, obscureTracks: [plain.persons[0]!.id], obscureBodies: [5] });
    expect(edited.faces.map((t) => [t.id, t.frames])).toEqual(plain.faces.map((t) => [t.id, t.frames]));
    expect(edited.persons.map((t) => [t.id, t.frames])).toEqual(plain.persons.map((t) => [t.id, t.frames]));
  });

  it('obscureTracks wins over a subject hint: the subject person and the faces on its head stay obscured', () => {
    const plain = run();
    const subject = plain.persons[0]!;
    expect(subject.kept).toBe(true);
    expect(plain.faces[0]!.kept).toBe(true);
    const edited = run([], { version: 1, obscureTracks: [subject.id] });
    expect(edited.persons[0]!.kept).toBe(false);
    expect(edited.faces[0]!.kept).toBe(false);
    expect(edited.matches[0]).toMatchObject({ trackId: subject.id, keptShare: 0 });
  });

  it('obscureTracks wins over a keep id; keepTracks of the edits keep like --keep-track', () => {
    const plain = run();
    const other = plain.persons[1]!;
    expect(run([other.id], { version: 1, obscureTracks: [other.id] }).persons[1]!.kept).toBe(false);
    expect(run([], { version: 1, keepTracks: [other.id] }).persons[1]!.kept).toBe(true);
  });

  it('a face the reviewer obscured is obscured even on the subject; a person obscured whole loses its body box, subject or not', () => {
    const plain = run();
    const subjectFace = plain.faces[0]!;
    const bystander = plain.persons[1]!;
    const edited = run([], { version: 1, obscureTracks: [subjectFace.id], obscureBodies: [bystander.id] });
    const f = 12;
    const place = (ts: Track[]) => ts.map((t) => ({ t, box: lifeBoxAt(t, f) }));
    const { obscure, kept } = frameRegions(place(edited.faces), [], place(edited.persons), 'heads');
    const subjectBox = lifeBoxAt(edited.persons[0]!, f);
    expect(kept).toEqual([subjectBox]);
    expect(obscure).toContainEqual(lifeBoxAt(edited.faces[0]!, f));
    expect(obscure).toContainEqual(lifeBoxAt(bystander, f));
    // Without the edits, the subject's own face is not obscured and only the bystander's head is.
    const before = frameRegions(place(plain.faces), [], place(plain.persons), 'heads');
    expect(before.obscure.some((r) => coverage(r, subjectBox) > 0.5)).toBe(false);
    expect(before.obscure).not.toContainEqual(lifeBoxAt(bystander, f));
    expect(before.obscure.some((r) => coverage(headFromBody(lifeBoxAt(bystander, f)), r) > 0.9 || coverage(lifeBoxAt(plain.faces[1]!, f), r) > 0.9)).toBe(true);
  });

  it('warns about edit ids that name no track (obscure-body ids must be person tracks)', () => {
    const plain = run();
    const faceId = plain.faces[0]!.id;
    expect(editWarnings({ version: 1, obscureTracks: [999], obscureBodies: [faceId] }, [...plain.faces, ...plain.persons])).toEqual([
      expect.stringMatching(/obscure-track id\(s\) 999/),
      expect.stringMatching(new RegExp(`obscure-body id\\(s\\) ${faceId} name no person track`)),
    ]);
  });
});

describe('review reasons', () => {
  const track = (id: number, cls: Track['cls'], first: number, last: number, side: number, kept = false): Track => ({
    id,
    cls,
    frames: [first, last],
    boxes: [{ x: 0, y: 0, w: side, h: side }, { x: 0, y: 0, w: side, h: side }],
    kept,
  });
  const base = { frames: 100, keepAsked: [] as number[], verificationFailed: false, smallestVerified: 24 };
  const kept = (trackId: number): SubjectMatch => ({ hint: 0, frame: 10, trackId, iou: 0.8, keptShare: 1, outcome: 'kept', via: 'person' });

  it('none when the engine is sure', () => {
    expect(reviewReasons({ ...base, tracks: [track(0, 'face', 0, 99, 40), track(2, 'person', 0, 99, 200, true)], matches: [kept(2)] })).toEqual([]);
  });

  it('verifier-found-faces, faces-below-verified-size (obscured face tracks only), keep-track-missing', () => {
    const three = (t: Track): Track => ({ ...t, frames: [t.frames[0]!, t.frames[0]! + 1, t.frames[1]!], boxes: [t.boxes[0]!, t.boxes[0]!, t.boxes[1]!] });
    const tracks = [three(track(0, 'face', 0, 99, 18)), three(track(3, 'face', 0, 99, 16, true))];
    expect(reviewReasons({ ...base, tracks, matches: [], verificationFailed: true, keepAsked: [3, 12] })).toEqual(['verifier-found-faces', 'faces-below-verified-size', 'keep-track-missing']);
    // A small face that was kept (the subject) is not a reason, nor an unconfirmed blip (2 detections).
    expect(reviewReasons({ ...base, tracks: [tracks[1]!], matches: [] })).toEqual([]);
    expect(reviewReasons({ ...base, tracks: [track(0, 'face', 0, 99, 18)], matches: [] })).toEqual([]);
  });

  it(`subject-lost when the kept tracks of the subject's class span less than ${SUBJECT_LOST_SHARE} of the clip; a reviewer keeping its continuation resolves it`, () => {
    const lost = [track(2, 'person', 0, 30, 200, true), track(5, 'person', 34, 99, 200)];
    expect(reviewReasons({ ...base, tracks: lost, matches: [kept(2)] })).toEqual(['subject-lost']);
    const continued = [lost[0]!, { ...lost[1]!, kept: true }];
    expect(reviewReasons({ ...base, tracks: continued, matches: [kept(2)], edits: { version: 1, keepTracks: [5] } })).toEqual([]);
    // Not for a still, and not when the reviewer obscured the hint's track (keptShare 0).
    expect(reviewReasons({ ...base, frames: 1, tracks: [track(2, 'person', 0, 0, 200, true)], matches: [kept(2)] })).toEqual([]);
    expect(reviewReasons({ ...base, tracks: [track(2, 'person', 0, 10, 200)], matches: [{ ...kept(2), keptShare: 0 }] })).toEqual([]);
  });

  it('subject-ambiguous / subject-not-matched, resolved by a reviewer keeping a track or obscuring tracks', () => {
    const tracks = [track(2, 'person', 0, 99, 200), track(5, 'person', 0, 99, 200)];
    const matches: SubjectMatch[] = [
      { hint: 0, frame: 10, trackId: null, iou: 0.4, keptShare: 0, outcome: 'ambiguous', via: 'person' },
      { hint: 1, frame: 10, trackId: null, iou: 0, keptShare: 0, outcome: 'not-matched' },
    ];
    expect(reviewReasons({ ...base, tracks, matches })).toEqual(['subject-ambiguous', 'subject-not-matched']);
    expect(reviewReasons({ ...base, tracks, matches, edits: { version: 1, keepTracks: [99] } })).toEqual(['subject-ambiguous', 'subject-not-matched']);
    expect(reviewReasons({ ...base, tracks: [{ ...tracks[0]!, kept: true }, tracks[1]!], matches, edits: { version: 1, keepTracks: [2] } })).toEqual([]);
    expect(reviewReasons({ ...base, tracks, matches, edits: { version: 1, obscureTracks: [5] } })).toEqual([]);
  });
});
