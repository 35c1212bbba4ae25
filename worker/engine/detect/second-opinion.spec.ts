import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VTEST_BODIES, VTEST_LABELS } from '../../../test/fixtures/vtest/labels.js';
import { coverage, type Frame, type Rect } from '../frame.js';
import { LabelFileSchema } from '../../../eval/real/labels.js';
import { scoreReal } from '../../../eval/real/metrics.js';
import { redactMedia } from '../index.js';
import { DEFAULT_FACE_SCAN, FaceScanner } from './faces.js';
import { judged, SECOND_OPINION, SecondOpinion } from './second-opinion.js';

/**
 * The second opinion on real pictures: real faces (face-api's demo photographs, faces labelled by
 * eye in eval/real/labels) scaled down to 24 and 40 px are confirmed; the "faces" the engine's scan
 * finds on vtest's background (a real CCTV frame, people labelled by hand in test/fixtures/vtest)
 * are not.
 */
const root = join(import.meta.dirname, '../../..');

async function frameOf(path: string, scale = 1): Promise<Frame> {
  const meta = await sharp(path).metadata();
  const img = sharp(path).removeAlpha();
  if (scale !== 1) img.resize(Math.round(meta.width! * scale), Math.round(meta.height! * scale));
  const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, format: 'rgb24', data };
}

let second: SecondOpinion;
beforeAll(async () => {
  second = await SecondOpinion.create('cpu', 8);
});
afterAll(async () => {
  await second?.release();
});

describe('SecondOpinion', () => {
  it('confirms real faces of 24 and 40 px (face-api demo photographs)', async () => {
    const scores: number[] = [];
    for (const n of [1, 4, 6]) {
      const labels = JSON.parse(await readFile(join(root, `eval/real/labels/face-api-sample${n}.json`), 'utf8')) as { people: { keys: { head: number[] }[] }[] };
      const photo = join(root, `node_modules/@vladmandic/face-api/demo/sample${n}.jpg`);
      const heads = labels.people.map((p) => p.keys[0]!.head as [number, number, number, number]);
      for (const side of [24, 40]) {
        // One scale per photo: its smallest face at `side` px.
        const k = side / Math.min(...heads.map(([, , w, h]) => Math.min(w, h)));
        const frame = await frameOf(photo, k);
        const dets = heads.map(([x, y, w, h]) => ({ x: x * k, y: y * k, w: w * k, h: h * k, score: 0.9 }));
        const looked = await second.look(frame, 1000 + scores.length, dets);
        for (const d of looked) {
          expect(d.second, `sample${n} at ${side} px`).toBeDefined();
          scores.push(d.second!);
        }
      }
    }
    expect(scores.length).toBeGreaterThanOrEqual(20);
    expect(Math.min(...scores)).toBeGreaterThanOrEqual(SECOND_OPINION.threshold);
  });

  it("doubts most of the faces the engine's scan finds on a real CCTV background; judges only faces of ≥ minSide", async () => {
    const scanner = await FaceScanner.create(DEFAULT_FACE_SCAN);
    try {
      const doubted: Rect[] = [];
      const confirmed: Rect[] = [];
      let frameNo = 10_000;
      for (const name of ['vtest-frame-80.jpg', 'vtest-frame-160.jpg', 'vtest-frame-640.jpg']) {
        const frame = await frameOf(join(root, 'test/fixtures/vtest', name));
        // Every person in the frame (hand-labelled bodies, and heads where labelled).
        const people = [...(VTEST_LABELS[name] ?? []).flatMap((p) => [p.body, p.head]), ...(VTEST_BODIES[name] ?? []).map((p) => p.body)];
        const found = await scanner.scan(frame);
        // Background: lying on no labelled person's body or head.
        const background = found.filter((d) => !people.some((b) => coverage(d, toRect(b)) > 0));
        // Frames far apart: no look carries over from another picture.
        const looked = await second.look(frame, (frameNo += 100), background);
        for (const d of looked) {
          if (!judged(d)) {
            expect(d.second).toBeUndefined();
            continue;
          }
          (d.second! < SECOND_OPINION.threshold ? doubted : confirmed).push(d);
        }
      }
      // The scan does find such things (a signpost, a roof line, a stain on the road): 12 of the 13
      // there are doubted; the stain in frame 640 scores 0.56 and stays obscured.
      expect(doubted.length).toBeGreaterThanOrEqual(10);
      expect(doubted.length / (doubted.length + confirmed.length)).toBeGreaterThanOrEqual(0.8);
    } finally {
      await scanner.release();
    }
  });

  it('keeps a look for the same face for `refresh` frames, following it as it moves, then looks again', async () => {
    const frame = await frameOf(join(root, 'test/fixtures/vtest/vtest-frame-80.jpg'));
    const so = await SecondOpinion.create('cpu', 4);
    try {
      const box = { x: 541, y: 36, w: 36, h: 36, score: 0.5 };
      const [a] = await so.look(frame, 0, [box]);
      expect(so.looks).toBe(1);
      const [b] = await so.look(frame, 3, [{ ...box, x: box.x + 2 }]);
      expect(so.looks).toBe(1);
      expect(b!.second).toBe(a!.second);
      await so.look(frame, 4, [box]);
      expect(so.looks).toBe(2);
      // Elsewhere: a look of its own.
      await so.look(frame, 5, [{ ...box, x: 100 }]);
      expect(so.looks).toBe(3);
      // A face moving 6 px a frame: its centre near the last one's each time, 18 px from the first.
      for (let i = 1; i <= 3; i++) await so.look(frame, 5 + i, [{ ...box, x: 100 + 6 * i }]);
      expect(so.looks).toBe(3);
    } finally {
      await so.release();
    }
  });
});

describe('redacting real CCTV (vtest frames 20–59, test/fixtures/media/real)', () => {
  it('hides less background and obscures the same heads, with the second opinion', async () => {
    const labels = LabelFileSchema.parse(JSON.parse(await readFile(join(root, 'eval/real/labels/vtest.json'), 'utf8')));
    const out = join(root, '.test-data/second-opinion');
    await mkdir(out, { recursive: true });
    const run = async (secondOpinion: boolean) => {
      let plan: Rect[][] = [];
      const report = await redactMedia(join(root, 'test/fixtures/media/real/vtest-20-59.mp4'), join(out, `vtest-${secondOpinion}.mp4`), {
        targets: ['faces'],
        style: 'pixelate',
        subjects: [],
        keepAudio: false,
        secondOpinion,
        onPlan: (p) => (plan = p.obscured),
      });
      // The extract's frame i is vtest's frame 20 + i (the labels' numbering).
      const obscured: Rect[][] = [...Array.from({ length: 20 }, () => []), ...plan];
      return { report, score: scoreReal({ ...labels, subject: undefined, frames: [20, 59] }, obscured) };
    };
    const without = await run(false);
    const withIt = await run(true);
    // Measured: 3.21 % of the frame obscured outside people without, 1.48 % with (edge rolls of
    // people at most 1 s in both).
    expect(withIt.score.falseObscured).toBeLessThan(0.7 * without.score.falseObscured);
    expect(withIt.score.missed).toEqual(without.score.missed);
    expect(withIt.score.byBand).toEqual(without.score.byBand);
    expect(withIt.report.verification.status).toBe('passed');
    expect(withIt.report.models.map((m) => m.role)).toContain('face-second-opinion');
    expect(without.report.models.map((m) => m.role)).not.toContain('face-second-opinion');
    expect(withIt.report.parameters.detection).toMatchObject({ secondOpinionMinSide: SECOND_OPINION.minSide, secondOpinionThreshold: SECOND_OPINION.threshold });
  }, 120_000);
});

function toRect([x, y, w, h]: readonly number[]): Rect {
  return { x: x!, y: y!, w: w!, h: h! };
}
