/**
 * `npx tsx eval/persons-cadence.ts <video> [--cadences 1,4,8,12,16] [--pad 0.25]` — what the person
 * detection cadence costs in head coverage (persons-track.ts).
 *
 * The person detector runs on every frame; each frame's detections are the reference. For each
 * cadence c the person tracks are built from every c-th frame only (as the engine does: tracking
 * parameters from personTracking, rolls from assignRolls) and, on every frame, each reference
 * person's head region (headFromBody) is checked against the head regions of the tracks there,
 * padded as rendered: the share of reference heads covered ≥ 90 %, and the number of frames in
 * which some reference head is covered < 50 %. It measures what interpolating between scans loses,
 * not the detector's own recall (persons.spec.ts measures that on labels).
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PersonDetector } from '../worker/engine/detect/persons.js';
import { headFromBody } from '../worker/engine/detect/head-from-body.js';
import { padRect, type Rect } from '../worker/engine/frame.js';
import { personTracking } from '../worker/engine/persons-track.js';
import { probeMedia } from '../worker/engine/probe.js';
import { assignRolls, boxAt, DEFAULT_TRACKING, type Detection, TrackBuilder } from '../worker/engine/track.js';
import { decodeVideo } from '../worker/engine/video.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { cadences: { type: 'string' }, pad: { type: 'string' } } });
const path = positionals[0];
if (!path) throw new Error('usage: npx tsx eval/persons-cadence.ts <video> [--cadences 1,4,8,12,16] [--pad 0.25]');
const cadences = (values.cadences ?? '1,4,8,12,16').split(',').map(Number);
const pad = Number(values.pad ?? 0.25);

const info = await probeMedia(path);
if (info.kind !== 'video') throw new Error('a video is needed');
const detector = await PersonDetector.create();
// Every frame's detections, cached per input and model (the detector is the slow part).
const cacheDir = join(process.cwd(), '.test-data', 'persons-cadence');
await mkdir(cacheDir, { recursive: true });
const cache = join(cacheDir, `${createHash('sha256').update(await readFile(path)).update(detector.model.sha256).digest('hex').slice(0, 16)}.json`);
let perFrame: Detection[][] = [];
let ms = 0;
try {
  ({ perFrame, ms } = JSON.parse(await readFile(cache, 'utf8')) as { perFrame: Detection[][]; ms: number });
} catch {
  for await (const frame of decodeVideo(path, info)) {
    const t = performance.now();
    perFrame.push(await detector.detect(frame));
    ms += performance.now() - t;
    if (perFrame.length % 100 === 0) process.stderr.write(`\r${perFrame.length} frames`);
  }
  process.stderr.write('\n');
  await writeFile(cache, JSON.stringify({ perFrame, ms }));
}
await detector.release();

/** Share of `r` inside the union of `cover` (sample grid). */
function covered(r: Rect, cover: readonly Rect[]): number {
  const N = 12;
  let hit = 0;
  for (let j = 0; j < N; j++) {
    for (let i = 0; i < N; i++) {
      const x = r.x + ((i + 0.5) / N) * r.w;
      const y = r.y + ((j + 0.5) / N) * r.h;
      if (cover.some((c) => x >= c.x && x < c.x + c.w && y >= c.y && y < c.y + c.h)) hit++;
    }
  }
  return hit / (N * N);
}

const tracking = { ...DEFAULT_TRACKING, preRoll: 17 };
console.log(`${perFrame.length} frames ${info.width}×${info.height}, person detector ${(ms / perFrame.length).toFixed(0)} ms per frame (one core, this machine's load)`);
console.log('| cadence | scans per 100 frames | reference heads | covered ≥ 90 % | frames with a head < 50 % covered |');
console.log('|---|---|---|---|---|');
for (const c of cadences) {
  const p = personTracking(tracking, c);
  const b = new TrackBuilder('person', p);
  for (let f = 0; f < perFrame.length; f += c) b.push(f, perFrame[f]!);
  const tracks = b.all();
  assignRolls(tracks, info.width, info.height, p);
  let heads = 0;
  let ok = 0;
  let badFrames = 0;
  perFrame.forEach((dets, f) => {
    const regions = tracks.flatMap((t) => {
      const box = boxAt(t, f, p);
      return box ? [padRect(headFromBody(box), pad)] : [];
    });
    let bad = false;
    for (const d of dets) {
      heads++;
      const share = covered(headFromBody(d), regions);
      if (share >= 0.9) ok++;
      if (share < 0.5) bad = true;
    }
    if (bad) badFrames++;
  });
  console.log(`| ${c} | ${(100 / c).toFixed(1)} | ${heads} | ${(ok / heads).toFixed(4)} | ${badFrames} |`);
}
