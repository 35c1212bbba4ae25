/**
 * The labelled evaluation set: generated clips (faces from the face-api demo photos, synthetic
 * plates) covering the conditions CCTV throws at the engine. Ground truth comes from the generator.
 */
import type { FaceSpec, PlateSpec, SampleClipSpec } from '../test/fixtures/media/generate.js';
import { ALL_FACES } from '../test/fixtures/media/generate.js';
import type { SubjectHint } from '../shared/domain/redaction.js';

export interface EvalClip {
  name: string;
  spec: Omit<SampleClipSpec, 'outPath'>;
  subjects: SubjectHint[];
}

function pick(i: number) {
  return ALL_FACES[i % ALL_FACES.length]!;
}

/** A face walking in a straight line from (x0,y0) to (x1,y1) over the clip, size s0 → s1. */
function walker(i: number, seconds: number, x0: number, y0: number, x1: number, y1: number, s0: number, s1 = s0, extra: Partial<FaceSpec> = {}): FaceSpec {
  return { ...pick(i), path: [{ t: 0, cx: x0, cy: y0, size: s0 }, { t: seconds, cx: x1, cy: y1, size: s1 }], ...extra };
}

function car(text: string, seconds: number, x0: number, x1: number, y: number, w0: number, w1 = w0): PlateSpec {
  return { text, path: [{ t: 0, x: x0, y, width: w0 }, { t: seconds, x: x1, y, width: w1 }] };
}

const S = 3;

/**
 * Fixed-camera (retail CCTV) clips: the background stays put with mild sensor noise and x264
 * compression; people (a face on a torso) enter from the frame edges, stand still for seconds, and the lighting flickers
 * or jumps (auto-exposure). These are the clips motion gating of the detector scans is judged on.
 */
const STATIC = { pan: 0, noise: 3, crf: 26, bodies: true } as const;
const L = 6;

/** A face entering/leaving along keyframes (t, cx, cy, size); off-frame positions are invisible. */
function route(i: number, keys: [number, number, number, number][], extra: Partial<FaceSpec> = {}): FaceSpec {
  return { ...pick(i), path: keys.map(([t, cx, cy, size]) => ({ t, cx, cy, size })), ...extra };
}

export const EVAL_CLIPS: EvalClip[] = [
  {
    name: 'aisle-640',
    spec: { seconds: S, width: 640, height: 360, fps: 25, seed: 11, faces: [walker(0, S, 80, 120, 300, 130, 60, 70), walker(5, S, 580, 100, 420, 110, 48), walker(9, S, 320, 270, 360, 250, 36, 40)] },
    subjects: [],
  },
  {
    name: 'small-faces-720p',
    spec: {
      seconds: S, width: 1280, height: 720, fps: 25, seed: 12,
      faces: [walker(1, S, 100, 100, 400, 120, 20, 22), walker(3, S, 1200, 200, 900, 180, 24), walker(7, S, 640, 400, 700, 380, 28, 30), walker(12, S, 300, 600, 200, 560, 32), walker(15, S, 1000, 620, 1150, 600, 22, 26)],
    },
    subjects: [],
  },
  {
    name: 'low-light-motion-blur',
    spec: { seconds: S, width: 960, height: 540, fps: 25, seed: 13, light: 0.4, noise: 8, motionBlur: 5, faces: [walker(2, S, 50, 200, 900, 260, 44, 50), walker(10, S, 900, 120, 100, 140, 34), walker(18, S, 480, 450, 520, 420, 60, 64)] },
    subjects: [],
  },
  {
    name: 'heavy-compression',
    spec: { seconds: S, width: 960, height: 540, fps: 25, seed: 14, crf: 38, faces: [walker(4, S, 200, 150, 500, 170, 26, 30), walker(8, S, 800, 300, 600, 320, 40), walker(20, S, 400, 420, 420, 400, 90, 96)] },
    subjects: [],
  },
  {
    name: 'frame-edges',
    spec: {
      seconds: S, width: 960, height: 540, fps: 25, seed: 15,
      faces: [walker(6, S, -40, 200, 300, 220, 80), walker(11, S, 1000, 300, 700, 280, 70), walker(13, S, 480, -30, 480, 200, 60), walker(16, S, 200, 450, 200, 580, 64)],
    },
    subjects: [],
  },
  {
    name: 'crowd-with-subject',
    spec: {
      seconds: S, width: 1280, height: 720, fps: 25, seed: 16,
      faces: [
        walker(0, S, 300, 300, 600, 320, 90, 100, { subject: true }),
        walker(3, S, 150, 150, 250, 160, 40), walker(6, S, 1100, 200, 900, 220, 50), walker(9, S, 900, 550, 1000, 520, 60),
        walker(14, S, 500, 600, 450, 620, 30), walker(19, S, 700, 120, 760, 130, 36), walker(21, S, 1200, 620, 1100, 640, 26),
      ],
    },
    // The uploader marks the offender 1 s in: a box around the head and shoulders.
    subjects: [{ atSeconds: 1, box: { x: 300 + 100 - 95, y: 300 + 6.7 - 95, w: 190, h: 260 } }],
  },
  {
    name: 'car-park-plates',
    spec: {
      seconds: S, width: 1280, height: 720, fps: 25, seed: 17,
      faces: [walker(17, S, 200, 200, 260, 220, 40)],
      plates: [car('AB12 CDE', S, 100, 600, 520, 140), car('KX65 TUV', S, 1100, 800, 300, 80), car('LM3 4NP', S, 700, 760, 640, 60, 64), car('YR19 HGF', S, 300, 380, 150, 48)],
    },
    subjects: [],
  },
  {
    name: 'static-entrances-720p',
    spec: {
      seconds: L, width: 1280, height: 720, fps: 25, seed: 31, ...STATIC,
      faces: [
        // Small faces entering from every edge at staggered times.
        route(1, [[0.4, -20, 200, 24], [5.4, 1300, 230, 26]]),
        route(4, [[1.0, 1300, 420, 20], [3.5, 800, 400, 22], [6, 700, 390, 22]]),
        route(8, [[1.8, 500, -20, 28], [4.0, 520, 300, 30], [6, 540, 310, 30]]),
        route(12, [[2.6, 950, 740, 32], [5.0, 1000, 450, 30], [6, 1010, 440, 30]]),
        route(15, [[3.4, -20, 600, 30], [6, 500, 560, 30]]),
        // Behind the counter from the start, barely moving.
        route(19, [[0, 200, 480, 22], [6, 206, 482, 22]]),
        // Steps out of a doorway mid-frame (appears, no edge).
        route(23, [[2.2, 880, 150, 26], [6, 760, 170, 28]], { from: 2.2 }),
      ],
    },
    subjects: [],
  },
  {
    name: 'static-standing-960',
    spec: {
      seconds: L, width: 960, height: 540, fps: 25, seed: 32, ...STATIC,
      faces: [
        // Walks in, stands still for 3.5 s, walks back out.
        route(2, [[0, -30, 220, 40], [1.5, 380, 240, 42], [5.0, 382, 240, 42], [6, -30, 230, 40]]),
        // Small face: in from the right, stands 2.5 s, leaves upwards.
        route(10, [[0.8, 990, 380, 26], [2.0, 760, 370, 26], [4.5, 760, 370, 26], [6, 740, -20, 24]]),
        // The subject (hinted): walks in and stands at the till.
        route(0, [[0, 600, 560, 70], [1.2, 600, 300, 72], [6, 604, 300, 72]], { subject: true }),
        // Standing at the back for the whole clip.
        route(21, [[0, 150, 120, 30], [6, 150, 120, 30]]),
      ],
    },
    // The uploader marks the subject at 3 s.
    subjects: [{ atSeconds: 3, box: { x: 600 - 70, y: 300 - 80, w: 140, h: 190 } }],
  },
  {
    name: 'static-flicker-720p',
    spec: {
      seconds: L, width: 1280, height: 720, fps: 25, seed: 33, ...STATIC, light: 0.8, noise: 4,
      // Flicker for half a second, then an auto-exposure jump that stays.
      lighting: [
        { t: 0, gain: 1 }, { t: 1.5, gain: 1 }, { t: 1.58, gain: 0.82 }, { t: 1.66, gain: 1.05 }, { t: 1.74, gain: 0.85 }, { t: 1.82, gain: 1 },
        { t: 1.9, gain: 0.84 }, { t: 2.0, gain: 1 }, { t: 3.6, gain: 1 }, { t: 3.7, gain: 1.35 }, { t: 6, gain: 1.35 },
      ],
      faces: [
        route(3, [[0, 640, 300, 36], [6, 644, 302, 36]]),
        route(6, [[0.5, -30, 250, 28], [5.5, 1310, 280, 30]]),
        route(9, [[2.5, 1310, 560, 48], [6, 700, 540, 50]]),
        route(14, [[3.65, 300, -25, 34], [5.0, 320, 200, 34], [6, 322, 200, 34]]),
      ],
    },
    subjects: [],
  },
  {
    name: 'static-car-park-plates',
    spec: {
      seconds: L, width: 1280, height: 720, fps: 25, seed: 34, ...STATIC,
      faces: [route(17, [[0.5, -20, 240, 36], [6, 700, 260, 38]]), route(20, [[0, 1000, 180, 30], [6, 1000, 180, 30]])],
      plates: [
        // Parked cars (static plates) and one driving in and parking.
        { text: 'AB12 CDE', path: [{ t: 0, x: 150, y: 560, width: 130 }] },
        { text: 'YR19 HGF', path: [{ t: 0, x: 520, y: 600, width: 100 }] },
        { text: 'KX65 TUV', path: [{ t: 0, x: 1400, y: 420, width: 90 }, { t: 2.0, x: 1400, y: 420, width: 90 }, { t: 4.0, x: 900, y: 440, width: 96 }, { t: 6, x: 900, y: 440, width: 96 }] },
      ],
    },
    subjects: [],
  },
  {
    name: 'large-faces',
    spec: { seconds: S, width: 1280, height: 720, fps: 25, seed: 18, faces: [walker(2, S, 300, 330, 420, 360, 200, 190), walker(22, S, 950, 300, 850, 320, 150, 170)] },
    subjects: [],
  },
];
