import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ffmpegPath, run } from '../../worker/engine/ffmpeg.js';
import type { LabelFile } from './labels.js';
import { cropAround, overlayFrames, overlayFilter, writeOverlays } from './overlay.js';

const labels: LabelFile = {
  name: 'still',
  kind: 'image',
  source: 's',
  file: 'f',
  width: 320,
  height: 240,
  frames: [0, 0],
  labelling: 'by hand',
  ignore: [],
  subject: { person: 'S', hint: { atSeconds: 0, box: { x: 200, y: 40, w: 60, h: 180 } } },
  people: [
    { id: 'A', keys: [{ frame: 0, class: 'face', head: [100, 60, 20, 20], body: [90, 55, 40, 100], conditions: ['frontal'] }] },
    { id: 'B', keys: [{ frame: 0, class: 'head', head: [20, 30, 12, 14], body: [14, 28, 24, 60], conditions: ['back'] }] },
    { id: 'S', keys: [{ frame: 0, class: 'face', head: [220, 40, 20, 24], body: [200, 40, 60, 180], conditions: ['frontal'] }] },
  ],
};

describe('eval overlays (pictures of the misses)', () => {
  it('draws the missed heads and the subjects covered by more than 10 %, nothing else', () => {
    const coverSubject = [{ x: 200, y: 40, w: 60, h: 40 }]; // 22 % of the subject's body
    const frames = overlayFrames(labels, ['A@0'], [coverSubject]).map((f) => f.why);
    expect(frames).toHaveLength(2);
    expect(frames[0]).toBe('A missed');
    expect(frames[1]).toMatch(/^S subject covered 2[0-3]%$/); // the metric's sampling grid
    expect(overlayFrames(labels, [], [[{ x: 200, y: 40, w: 60, h: 10 }]])).toEqual([]);
  });

  it('crops around the person (body grown 2×, at least 200×160) inside the frame', () => {
    expect(cropAround({ x: 90, y: 55, w: 40, h: 100 }, 320, 240)).toEqual({ x: 10, y: 5, w: 200, h: 200 });
    expect(cropAround({ x: 300, y: 200, w: 40, h: 60 }, 320, 240)).toEqual({ x: 120, y: 80, w: 200, h: 160 });
    const f = overlayFilter({ kind: 'video', frame: 7, width: 320, height: 240, focus: { x: 90, y: 55, w: 40, h: 100 } }, { heads: [], subjectHeads: [], bodies: [], obscured: [{ x: 1, y: 2, w: 3, h: 4 }], kept: [] });
    expect(f).toBe("select='eq(n\\,7)',drawbox=x=1:y=2:w=3:h=4:color=red:t=1,crop=200:200:10:5,scale=600:600:flags=neighbor");
  });

  it('writes a picture with the labels and the obscured regions drawn on the original, zoomed 3×', async () => {
    const dir = join(process.cwd(), '.test-data', 'eval-overlay');
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    const input = join(dir, 'grey.png');
    await run(ffmpegPath(), ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'color=c=gray:s=320x240', '-frames:v', '1', input]);
    const obscured = { x: 150, y: 100, w: 30, h: 30 };
    const [written, ...more] = await writeOverlays(input, labels, ['A@0'], { obscured: [[obscured]], kept: [[]] }, dir);
    expect(more).toEqual([]);
    expect(written).toBe(join(dir, 'still-f00000-A.png'));
    const crop = cropAround({ x: 90, y: 55, w: 40, h: 100 }, 320, 240);
    const { stdout } = await run(ffmpegPath(), ['-v', 'error', '-i', written!, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-']);
    const W = crop.w * 3;
    expect(stdout.length).toBe(W * crop.h * 3 * 3);
    const px = (x: number, y: number) => [...stdout.subarray(((y - crop.y) * 3 * W + (x - crop.x) * 3) * 3, ((y - crop.y) * 3 * W + (x - crop.x) * 3) * 3 + 3)];
    const near = (a: number[], b: number[]) => a.every((v, i) => Math.abs(v - b[i]!) < 40);
    expect(near(px(150, 100), [255, 0, 0]), `red at the obscured box's corner, got ${px(150, 100)}`).toBe(true);
    expect(near(px(100, 60), [0, 255, 0]), `green at the labelled head's corner, got ${px(100, 60)}`).toBe(true);
    expect(near(px(60, 200), [128, 128, 128]), 'grey where nothing is drawn').toBe(true);
  }, 30_000);
});
