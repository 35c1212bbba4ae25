import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaceScanner, DEFAULT_FACE_SCAN } from './detect/faces.js';
import type { PlateDetector } from './detect/plate-detector.js';
import type { Frame, Rect } from './frame.js';
import { DEFAULT_MOTION } from './motion.js';
import { DetectionSchedule, type ScheduleParams } from './schedule.js';

/** A plate detector (the engine's own port) that records its calls and finds one plate on its first whole-frame scan. */
function recordingPlates() {
  const calls: string[] = [];
  let first = true;
  const plate = { x: 40, y: 180, w: 60, h: 16, score: 0.9 };
  const d: PlateDetector = {
    model: { name: 'recording-plates', version: 'test', sha256: '0'.repeat(64) },
    async scan() {
      calls.push('scan');
      const found = first ? [plate] : [];
      first = false;
      return found;
    },
    async scanAround(_frame: Frame, boxes: readonly Rect[]) {
      calls.push(`around:${boxes.length}`);
      return [];
    },
    async release() {},
  };
  return { d, calls };
}

const black = (): Frame => ({ width: 320, height: 240, format: 'yuv420p', data: Buffer.alloc(320 * 240 * 1.5, 16).fill(128, 320 * 240) });
const params: ScheduleParams = { cadence: 2, fullScanEvery: 16, plateCadence: 6, plateFullEvery: 24, wantFaces: true, gated: false, motion: DEFAULT_MOTION };

describe('DetectionSchedule', () => {
  let faces: FaceScanner;
  beforeAll(async () => {
    faces = await FaceScanner.create(DEFAULT_FACE_SCAN);
  });
  afterAll(() => faces.release());

  it('detects faces on every cadence frame with a full scan every fullScanEvery frames, plates on their own cadence', async () => {
    const { d, calls } = recordingPlates();
    const prof: Record<string, number> = {};
    const s = new DetectionSchedule(faces, d, params, prof);
    const faceFrames: number[] = [];
    for (let f = 0; f <= 48; f++) {
      const frame = black();
      if ((await s.faces(frame, f)) !== undefined) faceFrames.push(f);
      if (s.isPlateFrame(f)) await s.plates(frame, f);
    }
    expect(faceFrames).toEqual(Array.from({ length: 25 }, (_, i) => 2 * i));
    expect(prof.faceFullFrames).toBe(4); // 0, 16, 32, 48
    // The plate found at frame 0 is looked for around its box on the next plate frames until it has
    // been missed 3 times; whole-frame scans at 0, 24 and 48; nothing to look around after that.
    expect(calls).toEqual(['scan', 'around:1', 'around:1', 'around:1', 'scan', 'scan']);
    expect(prof.plateFullFrames).toBe(3);
  });

  it('with motion gating, a second full scan of an unchanged picture scans no face tile', async () => {
    const prof: Record<string, number> = {};
    const s = new DetectionSchedule(faces, undefined, { ...params, gated: true }, prof);
    await s.faces(black(), 0);
    const first = prof.gateFaceTilesScanned!;
    for (let f = 2; f <= 16; f += 2) await s.faces(black(), f);
    expect(first).toBeGreaterThan(0);
    expect(prof.gateFaceTilesScanned).toBe(first);
    expect(prof.faceFullFrames).toBe(2);
    expect(s.isPlateFrame(0)).toBe(false); // no plate detector
  });
});
