/**
 * `npx tsx bench/pan-share.ts [clip] [every]` — per full-scan frame (every 16th by default), where the
 * engine's upsampled small-face pass would run (motion.ts SmallPassPlanner: content not explained as
 * moved, plus the staggered safety net): squares chosen, areas and their share of the frame, and the
 * time the planning took.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_MOTION, SmallPassPlanner } from '../worker/engine/motion.js';
import { DEFAULT_LIMITS, probeMedia } from '../worker/engine/probe.js';
import { decodeVideo } from '../worker/engine/video.js';

const dir = join(process.cwd(), '.test-data', 'bench');
const clip = process.argv[2] ?? join(dir, readdirSync(dir).find((f) => f.startsWith('bench-720p-') && f.endsWith('.mp4'))!);
const every = Number(process.argv[3] ?? 16);
const info = await probeMedia(clip, DEFAULT_LIMITS);
if (info.kind !== 'video') throw new Error('not a video');
let planner: SmallPassPlanner | undefined;
let f = 0;
let total = 0;
let calls = 0;
for await (const frame of decodeVideo(clip, info, {})) {
  if (f % every === 0) {
    planner ??= new SmallPassPlanner(frame.width, frame.height, DEFAULT_MOTION.safetyEvery, Math.floor(DEFAULT_MOTION.safetyEvery / every));
    const t = performance.now();
    const r = planner.plan(frame, f);
    const ms = performance.now() - t;
    const share = r.areas.reduce((a, b) => a + b.w * b.h, 0) / (frame.width * frame.height);
    total += share;
    calls++;
    console.log(`frame ${String(f).padStart(4)}: squares ${r.units}/${r.of}, ${r.areas.length} areas, ${(share * 100).toFixed(1)} % of the frame; ${ms.toFixed(1)} ms`);
  }
  f++;
}
console.log(`mean share scanned: ${((total / calls) * 100).toFixed(1)} %`);
