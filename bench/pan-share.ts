/**
 * `npx tsx bench/pan-share.ts [clip] [every] [--scan] [--safety <frames>]` — per full-scan frame (every 16th by default), where the
 * engine's upsampled small-face pass would run (motion.ts SmallPassPlanner: content not explained as
 * moved, plus the staggered safety net): squares chosen, areas and their share of the frame, and the
 * time the planning took; with --scan also the small-face pass over those areas (ms per full scan).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_FACE_SCAN, FaceScanner } from '../worker/engine/detect/faces.js';
import { DEFAULT_MOTION, SmallPassPlanner } from '../worker/engine/motion.js';
import { DEFAULT_LIMITS, probeMedia } from '../worker/engine/probe.js';
import { decodeVideo } from '../worker/engine/video.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { scan: { type: 'boolean' }, safety: { type: 'string' } } });
const dir = join(process.cwd(), '.test-data', 'bench');
const clip = positionals[0] ?? join(dir, readdirSync(dir).find((f) => f.startsWith('bench-720p-') && f.endsWith('.mp4'))!);
const every = Number(positionals[1] ?? 16);
const safety = Number(values.safety ?? DEFAULT_MOTION.safetyEvery);
const info = await probeMedia(clip, DEFAULT_LIMITS);
if (info.kind !== 'video') throw new Error('not a video');
let planner: SmallPassPlanner | undefined;
const scanner = values.scan ? await FaceScanner.create(DEFAULT_FACE_SCAN) : undefined;
let scanMs = 0;
let f = 0;
let total = 0;
let calls = 0;
for await (const frame of decodeVideo(clip, info, {})) {
  if (f % every === 0) {
    planner ??= new SmallPassPlanner(frame.width, frame.height, safety, Math.floor(safety / every));
    const t = performance.now();
    const r = planner.plan(frame, f);
    const ms = performance.now() - t;
    if (scanner) {
      const t1 = performance.now();
      await scanner.scanPlan(frame, { whole: false, areas: [], crops: [], small: r.areas });
      scanMs += performance.now() - t1;
    }
    const share = r.areas.reduce((a, b) => a + b.w * b.h, 0) / (frame.width * frame.height);
    total += share;
    calls++;
    console.log(`frame ${String(f).padStart(4)}: squares ${r.units}/${r.of}, ${r.areas.length} areas, ${(share * 100).toFixed(1)} % of the frame; ${ms.toFixed(1)} ms`);
  }
  f++;
}
console.log(`mean share scanned: ${((total / calls) * 100).toFixed(1)} %${scanner ? `; small pass ${(scanMs / calls).toFixed(0)} ms per full scan` : ''}`);
await scanner?.release();
