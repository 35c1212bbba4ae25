import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { type LabelledPerson, VTEST_LABELS } from '../../test/fixtures/vtest/labels.js';
import { main } from '../cli.js';
import { ffmpegPath, run } from './ffmpeg.js';
import { coverage, iou, type Rect } from './frame.js';
import { type RedactionReport, redactMedia, type RedactOptions } from './index.js';
import { headFromBody, headSize } from './detect/head-from-body.js';
import { frameRegions, subtract } from './persons-track.js';
import { LabelFileSchema } from '../../eval/real/labels.js';
import { scoreReal } from '../../eval/real/metrics.js';
import type { Track } from './track.js';

/**
 * People in the pipeline, on real CCTV (the hand-labelled vtest frames, test/fixtures/vtest): each
 * frame is made into a short still clip (10 fps, 3 s) with ffmpeg, redacted, and the regions the
 * renderer obscured (onPlan, padded as rendered) are compared with the labelled heads and bodies.
 */
const fixtures = fileURLToPath(new URL('../../test/fixtures/vtest/', import.meta.url));
const dir = join(process.cwd(), '.test-data', 'worker-persons');
const rect = ([x, y, w, h]: readonly number[]): Rect => ({ x: x!, y: y!, w: w!, h: h! });
const FRAMES = 30;

async function stillClip(name: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const out = join(dir, name.replace('.jpg', '.mp4'));
  await run(ffmpegPath(), ['-y', '-v', 'error', '-loop', '1', '-framerate', '10', '-i', join(fixtures, name), '-frames:v', String(FRAMES), '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '16', '-pix_fmt', 'yuv420p', out]);
  return out;
}

/** Share of `r`'s pixels inside the union of `cover` (pixel grid). */
function unionCoverage(r: Rect, cover: readonly Rect[]): number {
  let inside = 0;
  let all = 0;
  for (let y = Math.floor(r.y); y < r.y + r.h; y++) {
    for (let x = Math.floor(r.x); x < r.x + r.w; x++) {
      all++;
      if (cover.some((c) => x + 0.5 >= c.x && x + 0.5 < c.x + c.w && y + 0.5 >= c.y && y + 0.5 < c.y + c.h)) inside++;
    }
  }
  return all ? inside / all : 0;
}

const base: RedactOptions = { targets: ['faces'], style: 'pixelate', subjects: [], keepAudio: false, verify: false };

async function redactPlan(clip: string, out: string, options: Partial<RedactOptions>): Promise<{ report: RedactionReport; obscured: Rect[][]; kept: Rect[][] }> {
  let plan: { obscured: Rect[][]; kept: Rect[][] } = { obscured: [], kept: [] };
  const report = await redactMedia(clip, join(dir, out), { ...base, ...options, onPlan: (p) => (plan = p) });
  return { report, ...plan };
}

/** A labelled person's head, covered (≥ 90 %) by the obscured regions in every frame? */
function headsCovered(people: readonly LabelledPerson[], obscured: Rect[][]): boolean[] {
  return people.map((p) => obscured.every((regions) => unionCoverage(rect(p.head), regions) >= 0.9));
}

describe('people in the pipeline, on real CCTV frames (vtest, hand-labelled)', () => {
  const clips = new Map<string, string>();
  beforeAll(async () => {
    for (const name of Object.keys(VTEST_LABELS)) clips.set(name, await stillClip(name));
  }, 60_000);

  it('in a still, the head of a person seen from behind whom a single person scan misses (ascent: two sizes, detectStill)', async () => {
    // test/fixtures/stills/ascent.jpg; B's head placed by eye (eval/real/labels/ascent.json)
    const still = fileURLToPath(new URL('../../test/fixtures/stills/ascent.jpg', import.meta.url));
    const { obscured, report } = await redactPlan(still, 'ascent-redacted.jpg', {});
    expect(unionCoverage({ x: 405, y: 243, w: 37, h: 32 }, obscured[0]!)).toBeGreaterThanOrEqual(0.9);
    expect(report.tracks.filter((t) => t.class === 'person').length).toBeGreaterThanOrEqual(1);
  });

  it.each(Object.keys(VTEST_LABELS))(
    'obscures the heads of people whose face BlazeFace does not find, in every frame (%s)',
    async (name) => {
      const people = VTEST_LABELS[name]!.filter((p) => !p.occluded);
      const withPersons = await redactPlan(clips.get(name)!, `heads-${name}.mp4`, {});
      const facesOnly = await redactPlan(clips.get(name)!, `faces-only-${name}.mp4`, { persons: { enabled: false } });
      const covered = headsCovered(people, withPersons.obscured);
      const coveredByFaces = headsCovered(people, facesOnly.obscured);
      // BlazeFace alone leaves heads visible here (what issue 12 measured) ...
      expect(coveredByFaces.filter(Boolean).length).toBeLessThan(people.length);
      // ... with person tracks every head of a person the detector finds is covered: all but at
      // most one per frame (the person detector misses one of 18 unoccluded people, 18/19 found).
      expect(covered.filter((c) => !c).length, `heads left visible: ${people.filter((_, i) => !covered[i]).map((p) => p.head.join(',')).join(' / ')}`).toBeLessThanOrEqual(1);
      expect(withPersons.report.tracks.some((t) => t.class === 'person')).toBe(true);
      expect(withPersons.report.models.map((m) => m.role)).toContain('person-detector');
    },
    120_000,
  );

  describe('the subject is a person track (vtest frame 640: the man walking away at the bottom)', () => {
    const name = 'vtest-frame-640.jpg';
    const subject = VTEST_LABELS[name]!.find((p) => p.body[0] === 333)!;
    const others = VTEST_LABELS[name]!.filter((p) => p !== subject);
    const body = rect(subject.body);
    const [bx, by, bw, bh] = subject.body;
    const hints = {
      'a box around the body': { atSeconds: 1, box: { x: bx - 6, y: by - 6, w: bw + 12, h: bh + 12 } },
      'a box around the head': { atSeconds: 1, box: rect(subject.head) },
      'a point on the body': { atSeconds: 1, point: { x: bx + bw / 2, y: by + bh * 0.45 } },
    };
    const runs = new Map<string, Awaited<ReturnType<typeof redactPlan>>>();
    beforeAll(async () => {
      for (const [what, hint] of Object.entries(hints)) runs.set(what, await redactPlan(clips.get(name)!, `subject-${what.replace(/ /g, '-')}.mp4`, { subjects: [hint] }));
    }, 240_000);

    it.each(Object.keys(hints))('%s selects one person track, and the subject stays visible while the others\' heads are obscured', (what) => {
      const { report, obscured, kept } = runs.get(what)!;
      const [match] = report.subjects.matches;
      expect(match).toMatchObject({ outcome: 'kept', via: 'person' });
      const track = report.tracks.find((t) => t.id === match!.trackId)!;
      expect(track.class).toBe('person');
      expect(track.kept).toBe(true);
      expect(report.tracks.filter((t) => t.class === 'person' && t.kept)).toHaveLength(1);
      // The track's boxes at keyframes are in the report, and they are the subject's body.
      expect(track.boxes!.length).toBeGreaterThan(0);
      for (const b of track.boxes!) expect(iou(b, body)).toBeGreaterThan(0.5);
      for (let f = 0; f < FRAMES; f++) {
        // Body (head, hands, what is carried) visible: nothing obscured on it.
        expect(unionCoverage(body, obscured[f]!), `frame ${f}`).toBeLessThan(0.02);
        expect(kept[f]!.some((k) => iou(k, body) > 0.5)).toBe(true);
      }
      expect(headsCovered(others, obscured).filter((c) => !c).length).toBeLessThanOrEqual(1);
    });

    it('the same input gives the same track ids whatever the hint, and another run keeps a track by id (--keep-track)', async () => {
      const ids = [...runs.values()].map((r) => r.report.tracks.map((t) => `${t.class}:${t.id}:${t.firstFrame}-${t.lastFrame}`));
      expect(ids[1]).toEqual(ids[0]);
      expect(ids[2]).toEqual(ids[0]);
      const subjectId = runs.get('a box around the body')!.report.subjects.matches[0]!.trackId!;
      // Run 1 with no hint: everybody is a bystander, the subject's head is obscured.
      const first = await redactPlan(clips.get(name)!, 'keep-run-1.mp4', {});
      expect(first.report.tracks.find((t) => t.id === subjectId)).toMatchObject({ class: 'person', kept: false });
      expect(first.obscured.every((regions) => unionCoverage(rect(subject.head), regions) >= 0.9)).toBe(true);
      // Run 2 through the CLI (verification on) with --keep-track.
      const reportPath = join(dir, 'keep-run-2.json');
      const stdout: string[] = [];
      const sink = (into: string[]) => Object.assign(new Writable({ write: (c, _e, cb) => (into.push(String(c)), cb()) }), { isTTY: false });
      const code = await main(['redact', clips.get(name)!, '-o', join(dir, 'keep-run-2.mp4'), '--report', reportPath, '--targets', 'faces', '--keep-track', String(subjectId)], { stdout: sink(stdout), stderr: sink([]) });
      expect(code, stdout.join('')).toBe(0);
      const second = JSON.parse(await readFile(reportPath, 'utf8')) as RedactionReport;
      // Verification is on in this run: a correction round may add face tracks (what the verifier
      // found), but every track of the first run keeps its id and span.
      const key = (t: RedactionReport['tracks'][number]) => `${t.class}:${t.id}:${t.firstFrame}-${t.lastFrame}`;
      expect(second.tracks.map(key)).toEqual(expect.arrayContaining(first.report.tracks.map(key)));
      expect(second.tracks.filter((t) => t.class !== 'face').map(key)).toEqual(first.report.tracks.filter((t) => t.class !== 'face').map(key));
      // Extra tracks only where the verifier's finds were corrected.
      expect(second.tracks.length === first.report.tracks.length || (second.verification.corrections?.length ?? 0) > 0).toBe(true);
      expect(second.tracks.find((t) => t.id === subjectId)).toMatchObject({ class: 'person', kept: true, obscured: [] });
      expect(second.subjects.keepTracks).toEqual({ asked: [subjectId], found: [subjectId] });
      expect(second.warnings).toEqual([]);
    }, 240_000);
  });

  it('an ambiguous hint (a point between two people walking side by side) keeps nobody and lists the candidate tracks', async () => {
    const name = 'vtest-frame-160.jpg';
    // Two walkers whose boxes overlap: [476, 207, 27, 79] and [506, 221, 27, 84].
    const { report, obscured } = await redactPlan(clips.get(name)!, 'ambiguous.mp4', { subjects: [{ atSeconds: 1, point: { x: 504, y: 250 } }] });
    const [match] = report.subjects.matches;
    expect(match).toMatchObject({ outcome: 'ambiguous', trackId: null, via: 'person' });
    expect(match!.candidates!.length, JSON.stringify(match)).toBeGreaterThanOrEqual(2);
    for (const label of [rect([476, 207, 27, 79]), rect([506, 221, 27, 84])]) {
      const c = match!.candidates!.find((k) => iou(k.box, label) > 0.5);
      expect(c, `a candidate for ${JSON.stringify(label)} in ${JSON.stringify(match)}`).toBeDefined();
      expect(report.tracks.find((t) => t.id === c!.trackId)).toMatchObject({ class: 'person', kept: false });
      expect(report.warnings.join('\n')).toContain(`track ${c!.trackId} (person) at ${c!.box.x},${c!.box.y} ${c!.box.w}×${c!.box.h}`);
    }
    expect(report.tracks.some((t) => t.kept)).toBe(false);
    // Fail-safe: both heads obscured.
    expect(headsCovered([VTEST_LABELS[name]![0]!, VTEST_LABELS[name]![5]!], obscured)).toEqual([true, true]);
  }, 120_000);

  it('on real CCTV (vtest frames 20–59), holds that new tracks took over end there: less background hidden, the same faces and heads covered', async () => {
    const labels = LabelFileSchema.parse(JSON.parse(await readFile(join(process.cwd(), 'eval/real/labels/vtest.json'), 'utf8')));
    const run = async (holdsTakenOver: boolean) => {
      const r = await redactPlan(join(process.cwd(), 'test/fixtures/media/real/vtest-20-59.mp4'), `holds-${holdsTakenOver}.mp4`, { persons: { holdsTakenOver } });
      // The extract's frame i is vtest's frame 20 + i (the labels' numbering).
      return { ...r, score: scoreReal({ ...labels, subject: undefined, frames: [20, 59] }, [...Array.from({ length: 20 }, () => []), ...r.obscured]) };
    };
    const kept = await run(false);
    const taken = await run(true);
    // Walkers crossing behind the signpost break into tracks: with holds taken over, person tracks
    // are obscured over shorter spans in all (the report says so). Measured: 1.40 % of the frame
    // obscured outside people with every hold, 1.33 % with holds taken over (verification off).
    const span = (r: RedactionReport) => r.tracks.filter((t) => t.class === 'person').map((t) => t.obscured[0]![1] - t.obscured[0]![0]);
    expect(span(taken.report).reduce((a, b) => a + b)).toBeLessThan(span(kept.report).reduce((a, b) => a + b));
    expect(taken.score.falseObscured).toBeLessThan(kept.score.falseObscured);
    expect(taken.score.missed).toEqual(kept.score.missed);
    expect(taken.score.byBand).toEqual(kept.score.byBand);
    expect(taken.report.parameters.detection).toMatchObject({ personHoldsTakenOver: true });
    expect(kept.report.parameters.detection).toMatchObject({ personHoldsTakenOver: false });
  }, 120_000);
});

describe('frameRegions', () => {
  const track = (id: number, cls: Track['cls'], kept = false, detections = 3): Track => ({ id, cls, frames: Array.from({ length: detections }, (_, i) => i), boxes: [], kept });
  const subjectBody = { x: 100, y: 100, w: 40, h: 120 };
  const other = { x: 200, y: 100, w: 40, h: 120 };

  it('a face box on the subject\'s torso or hands is not obscured; a face on another person\'s head overlapping the subject is', () => {
    const torso = { x: 110, y: 150, w: 16, h: 16 };
    const overlapping = { x: 120, y: 100, w: 60, h: 120 };
    const headOfOverlapping = { x: 138, y: 95, w: 14, h: 14 };
    const r = frameRegions(
      [{ t: track(0, 'face'), box: torso }, { t: track(3, 'face'), box: headOfOverlapping }],
      [],
      [{ t: track(2, 'person', true), box: subjectBody }, { t: track(5, 'person'), box: overlapping }],
      'heads',
    );
    expect(r.obscure).toContainEqual(headOfOverlapping);
    expect(r.obscure).not.toContainEqual(torso);
    expect(r.kept).toEqual([subjectBody]);
  });

  it('a face box partly on the subject\'s legs, too big for a face of that person, is a false alarm; one its size, or on another\'s head, is not', () => {
    // subjectBody 40 × 120: a head of ~16 px (max(120, 2.8 × 40) / 7.5), the head region's bottom at y 126
    const onLegs = { x: 76, y: 180, w: 40, h: 40 }; // 0.4 on the legs, the rest on the ground beside them
    expect(coverage(onLegs, subjectBody)).toBeCloseTo(0.4, 5);
    const subject = { t: track(2, 'person', true), box: subjectBody };
    expect(frameRegions([{ t: track(0, 'face'), box: onLegs }], [], [subject], 'heads').obscure).toEqual([]);
    const third = { ...onLegs, x: 72 }; // 0.3 of it on the body
    expect(frameRegions([{ t: track(0, 'face'), box: third }], [], [subject], 'heads').obscure).toEqual([]);
    // less than 0.3 on the body: obscured
    const beside = { ...onLegs, x: 70 };
    expect(frameRegions([{ t: track(0, 'face'), box: beside }], [], [subject], 'heads').obscure).toEqual([beside]);
    // a face the size of this person's head beside its legs (someone crouching beside the subject): obscured
    const small = { x: 134, y: 190, w: 16, h: 16 };
    expect(coverage(small, subjectBody)).toBeCloseTo(6 / 16, 5);
    expect(frameRegions([{ t: track(0, 'face'), box: small }], [], [subject], 'heads').obscure).toEqual([small]);
    // a big box beside the subject's head (not below the head region): obscured
    const byHead = { x: 120, y: 80, w: 40, h: 40 };
    expect(frameRegions([{ t: track(0, 'face'), box: byHead }], [], [subject], 'heads').obscure).toContainEqual(byHead);
    // a person nearer the camera whose head region holds the box: obscured
    const near = { x: 60, y: 175, w: 80, h: 240 };
    expect(coverage(third, headFromBody(near))).toBeGreaterThanOrEqual(0.5);
    expect(frameRegions([{ t: track(0, 'face'), box: third }], [], [subject, { t: track(5, 'person'), box: near }], 'heads').obscure).toContainEqual(third);
  });

  it('a bystander\'s head is obscured even where a face was found on it; bodies mode obscures the body outside the subject', () => {
    const face = { x: 212, y: 102, w: 14, h: 14 };
    const heads = frameRegions([{ t: track(0, 'face'), box: face }], [], [{ t: track(2, 'person'), box: other }], 'heads');
    expect(heads.obscure).toHaveLength(2);
    expect(heads.obscure[0]).toEqual(face);
    expect(coverage(face, heads.obscure[1]!)).toBe(1);
    const bodies = frameRegions([], [], [{ t: track(2, 'person', true), box: subjectBody }, { t: track(5, 'person'), box: { ...other, x: 120 } }], 'bodies');
    const area = bodies.obscure.slice(1).reduce((a, r) => a + r.w * r.h, 0);
    expect(area).toBe((160 - 140) * 120);
    for (const part of bodies.obscure.slice(1)) expect(coverage(part, subjectBody)).toBe(0);
  });

  it('a large face on a bystander\'s head stands for the head (no head region besides it); a small one does not', () => {
    const body = { x: 200, y: 100, w: 120, h: 130 }; // head and shoulders, close to the camera
    const large = { x: 225, y: 95, w: 60, h: 60 };
    const r = frameRegions([{ t: track(0, 'face'), box: large }], [], [{ t: track(2, 'person'), box: body }], 'heads');
    expect(r.obscure).toEqual([large]);
    const small = { x: 250, y: 100, w: 20, h: 20 };
    expect(frameRegions([{ t: track(0, 'face'), box: small }], [], [{ t: track(2, 'person'), box: body }], 'heads').obscure).toHaveLength(2);
    // A large face elsewhere (not on the head region) leaves the head region in place.
    expect(frameRegions([{ t: track(0, 'face'), box: { ...large, y: 200 } }], [], [{ t: track(2, 'person'), box: body }], 'heads').obscure).toHaveLength(2);
    // A wide box (400 px, a head region 440 px wide): a face of 80 px is less than 0.3 of its width,
    // so it does not stand for the head (it could be one of several people merged into the box) ...
    const wide = { x: 0, y: 100, w: 400, h: 300 };
    const face80 = { x: 160, y: 110, w: 80, h: 80 };
    const one = (face: typeof face80, frameHeight?: number) => frameRegions([{ t: track(0, 'face'), box: face }], [], [{ t: track(2, 'person'), box: wide }], 'heads', frameHeight).obscure;
    expect(one(face80)).toHaveLength(2);
    expect(one(face80, 480)).toHaveLength(2);
    // ... unless the box is cut by the bottom of the picture (a close-up: the width is the
    // shoulders'), where it is judged against the head size the box implies (max(300, 2.8 × 400) / 7.5 ≈ 149 px).
    expect(headSize(wide)).toBeCloseTo(149.3, 1);
    expect(one(face80, 400)).toEqual([face80]);
    const face60 = { x: 170, y: 110, w: 60, h: 60 }; // under half that head size: the head region stays
    expect(one(face60, 400)).toHaveLength(2);
  });

  it('a held head (a person hidden, where last seen) yields to the subject seen there; a detected head does not', () => {
    const overSubject = { x: 110, y: 90, w: 40, h: 120 }; // its head region lies on the subject's upper body
    const held = frameRegions([], [], [{ t: track(2, 'person', true), box: subjectBody }, { t: track(5, 'person'), box: overSubject, held: true }], 'heads');
    for (const part of held.obscure) expect(coverage(part, subjectBody)).toBe(0);
    expect(held.obscure.length).toBeGreaterThan(0); // what lies outside the subject stays obscured
    const seen = frameRegions([], [], [{ t: track(2, 'person', true), box: subjectBody }, { t: track(5, 'person'), box: overSubject }], 'heads');
    expect(seen.obscure).toEqual([headFromBody(overSubject)]);
    expect(coverage(seen.obscure[0]!, subjectBody)).toBeGreaterThan(0.3);
  });

  it('the roll of a face seen on the subject is not obscured, unless it now lies on another person\'s head', () => {
    const rolled = { x: 60, y: 60, w: 30, h: 30 }; // off the subject's box now
    expect(frameRegions([{ t: track(0, 'face'), box: rolled, rollOnSubject: true }], [], [{ t: track(2, 'person', true), box: subjectBody }], 'heads').obscure).toEqual([]);
    expect(frameRegions([{ t: track(0, 'face'), box: rolled }], [], [{ t: track(2, 'person', true), box: subjectBody }], 'heads').obscure).toEqual([rolled]);
    const someoneThere = { x: 55, y: 62, w: 40, h: 120 };
    expect(frameRegions([{ t: track(0, 'face'), box: rolled, rollOnSubject: true }], [], [{ t: track(2, 'person', true), box: subjectBody }, { t: track(5, 'person'), box: someoneThere }], 'heads').obscure).toContainEqual(rolled);
  });

  it('a doubted face (second opinion below threshold) on no person seen there is not obscured; on a person, or not doubted, it is', () => {
    const face = { x: 400, y: 40, w: 36, h: 36 }; // on the background, away from everyone
    const bystander = { t: track(5, 'person'), box: other };
    expect(frameRegions([{ t: track(0, 'face'), box: face, doubted: true }], [], [bystander], 'heads').obscure).toEqual([headFromBody(other)]);
    expect(frameRegions([{ t: track(0, 'face'), box: face }], [], [bystander], 'heads').obscure).toContainEqual(face);
    // Partly (0.3) on a person's box: obscured, doubted or not.
    const onBody = { x: 230, y: 150, w: 30, h: 30 };
    expect(coverage(onBody, other)).toBeCloseTo(1 / 3, 5);
    expect(frameRegions([{ t: track(0, 'face'), box: onBody, doubted: true }], [], [bystander], 'heads').obscure).toContainEqual(onBody);
    // On the head region reaching above the box: obscured.
    const aboveHead = { x: 205, y: 80, w: 24, h: 24 };
    expect(coverage(aboveHead, other)).toBeLessThan(0.3);
    expect(coverage(aboveHead, headFromBody(other))).toBeGreaterThanOrEqual(0.3);
    expect(frameRegions([{ t: track(0, 'face'), box: aboveHead, doubted: true }], [], [bystander], 'heads').obscure).toContainEqual(aboveHead);
    // A hold is a guess where a hidden person is, not a body seen: it carries no doubted face.
    const held = { ...bystander, box: { x: 390, y: 30, w: 50, h: 150 }, held: true };
    expect(frameRegions([{ t: track(0, 'face'), box: face, doubted: true }], [], [held], 'heads').obscure).not.toContainEqual(face);
    // A reviewer's obscure edit wins over the doubt.
    expect(frameRegions([{ t: { ...track(0, 'face'), edit: 'obscure' }, box: face, doubted: true }], [], [], 'heads').obscure).toEqual([face]);
  });

  it('subtract', () => {
    expect(subtract({ x: 0, y: 0, w: 10, h: 10 }, { x: 20, y: 0, w: 5, h: 5 })).toEqual([{ x: 0, y: 0, w: 10, h: 10 }]);
    expect(subtract({ x: 0, y: 0, w: 10, h: 10 }, { x: 2, y: 2, w: 4, h: 4 }).reduce((a, r) => a + r.w * r.h, 0)).toBe(84);
    expect(subtract({ x: 0, y: 0, w: 10, h: 10 }, { x: -5, y: -5, w: 30, h: 30 })).toEqual([]);
  });
});
