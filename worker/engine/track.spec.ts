import { describe, expect, it } from 'vitest';
import type { SubjectHint } from '../../shared/domain/redaction.js';
import {
  applySubjectHints,
  assignRolls,
  buildTracks,
  DEFAULT_TRACKING,
  type Detection,
  lagFrames,
  planFrames,
  StreamPlanner,
  TrackBuilder,
} from './track.js';
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
    const lag = lagFrames(p);
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
      if (faces[f]) planner.faces.push(f, faces[f]!);
      if (plates[f]) planner.plates.push(f, plates[f]!);
      render(f + 1, false);
    }
    render(n, true);
    expect(m).toBe(n);
    expect(matches).toEqual(refMatches);
  });
});
