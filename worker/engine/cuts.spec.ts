/**
 * Shot cuts on real decoded video (the engine's own decoder): two different scenes joined by a hard
 * cut (as a VMS export joining cameras), a panning camera, lights changing, people walking.
 */
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { ShotCuts, gridChange, lumaGrid } from './cuts.js';
import { DEFAULT_TRACKING, TrackBuilder, assignRolls, boxAt } from './track.js';
import { redactMedia } from './index.js';
import type { Rect } from './frame.js';
import { decodeVideo } from './video.js';
import { ffmpegPath } from './ffmpeg.js';
import { probeMedia } from './probe.js';
import type { Frame } from './frame.js';
import { DEMO_CLIP, ensureClip } from '../../test/fixtures/media/generate.js';

const run = promisify(execFile);
const dir = join(process.cwd(), '.test-data', 'cuts');

async function shots(path: string): Promise<ShotCuts> {
  const info = await probeMedia(path);
  if (info.kind !== 'video') throw new Error('not a video');
  const cuts = new ShotCuts();
  let f = 0;
  for await (const frame of decodeVideo(path, info)) cuts.push(f++, frame);
  return cuts;
}

let aisle: string;
let other: string;
let joined: string;
let panning: string;
let lights: string;

beforeAll(async () => {
  await mkdir(dir, { recursive: true });
  // Two cameras of the same kind of shop aisle (same palette, other shelves and people), fixed.
  aisle = (await ensureClip(dir, 'cuts-aisle', { ...DEMO_CLIP, seconds: 3, pan: 0 })).path;
  other = (await ensureClip(dir, 'cuts-other', { ...DEMO_CLIP, seconds: 3, pan: 0, seed: 21, faces: [{ photo: 4, face: 0, path: [{ t: 0, cx: 300, cy: 140, size: 64 }, { t: 3, cx: 200, cy: 150, size: 70 }] }] })).path;
  panning = (await ensureClip(dir, 'cuts-pan', { ...DEMO_CLIP, seconds: 3, pan: 0.1 })).path;
  lights = (await ensureClip(dir, 'cuts-lights', { ...DEMO_CLIP, seconds: 3, pan: 0, lighting: [{ t: 0, gain: 0.6 }, { t: 1.4, gain: 0.6 }, { t: 1.44, gain: 1.3 }, { t: 3, gain: 1.3 }] })).path;
  joined = join(dir, 'joined.mp4');
  await run(ffmpegPath(), ['-y', '-v', 'error', '-i', aisle, '-i', other, '-filter_complex', '[0:v][1:v]concat=n=2:v=1[v]', '-map', '[v]', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', joined]);
}, 240_000);

describe('shot cuts', () => {
  it('finds the hard cut where two cameras are joined, and only there', async () => {
    const s = await shots(joined);
    expect(s.cuts).toEqual([75]); // 3 s at 25 fps, then the other camera
    expect(s.changes[75]).toBeGreaterThan(0.5);
    expect(Math.max(...s.changes.filter((_, f) => f !== 75))).toBeLessThan(0.5 / 3);
  }, 120_000);

  it('a camera pan, people walking and the lights changing are not cuts', async () => {
    for (const path of [aisle, other, panning, lights]) {
      const s = await shots(path);
      expect(s.cuts, path).toEqual([]);
      expect(Math.max(...s.changes), path).toBeLessThan(0.5);
    }
  }, 120_000);

  it('the change ignores a uniform brightness shift and a small shift of the picture', () => {
    const frame = (f: (x: number, y: number) => number): Frame => {
      const w = 96;
      const h = 54;
      const data = Buffer.alloc(w * h + 2 * 48 * 27, 128);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = f(x, y);
      return { width: w, height: h, format: 'yuv420p', data };
    };
    const scene = (x: number, y: number) => ((Math.floor(x / 6) * 7 + Math.floor(y / 6) * 13) % 9) * 25;
    const a = lumaGrid(frame(scene), 48);
    expect(gridChange(a, lumaGrid(frame((x, y) => Math.min(255, scene(x, y) * 0.5 + 20)), 48), 2)).toBeLessThan(0.05);
    expect(gridChange(a, lumaGrid(frame((x, y) => scene(x + 2, y)), 48), 2)).toBeLessThan(0.05);
    expect(gridChange(a, lumaGrid(frame((x, y) => scene(y, x)), 48), 2)).toBeGreaterThan(0.5);
  });
});

describe('tracks at a cut', () => {
  const p = { ...DEFAULT_TRACKING, preRoll: 6, postRoll: 6 };
  const at = (x: number) => [{ x, y: 100, w: 60, h: 60, score: 0.9 }];

  it('a track (and so a kept subject) is not carried across a cut, even by someone standing at the same place', () => {
    const b = new TrackBuilder('face', p, new Set([0]));
    for (let f = 0; f < 10; f += 2) b.push(f, at(100 + f));
    b.cut(10);
    for (let f = 10; f < 20; f += 2) b.push(f, at(110 + f));
    const tracks = b.all();
    expect(tracks).toHaveLength(2);
    expect(tracks[0]!.frames).toEqual([0, 2, 4, 6, 8]);
    expect(tracks[0]!.kept).toBe(true);
    expect(tracks[1]!.frames).toEqual([10, 12, 14, 16, 18]);
    expect(tracks[1]!.kept).toBe(false); // the person after the cut is not the subject
  });

  it('rolls stop at the cut: no box of one shot lands on the other', () => {
    const b = new TrackBuilder('face', p);
    for (let f = 0; f < 9; f += 2) b.push(f, at(100));
    b.cut(9);
    for (let f = 10; f < 20; f += 2) b.push(f, at(400));
    const tracks = b.all();
    assignRolls(tracks, 640, 360, p);
    expect(boxAt(tracks[0]!, 8, p)).toBeDefined();
    expect(boxAt(tracks[0]!, 9, p)).toBeUndefined(); // post-roll would reach 14
    expect(boxAt(tracks[1]!, 9, p)).toBeDefined(); // pre-roll back to the cut frame…
    expect(boxAt(tracks[1]!, 8, p)).toBeUndefined(); // …not into the previous shot (would reach 4)
    // Without the cut the same detections roll across frame 9 both ways.
    const c = new TrackBuilder('face', p);
    for (let f = 0; f < 9; f += 2) c.push(f, at(100));
    for (let f = 10; f < 20; f += 2) c.push(f, at(400));
    const uncut = c.all();
    assignRolls(uncut, 640, 360, p);
    expect(boxAt(uncut[1]!, 8, p)).toBeDefined();
  });
});

describe('a subject across a cut (the engine on a joined export)', () => {
  it('the subject is kept in its own shot only: the person standing where they stood after the cut is obscured', async () => {
    // Shot 1: the demo aisle; the subject (face 0) walks to about (210, 157) by its end (3 s).
    // Shot 2: another camera with someone else standing right there.
    const first = await ensureClip(dir, 'cuts-subject-1', { ...DEMO_CLIP, seconds: 3, pan: 0 });
    const second = await ensureClip(dir, 'cuts-subject-2', { ...DEMO_CLIP, seconds: 3, pan: 0, seed: 21, faces: [{ photo: 4, face: 0, path: [{ t: 0, cx: 212, cy: 158, size: 76 }, { t: 3, cx: 230, cy: 160, size: 76 }] }] });
    const input = join(dir, 'subject-joined.mp4');
    await run(ffmpegPath(), ['-y', '-v', 'error', '-i', first.path, '-i', second.path, '-filter_complex', '[0:v][1:v]concat=n=2:v=1[v]', '-map', '[v]', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', input]);
    let plan: { obscured: Rect[][]; kept: Rect[][] } | undefined;
    const report = await redactMedia(input, join(dir, 'subject-joined.out.mp4'), {
      targets: ['faces'],
      style: 'pixelate',
      keepAudio: false,
      persons: { enabled: false },
      subjects: [{ atSeconds: 1, box: { x: 90, y: 112, w: 82, h: 82 } }],
      onPlan: (p) => (plan = p),
    });
    expect(report.cuts).toEqual([75]);
    expect(report.subjects.matches[0]!.outcome).toBe('kept');
    const subject = report.tracks.find((t) => t.kept)!;
    expect(subject.lastFrame).toBeLessThan(75);
    expect(report.tracks.filter((t) => t.kept)).toHaveLength(1);
    // Before the cut the subject is kept; after it nothing is, and the other person's face is obscured.
    expect(plan!.kept[70]!.length).toBeGreaterThan(0);
    for (let f = 75; f < 150; f++) expect(plan!.kept[f], `frame ${f}`).toEqual([]);
    const other = second.truth.frames[5]!.faces[0]!.box;
    const centre = { x: other.x + other.w / 2, y: other.y + other.h / 2 };
    expect(plan!.obscured[80]!.some((r) => centre.x > r.x && centre.x < r.x + r.w && centre.y > r.y && centre.y < r.y + r.h)).toBe(true);
  }, 240_000);
});
