/**
 * Detector-level measurement used to choose the tiling: for each tile size, per-frame detection
 * recall of labelled faces by size bucket, false detections, and inference cost per frame.
 *
 *   npx tsx eval/tune.ts [--tiles 0,128,160,192,256] [--threshold 0.5] [--every 5] [--model front|back]
 *
 * `--model back --threshold 0.75 --tiles 384,512,...` measures the verifier (BlazeFace full-range 256).
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureClip } from '../test/fixtures/media/generate.js';
import { FaceScanner } from '../worker/engine/detect/faces.js';
import { iou } from '../worker/engine/frame.js';
import { probeMedia } from '../worker/engine/probe.js';
import { decodeVideo } from '../worker/engine/video.js';
import { EVAL_CLIPS } from './dataset.js';

const { values } = parseArgs({ options: { tiles: { type: 'string' }, threshold: { type: 'string' }, every: { type: 'string' }, clips: { type: 'string' }, model: { type: 'string' } } });
const variant = values.model === 'back' ? 'back' : 'front';
const tiles = (values.tiles ?? '0,128,160,192,256').split(',').map(Number);
const threshold = Number(values.threshold ?? 0.5);
const every = Number(values.every ?? 5);
const buckets = [0, 24, 32, 48, 96, 1e9];
const bucketName = (s: number) => `${buckets[buckets.findIndex((b, i) => s >= b && s < buckets[i + 1]!)]}+`;
const dir = join(process.cwd(), '.test-data', 'eval');

for (const tile of tiles) {
  const scanner = await FaceScanner.create({ tileSize: tile, tileOverlap: 0.25, scoreThreshold: threshold }, 'cpu', variant);
  const hit = new Map<string, [number, number]>();
  let falseDet = 0;
  let frames = 0;
  let ms = 0;
  for (const clip of EVAL_CLIPS.filter((c) => !values.clips || values.clips.split(',').includes(c.name))) {
    const { path, truth } = await ensureClip(dir, clip.name, clip.spec);
    const info = await probeMedia(path);
    if (info.kind !== 'video') continue;
    let f = 0;
    for await (const frame of decodeVideo(path, info, { everyNth: every })) {
      const t0 = performance.now();
      const dets = await scanner.scan(frame);
      ms += performance.now() - t0;
      frames++;
      const gt = truth.frames[f * every]!.faces.filter((x) => x.visible > 0.9);
      for (const g of gt) {
        const key = bucketName(g.box.w);
        const [h, n] = hit.get(key) ?? [0, 0];
        hit.set(key, [h + (dets.some((d) => iou(d, g.box) > 0.3) ? 1 : 0), n + 1]);
      }
      falseDet += dets.filter((d) => !truth.frames[f * every]!.faces.some((g) => iou(d, g.box) > 0.1)).length;
      f++;
    }
  }
  await scanner.release();
  const cells = [...hit.entries()].sort((a, b) => parseInt(a[0]) - parseInt(b[0])).map(([k, [h, n]]) => `${k}px ${(h / n).toFixed(3)} (${h}/${n})`);
  console.log(`tile ${String(tile).padStart(4)}  ${(ms / frames).toFixed(1).padStart(6)} ms/frame  false/frame ${(falseDet / frames).toFixed(2)}  ${cells.join('  ')}`);
}
