import { describe, expect, it } from 'vitest';
import { boxAt, boxProblem, defaultSpan, EditSet, REASON_TEXT, reasonText, toRenderBox, trackState } from './review-model.js';

const track = {
  firstFrame: 10,
  lastFrame: 60,
  boxes: [
    { frame: 10, x: 100, y: 50, w: 40, h: 40 },
    { frame: 35, x: 150, y: 60, w: 60, h: 50 },
    { frame: 60, x: 200, y: 60, w: 60, h: 50 },
  ],
};

describe('review page logic', () => {
  it('draws a track only within its frames, interpolating between keyframe boxes', () => {
    expect(boxAt(track, 9)).toBeUndefined();
    expect(boxAt(track, 61)).toBeUndefined();
    expect(boxAt(track, 10)).toEqual({ x: 100, y: 50, w: 40, h: 40 });
    // Halfway from frame 10 to 35.
    const mid = boxAt(track, 22.5)!;
    expect(mid.x).toBeCloseTo(125);
    expect(mid.y).toBeCloseTo(55);
    expect(mid.w).toBeCloseTo(50);
    expect(mid.h).toBeCloseTo(45);
    expect(boxAt(track, 35)).toEqual({ x: 150, y: 60, w: 60, h: 50 });
    expect(boxAt(track, 60)).toEqual({ x: 200, y: 60, w: 60, h: 50 });
    // Keyframes out of order are sorted; a track whose last keyframe is before lastFrame holds it.
    const held = { firstFrame: 0, lastFrame: 30, boxes: [{ frame: 20, x: 5, y: 5, w: 10, h: 10 }, { frame: 0, x: 0, y: 0, w: 10, h: 10 }] };
    expect(boxAt(held, 10)).toEqual({ x: 2.5, y: 2.5, w: 10, h: 10 });
    expect(boxAt(held, 29)).toEqual({ x: 5, y: 5, w: 10, h: 10 });
    expect(boxAt({ firstFrame: 0, lastFrame: 5, boxes: [] }, 2)).toBeUndefined();
  });

  it('puts a drawn box over 1 s before to 2 s after the current time, within the clip', () => {
    expect(defaultSpan(3, 10)).toEqual({ fromSeconds: 2, toSeconds: 5 });
    expect(defaultSpan(0.4, 10)).toEqual({ fromSeconds: 0, toSeconds: 2.4 });
    expect(defaultSpan(9.2, 10)).toEqual({ fromSeconds: 8.2, toSeconds: 10 });
    expect(defaultSpan(1.234, 4)).toEqual({ fromSeconds: 0.23, toSeconds: 3.23 });
  });

  it('converts a drag on the shown picture to render pixels, clamped and in either direction', () => {
    const shown = { width: 640, height: 360 };
    const render = { width: 1280, height: 720 };
    expect(toRenderBox({ x: 10, y: 20 }, { x: 110, y: 70 }, shown, render)).toEqual({ x: 20, y: 40, w: 200, h: 100 });
    expect(toRenderBox({ x: 110, y: 70 }, { x: 10, y: 20 }, shown, render)).toEqual({ x: 20, y: 40, w: 200, h: 100 });
    expect(toRenderBox({ x: -30, y: 300 }, { x: 700, y: 400 }, shown, render)).toEqual({ x: 0, y: 600, w: 1280, h: 120 });
  });

  it('refuses boxes outside the picture, without size, or with a span that does not hold the current time', () => {
    const render = { width: 640, height: 360, durationSeconds: 4 };
    const ok = { atSeconds: 1, fromSeconds: 0, toSeconds: 3, box: { x: 10, y: 10, w: 50, h: 50 } };
    expect(boxProblem(ok, render)).toBeUndefined();
    expect(boxProblem({ ...ok, box: { x: 10, y: 10, w: 0, h: 50 } }, render)).toMatch(/Drag a box/);
    expect(boxProblem({ ...ok, box: { x: 600, y: 10, w: 50, h: 50 } }, render)).toMatch(/inside the picture/);
    expect(boxProblem({ ...ok, fromSeconds: 1.5 }, render)).toMatch(/span/);
    expect(boxProblem({ ...ok, toSeconds: 5 }, render)).toMatch(/within the clip/);
    expect(boxProblem({ ...ok, box: { x: Number.NaN, y: 10, w: 5, h: 5 } }, render)).toMatch(/number/);
  });

  it('builds the whole edit set: keeping and obscuring a track exclude each other, boxes carried over', () => {
    const applied = { version: 2, keepTracks: [3], obscureTracks: [], obscureBodies: [7], boxes: [{ atSeconds: 2, fromSeconds: 1, toSeconds: 4, box: { x: 1, y: 2, w: 3, h: 4 } }] };
    const edits = new EditSet(applied);
    expect(edits.differsFrom(applied)).toBe(false);
    edits.toggle('obscure', 3);
    expect(edits.has('keep', 3)).toBe(false);
    edits.toggle('keep', 7);
    expect(edits.has('body', 7)).toBe(false);
    edits.toggle('obscure', 9);
    edits.toggle('obscure', 9); // toggled off again
    expect(edits.body(2)).toEqual({ baseVersion: 2, keepTracks: [7], obscureTracks: [3], obscureBodies: [], boxes: applied.boxes });
    expect(edits.differsFrom(applied)).toBe(true);
    expect(trackState({ id: 3, kept: true }, edits)).toEqual({ now: 'kept visible', pending: 'obscure' });
    expect(trackState({ id: 9, kept: false }, edits)).toEqual({ now: 'obscured', pending: '' });
    // The request body is a copy: changing it does not change the set.
    edits.body(2).boxes!.pop();
    expect(edits.boxes).toHaveLength(1);
    expect(new EditSet(null).body(0)).toEqual({ baseVersion: 0, keepTracks: [], obscureTracks: [], obscureBodies: [], boxes: [] });
  });

  it('says every review reason in words, and an unknown one by its code', () => {
    for (const [reason, text] of Object.entries(REASON_TEXT)) {
      expect(reasonText(reason)).toBe(text);
      expect(text).toMatch(/^[A-Z].+\.\)?$/);
    }
    expect(reasonText('subject-ambiguous')).toMatch(/several people/);
    expect(reasonText('something-new')).toBe('Needs review: something-new.');
  });
});
