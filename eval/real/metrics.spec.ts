import { describe, expect, it } from 'vitest';
import type { Rect } from '../metrics.js';
import { expandTruth, type LabelFile, LabelFileSchema, loadLabelFiles } from './labels.js';
import { bandOf, combine, scoreReal } from './metrics.js';

type Key = LabelFile['people'][number]['keys'][number];
const key = (frame: number, head: [number, number, number, number], body: [number, number, number, number], extra: Partial<Key> = {}): Key => ({
  frame,
  class: 'face',
  head,
  body,
  conditions: ['frontal'],
  ...extra,
});

function file(people: LabelFile['people'], o: Partial<LabelFile> = {}): LabelFile {
  return { name: 't', kind: 'video', source: 's', file: 'f', width: 200, height: 100, frames: [0, 10], labelling: 'x', ignore: [], people, ...o };
}

/** `n` frames, each obscuring `regions(f)`. */
const plan = (n: number, regions: (f: number) => Rect[]) => Array.from({ length: n }, (_, f) => regions(f));

describe('real-footage labels', () => {
  it('interpolates boxes linearly between a person\'s keys and takes the nearer key\'s class', () => {
    const l = file([{ id: 'a', keys: [key(0, [0, 0, 10, 10], [0, 0, 20, 40]), key(10, [20, 10, 20, 30], [10, 10, 20, 40], { class: 'head', conditions: ['back'] })] }]);
    const t = expandTruth(l);
    expect(t).toHaveLength(11);
    expect(t[5]!.people[0]!.head).toEqual({ x: 10, y: 5, w: 15, h: 20 });
    expect(t[4]!.people[0]!.class).toBe('face');
    expect(t[6]!.people[0]!).toMatchObject({ class: 'head', conditions: ['back'] });
    expect(t.every((f) => f.scored)).toBe(true);
  });

  it('does not score frames where someone may have entered or left unlabelled between keyframes', () => {
    const l = file([
      { id: 'a', keys: [key(0, [0, 0, 10, 10], [0, 0, 10, 10]), key(10, [0, 0, 10, 10], [0, 0, 10, 10])] },
      { id: 'b', keys: [key(5, [50, 0, 10, 10], [50, 0, 10, 10]), key(10, [50, 0, 10, 10], [50, 0, 10, 10])] },
    ]);
    const scored = expandTruth(l).map((f) => f.scored);
    // b is first seen at 5; the keyframe before is 0, so 1–4 are unknown.
    expect(scored).toEqual([true, false, false, false, false, true, true, true, true, true, true]);
  });

  it('rejects unknown fields, unknown conditions and a subject who is not labelled', () => {
    const ok = file([{ id: 'a', keys: [key(0, [0, 0, 10, 10], [0, 0, 10, 10])] }]);
    expect(LabelFileSchema.safeParse(ok).success).toBe(true);
    expect(LabelFileSchema.safeParse({ ...ok, extra: 1 }).success).toBe(false);
    expect(LabelFileSchema.safeParse({ ...ok, people: [{ id: 'a', keys: [{ ...key(0, [0, 0, 10, 10], [0, 0, 10, 10]), conditions: ['sunny'] }] }] }).success).toBe(false);
    expect(LabelFileSchema.safeParse({ ...ok, subject: { person: 'z', hint: { atSeconds: 0, box: { x: 0, y: 0, w: 1, h: 1 } } } }).success).toBe(false);
  });

  it('the committed label files parse, and every head lies in the picture and in its body box', async () => {
    const files = await loadLabelFiles();
    expect(files.map((f) => f.name).sort()).toEqual([
      'ascent',
      'astronaut',
      'basketball1',
      'camera',
      ...[1, 2, 3, 4, 5, 6].map((n) => `face-api-sample${n}`),
      'grace_hopper',
      'messi5',
      'vtest-0-120',
    ]);
    for (const f of files)
      for (const p of f.people)
        for (const { head: [x, y, w, h], body: [bx, by, bw, bh] } of p.keys) {
          expect(Math.min(x, y, f.width - x - w, f.height - y - h)).toBeGreaterThanOrEqual(0);
          // within 2 px of the body box (vtest's small boxes are placed to the pixel by eye)
          expect(Math.max(bx - x, by - y, x + w - bx - bw, y + h - by - bh)).toBeLessThanOrEqual(2);
        }
  });
});

describe('real-footage metrics', () => {
  it('bands by the head box\'s longer side', () => {
    expect(bandOf({ x: 0, y: 0, w: 9, h: 9.9 })).toBe('<10');
    expect(bandOf({ x: 0, y: 0, w: 8, h: 10 })).toBe('10-20');
    expect(bandOf({ x: 0, y: 0, w: 19, h: 20 })).toBe('20-40');
    expect(bandOf({ x: 0, y: 0, w: 40, h: 30 })).toBe('40-80');
    expect(bandOf({ x: 0, y: 0, w: 97, h: 110 })).toBe('>80');
  });

  it('counts a head obscured only when ≥ 90 % of it is covered, per band, class and condition', () => {
    const l = file(
      [
        { id: 'small', keys: [key(0, [10, 10, 12, 12], [5, 5, 30, 80]), key(10, [10, 10, 12, 12], [5, 5, 30, 80])] },
        { id: 'back', keys: [key(0, [100, 10, 30, 30], [95, 5, 40, 90], { class: 'head', conditions: ['back'] }), key(10, [100, 10, 30, 30], [95, 5, 40, 90], { class: 'head', conditions: ['back'] })] },
      ],
      { frames: [0, 9] },
    );
    // small fully covered in every frame; back covered 80 % (not enough) in frames 0–4, fully in 5–9.
    const s = scoreReal(l, plan(10, (f) => [{ x: 10, y: 10, w: 12, h: 12 }, f < 5 ? { x: 100, y: 10, w: 24, h: 30 } : { x: 100, y: 10, w: 30, h: 30 }]));
    expect(s.byBand['face/10-20']).toEqual({ frames: 10, obscured: 10 });
    expect(s.byBand['head/20-40']).toEqual({ frames: 10, obscured: 5 });
    expect(s.byCondition.back).toEqual({ frames: 10, obscured: 5 });
    expect(s.byCondition.frontal).toEqual({ frames: 10, obscured: 10 });
    expect(s.longestVisibleRun).toBe(5);
    expect(s.longestRunAt).toEqual({ person: 'back', frame: 0 });
    expect(s.missed).toEqual(['back@0', 'back@1', 'back@2', 'back@3', 'back@4']);
  });

  it('longest visible run is per person, resets when obscured and at unscored frames', () => {
    const keys = [key(0, [10, 10, 10, 10], [0, 0, 30, 60]), key(20, [10, 10, 10, 10], [0, 0, 30, 60])];
    const l = file([{ id: 'a', keys }], { frames: [0, 20] });
    // visible at 2–4 and 8–13, obscured elsewhere.
    const s = scoreReal(l, plan(21, (f) => ((f >= 2 && f <= 4) || (f >= 8 && f <= 13) ? [] : [{ x: 0, y: 0, w: 50, h: 50 }])));
    expect(s.longestVisibleRun).toBe(6);
    expect(s.longestRunAt).toEqual({ person: 'a', frame: 8 });
    // b enters unseen between keyframes 0 and 5: frames 1–4 are not scored, so a's run restarts at 5.
    const entering = file(
      [
        { id: 'a', keys: [key(0, [10, 10, 10, 10], [0, 0, 30, 60]), key(10, [10, 10, 10, 10], [0, 0, 30, 60])] },
        { id: 'b', keys: [key(5, [100, 10, 10, 10], [90, 0, 30, 60]), key(10, [100, 10, 10, 10], [90, 0, 30, 60])] },
      ],
      { frames: [0, 10] },
    );
    const e = scoreReal(entering, plan(11, () => []));
    expect(e.scoredFrames).toBe(7);
    expect(e.longestVisibleRun).toBe(6);
  });

  it('a head wholly hidden behind something is neither visible nor obscured, and ends a visible run', () => {
    const keys = [key(0, [10, 10, 10, 10], [0, 0, 30, 60]), key(20, [10, 10, 10, 10], [0, 0, 30, 60])];
    const l = file([{ id: 'a', keys, hidden: [[6, 8]] }], { frames: [0, 20] });
    expect(expandTruth(l).filter((t) => t.people[0]!.hidden).map((t) => t.frame)).toEqual([6, 7, 8]);
    // never obscured: 21 frames, 3 of them hidden; the visible runs are 0–5 and 9–20.
    const s = scoreReal(l, plan(21, () => []));
    expect(s.byBand['face/10-20']).toEqual({ frames: 18, obscured: 0 });
    expect(s.missed).not.toContain('a@7');
    expect(s.longestVisibleRun).toBe(12);
    expect(s.longestRunAt).toEqual({ person: 'a', frame: 9 });
    // the hidden frames still count as the person's for false obscuring
    const over = scoreReal(l, plan(21, (f) => (f === 7 ? [{ x: 0, y: 0, w: 30, h: 60 }] : [])));
    expect(over.falseObscured).toBe(0);
    // hidden frames outside the person's keys, or a range the wrong way round, are refused
    expect(LabelFileSchema.safeParse({ ...l, people: [{ id: 'a', keys, hidden: [[15, 25]] }] }).success).toBe(false);
    expect(LabelFileSchema.safeParse({ ...l, people: [{ id: 'a', keys, hidden: [[8, 6]] }] }).success).toBe(false);
  });

  it('the subject is not a bystander: its body counts visible when ≤ 10 % is covered', () => {
    const l = file(
      [{ id: 's', keys: [key(0, [10, 10, 10, 10], [0, 0, 40, 80]), key(10, [10, 10, 10, 10], [0, 0, 40, 80])] }],
      { frames: [0, 9], subject: { person: 's', hint: { atSeconds: 0, box: { x: 0, y: 0, w: 40, h: 80 } } } },
    );
    // the head (within the body) obscured in frames 0–1: 10 × 10 of 40 × 80 is 3 %: still visible;
    // the whole upper half in frames 2–4: not visible.
    const s = scoreReal(l, plan(10, (f) => (f < 2 ? [{ x: 10, y: 10, w: 10, h: 10 }] : f < 5 ? [{ x: 0, y: 0, w: 40, h: 40 }] : [])));
    expect(s.subject).toEqual({ frames: 10, visible: 7 });
    expect(s.byBand).toEqual({});
    expect(s.longestVisibleRun).toBe(0);
  });

  it('false-obscured is the obscured share of the frame outside people and ignore regions', () => {
    const l = file([{ id: 'a', keys: [key(0, [10, 10, 10, 10], [0, 0, 50, 100])] }], { frames: [0, 0], width: 200, height: 100, ignore: [{ x: 150, y: 0, w: 50, h: 100 }] });
    // On the person: not false. On the ignore region: not false. 50 × 100 of open ground: 25 % false.
    const s = scoreReal(l, [[{ x: 0, y: 0, w: 50, h: 100 }, { x: 150, y: 0, w: 50, h: 100 }, { x: 80, y: 0, w: 50, h: 100 }]]);
    expect(s.falseObscured).toBeCloseTo(0.25, 2);
    expect(scoreReal(l, [[]]).falseObscured).toBe(0);
  });

  it('combines files: tallies add, the worst run wins, false-obscured is weighted by frames', () => {
    const a = { name: 'a', scoredFrames: 10, byBand: { 'face/10-20': { frames: 10, obscured: 9 } }, byCondition: {}, longestVisibleRun: 1, falseObscured: 0.01, missed: ['p@2'] };
    const b = { name: 'b', scoredFrames: 30, byBand: { 'face/10-20': { frames: 5, obscured: 5 } }, byCondition: {}, longestVisibleRun: 4, longestRunAt: { person: 'x', frame: 3 }, falseObscured: 0.05, missed: [] };
    const c = combine([a, b]);
    expect(c.byBand['face/10-20']).toEqual({ frames: 15, obscured: 14 });
    expect(c.longestVisibleRun).toBe(4);
    expect(c.longestRunAt).toEqual({ person: 'b:x', frame: 3 });
    expect(c.falseObscured).toBeCloseTo(0.04, 6);
    expect(c.missed).toEqual(['a:p@2']);
  });
});
