/**
 * `npx tsx bench/parts.ts [clip]` — what each part of the analysis costs on one 720p frame of the
 * panning bench clip, timed alone (median of 5, after a warm-up): the face scan's passes, the
 * contrast normalisation, the person scan and the verifier's scan. For choosing what to change.
 */
import { join } from 'node:path';
import { DEFAULT_LIMITS, probeMedia } from '../worker/engine/probe.js';
import { decodeVideo } from '../worker/engine/video.js';
import { FaceScanner, DEFAULT_FACE_SCAN } from '../worker/engine/detect/faces.js';
import { PersonDetector } from '../worker/engine/detect/persons.js';
import { normaliseDarkRegions } from '../worker/engine/detect/contrast.js';
import { resampleToTensor, type Frame } from '../worker/engine/frame.js';
import { Verifier, DEFAULT_VERIFY } from '../worker/engine/verify.js';
import { readdirSync } from 'node:fs';

const dir = join(process.cwd(), '.test-data', 'bench');
const clip = process.argv[2] ?? join(dir, readdirSync(dir).find((f) => f.startsWith('bench-720p-') && f.endsWith('.mp4'))!);
const info = await probeMedia(clip, DEFAULT_LIMITS);
if (info.kind !== 'video') throw new Error('not a video');
const frames: Frame[] = [];
let i = 0;
for await (const f of decodeVideo(clip, info, {})) if (i++ % 13 === 0 && frames.length < 19) frames.push(f);
const fr = frames[3]!;
async function time(label: string, fn: () => unknown, n = 5) {
  await fn();
  const ts: number[] = [];
  for (let k = 0; k < n; k++) {
    const t = performance.now();
    await fn();
    ts.push(performance.now() - t);
  }
  ts.sort((a, b) => a - b);
  console.log(`${label.padEnd(48)} ${ts[Math.floor(n / 2)]!.toFixed(1).padStart(8)} ms`);
}
const s = await FaceScanner.create(DEFAULT_FACE_SCAN);
const all = [{ x: 0, y: 0, w: fr.width, h: fr.height }];
await time('face full scan (default)', () => s.scan(fr));
await time('  whole + coarse', () => s.scanPlan(fr, { whole: true, areas: [], crops: [] }));
await time('  fine dense area (whole frame)', () => s.scanPlan(fr, { whole: false, areas: all, crops: [] }));
await time('  small pass (whole frame)', () => s.scanPlan(fr, { whole: false, areas: [], crops: [], small: all }));
const inW = 2048, inH = 1152;
const t = new Float32Array(inW * inH * 3);
await time('    resample 2048×1152', () => resampleToTensor(fr, 0, 0, 0.625, inW, inH, t));
await time('    CLAHE 2048×1152', () => { resampleToTensor(fr, 0, 0, 0.625, inW, inH, t); normaliseDarkRegions(t, inW, inH); });
const p = await PersonDetector.create();
await time('person scan 416', () => p.detect(fr));
const v = await Verifier.create(DEFAULT_VERIFY, 'cpu');
let k = 0;
await time('verifier scan (sampled frames in order)', () => v.scan(frames[k++ % frames.length]!), 17);
const v0 = await Verifier.create({ ...DEFAULT_VERIFY, small: undefined }, 'cpu');
k = 0;
await time('verifier scan without its small pass', () => v0.scan(frames[k++ % frames.length]!), 5);
await v0.release();
await s.release(); await p.release(); await v.release();
