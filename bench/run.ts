/**
 * `npm run bench` — speed and memory of the redaction engine on this machine, in one run:
 *  1. two 720p clips: bare ffmpeg decode+encode (same codec, preset and CRF as the engine) vs. the full
 *     redaction (detect faces + plates, track, obscure, encode, verify); fps of both, their ratio:
 *     a. "panning 720p": the whole background pans ~2.5 px/frame (every tile changes every frame);
 *     b. "static CCTV 720p": a fixed camera (mild sensor noise, compression), people entering from
 *        the edges and standing, a parked car, one auto-exposure jump — what retail CCTV looks like;
 *  2. a long clip: resident memory sampled through the redaction, to show it stays flat.
 *
 * Options: --seconds <n> (720p clip length, default 10)  --long <n> (long clip seconds, default 120;
 *          0 skips it)  --targets faces[,plates]  --clips panning,static
 *          --ab (also run each clip with motion gating off, interleaved, to compare on the same load)
 *          --floor (also measure the lower bound on the redaction's time here, see bench/floor.ts)
 *          --persons-off (also run each clip with person detection off, first, in the same process)
 *          --person-every <s> (seconds between person scans; default the engine's)
 *          --compensate-ab (also run each clip with the engine's small-face pass motion compensation
 *          off, first, in the same process: motion.ts MotionCompensation; the verifier's is off by default)
 *          --faces-before (also run each clip with the face path as it was before the small-face pass,
 *          contrast normalisation and the verifier's finer scan, first, in the same process)
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ALL_FACES, ensureClip, type FaceSpec } from '../test/fixtures/media/generate.js';
import { ffmpegPath } from '../worker/engine/ffmpeg.js';
import { redactMedia, type RedactOptions } from '../worker/engine/index.js';
import { FACES_BEFORE } from '../eval/bands-set.js';
import { h264OutputArgs } from '../worker/engine/video.js';
import { measureFloor } from './floor.js';

const { values } = parseArgs({ options: { seconds: { type: 'string' }, long: { type: 'string' }, targets: { type: 'string' }, clips: { type: 'string' }, ab: { type: 'boolean' }, floor: { type: 'boolean' }, 'persons-off': { type: 'boolean' }, 'person-every': { type: 'string' }, 'faces-before': { type: 'boolean' }, 'compensate-ab': { type: 'boolean' } } });
/** --faces-before: each clip also redacted with the face path as it was before the small-face work (no upsampled pass, no contrast normalisation, the verifier's former scan), first. */
const facePaths: { label: string; options: Pick<RedactOptions, 'faceScan' | 'verifyParams'> }[] = [
  ...(values['faces-before'] ? [{ label: ' [faces before]', options: FACES_BEFORE }] : []),
  { label: values['faces-before'] ? ' [faces now]' : '', options: {} },
];
const seconds = Number(values.seconds ?? 10);
const longSeconds = Number(values.long ?? 120);
const targets = (values.targets ?? 'faces,plates').split(',') as ('faces' | 'plates')[];
const dir = join(process.cwd(), '.test-data', 'bench');
await mkdir(dir, { recursive: true });

function walkers(n: number, s: number, w: number, h: number): FaceSpec[] {
  return Array.from({ length: n }, (_, i) => {
    const f = ALL_FACES[(i * 5) % ALL_FACES.length]!;
    const size = [24, 36, 56, 80, 120, 30][i % 6]!;
    const y = h * (0.2 + 0.6 * ((i * 0.37) % 1));
    return { ...f, path: [{ t: 0, cx: w * (0.1 + 0.13 * i), cy: y, size }, { t: s, cx: w * (0.9 - 0.11 * i), cy: y + 20, size: size * 1.1 }] };
  });
}

/** Fixed camera: people enter from the edges at staggered times, one stands still for 4 s, one is there throughout. */
function cctvPeople(s: number, w: number, h: number): FaceSpec[] {
  const sizes = [24, 36, 56, 80, 30, 44];
  const people: FaceSpec[] = sizes.map((size, i) => {
    const f = ALL_FACES[(i * 5 + 2) % ALL_FACES.length]!;
    const t0 = i * (s / 8);
    const y = h * (0.2 + 0.6 * ((i * 0.37) % 1));
    const fromLeft = i % 2 === 0;
    const x0 = fromLeft ? -size : w + size;
    const x1 = fromLeft ? w + size : -size;
    return { ...f, path: [{ t: t0, cx: x0, cy: y, size }, { t: t0 + s * 0.6, cx: x1, cy: y + 30, size: size * 1.1 }] };
  });
  // Walks in from the bottom edge, stands still for 4 s, walks out to the right.
  people.push({ ...ALL_FACES[11]!, path: [{ t: 1, cx: w * 0.45, cy: h + 40, size: 48 }, { t: 2.5, cx: w * 0.45, cy: h * 0.55, size: 50 }, { t: 6.5, cx: w * 0.45 + 4, cy: h * 0.55, size: 50 }, { t: 9, cx: w + 60, cy: h * 0.5, size: 50 }] });
  // Behind the counter the whole time.
  people.push({ ...ALL_FACES[19]!, path: [{ t: 0, cx: w * 0.85, cy: h * 0.3, size: 32 }, { t: s, cx: w * 0.85 + 6, cy: h * 0.3, size: 32 }] });
  return people;
}

const wantClips = (values.clips ?? 'panning,static').split(',');
const benchClips = [
  {
    label: 'panning 720p',
    clip: await ensureClip(dir, 'bench-720p', {
      seconds, width: 1280, height: 720, fps: 25, seed: 21, crf: 20,
      faces: walkers(6, seconds, 1280, 720),
      plates: [{ text: 'AB12 CDE', path: [{ t: 0, x: 100, y: 560, width: 120 }, { t: seconds, x: 900, y: 560, width: 120 }] }],
    }),
    key: 'panning',
  },
  {
    label: 'static CCTV 720p',
    clip: await ensureClip(dir, 'bench-static-720p', {
      seconds, width: 1280, height: 720, fps: 25, seed: 23, crf: 23, pan: 0, noise: 2, bodies: true,
      lighting: [{ t: 0, gain: 1 }, { t: seconds * 0.6, gain: 1 }, { t: seconds * 0.6 + 0.12, gain: 1.25 }, { t: seconds, gain: 1.25 }],
      faces: cctvPeople(seconds, 1280, 720),
      plates: [{ text: 'AB12 CDE', path: [{ t: 0, x: 100, y: 600, width: 120 }] }],
    }),
    key: 'static',
  },
].filter((c) => wantClips.includes(c.key));

const os = await import('node:os');
const summary: string[] = [];
for (const { label, clip } of benchClips) {
  const frames = clip.truth.frames.length;

  // 1a. Bare ffmpeg: decode + encode with the engine's codec settings. Timed before and after the
  // redaction (this machine is shared and its load drifts); the ratio uses the faster of the two.
  const bareRun = async (): Promise<number> => {
    const t0 = performance.now();
    const bare = spawn(ffmpegPath(), ['-nostdin', '-v', 'error', '-y', '-i', clip.path, '-map', '0:v:0', '-an', ...h264OutputArgs('veryfast', 20), join(dir, 'bare.mp4')], { stdio: 'inherit' });
    const [code] = (await once(bare, 'close')) as [number];
    if (code !== 0) throw new Error('bare ffmpeg failed');
    return (performance.now() - t0) / 1000;
  };
  const bareBefore = await bareRun();

  // 1b. Full redaction (with --ab: gating off first, then on).
  for (const path of facePaths)
  for (const gating of values.ab ? [false, true] : [true])
  for (const personsOn of values['persons-off'] ? [false, true] : [true])
  for (const compensate of values['compensate-ab'] ? [false, true] : [true]) {
  const personsLabel = (personsOn ? '' : ' [persons off]') + (compensate ? '' : ' [compensation off]');
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  const t1 = performance.now();
  const profile: Record<string, number> = {};
  const report = await redactMedia(clip.path, join(dir, 'redacted.mp4'), { targets, style: 'pixelate', subjects: [], keepAudio: false, profile, motion: { enabled: gating, compensate }, persons: { enabled: personsOn, ...(values['person-every'] ? { everySeconds: Number(values['person-every']) } : {}) }, ...path.options });
  const fullSecs = (performance.now() - t1) / 1000;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  const bareAfter = gating ? await bareRun() : bareBefore;
  const bareSecs = Math.min(bareBefore, bareAfter);

  const bareFps = frames / bareSecs;
  const fullFps = frames / fullSecs;
  const ratio = fullFps / bareFps;
  console.log(`${label} clip${path.label}${personsLabel}${values.ab ? (gating ? ' (motion gating on)' : ' (motion gating OFF)') : ''}: ${frames} frames (${seconds} s, 1280×720, 25 fps), targets ${targets.join('+')}, CPU, ${os.cpus().length} cores`);
  console.log(`  bare ffmpeg decode+encode (libx264 veryfast crf 20): ${bareFps.toFixed(1)} fps (${bareSecs.toFixed(2)} s; before ${bareBefore.toFixed(2)} s, after ${bareAfter.toFixed(2)} s, the faster counts)`);
  console.log(`  full redaction:                                      ${fullFps.toFixed(1)} fps (${fullSecs.toFixed(2)} s), ${(fullFps / 25).toFixed(2)}× real time`);
  console.log(`    stages (ms): ${JSON.stringify(report.timingsMs)}`);
  console.log(`    main-thread work (ms): ${JSON.stringify(Object.fromEntries(Object.entries(profile).map(([k, v]) => [k, Math.round(v)])))}`);
  console.log(`  ratio full/bare: ${ratio.toFixed(2)}   (target ≥ 0.5)`);
  console.log(`  peak RSS (node process, incl. the verifier thread): ${(peakRss / 2 ** 20).toFixed(0)} MiB; verification ${report.verification.status} (${report.verification.framesChecked} frames); load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  summary.push(`  ${(label + personsLabel + path.label + (values.ab ? (gating ? ' gated' : ' ungated') : '')).padEnd(38)} ${fullFps.toFixed(1).padStart(5)} fps (${(fullFps / 25).toFixed(2)}× real time) vs bare ${bareFps.toFixed(1).padStart(5)} fps   ratio ${ratio.toFixed(2)}   peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
  if (values.floor && gating && personsOn && compensate && path === facePaths.at(-1)) {
    const floor = await measureFloor({ clipPath: clip.path, redactedPath: join(dir, 'redacted.mp4'), dir, frames, profile, framesVerified: report.verification.framesChecked });
    const ceiling = bareSecs / floor.wallSeconds;
    console.log(`  floor (bench/floor.ts; single-threaded CPU-s of the work no redaction can skip): ${JSON.stringify(Object.fromEntries(Object.entries(floor.seconds).map(([k, v]) => [k, Math.round(v * 1000) / 1000])))}`);
    const realTimeAtBest = seconds / floor.wallSeconds;
    console.log(`    sum ${floor.cpuSeconds.toFixed(2)} CPU-s over ${floor.cores} cores = ${floor.wallSeconds.toFixed(2)} s at best: the ratio cannot exceed ${ceiling.toFixed(2)} here (measured ${ratio.toFixed(2)}), nor ${realTimeAtBest.toFixed(2)}× real time (measured ${(fullFps / 25).toFixed(2)}×)`);
    summary.push(`  ${''.padEnd(24)} ceiling at these models and safety parameters: ratio ≤ ${ceiling.toFixed(2)}, ≤ ${realTimeAtBest.toFixed(2)}× real time (floor ${floor.wallSeconds.toFixed(2)} s for ${seconds} s of video; bare ${bareSecs.toFixed(2)} s)`);
  }
  }
}
console.log('ratios (full redaction / bare ffmpeg, target ≥ 0.5):');
for (const l of summary) console.log(l);

// 2. Long clip: memory through the run.
if (longSeconds > 0) {
  const long = await ensureClip(dir, 'bench-long', {
    seconds: longSeconds, width: 640, height: 360, fps: 25, seed: 22, crf: 23,
    faces: walkers(3, longSeconds, 640, 360).map((f, i) => ({ ...f, path: f.path.map((k, j) => ({ ...k, size: Math.max(30, k.size * 0.6), t: j ? longSeconds : 0, cx: j ? (i % 2 ? 80 : 560) : k.cx })) })),
  });
  const samples: { frame: number; rss: number }[] = [];
  const t2 = performance.now();
  await redactMedia(long.path, join(dir, 'long-redacted.mp4'), {
    targets: ['faces'], style: 'pixelate', subjects: [], keepAudio: false,
    onProgress: (p) => {
      if (p.phase === 'render' && p.frame % 250 === 0) samples.push({ frame: p.frame, rss: process.memoryUsage().rss });
    },
  });
  const longSecs = (performance.now() - t2) / 1000;
  console.log(`long clip: ${long.truth.frames.length} frames (${longSeconds} s, 640×360): ${(long.truth.frames.length / longSecs).toFixed(1)} fps`);
  console.log(`  RSS every 250 rendered frames (analysis, render and verification run together), MiB: ${samples.map((s) => (s.rss / 2 ** 20).toFixed(0)).join(' ')}`);
  const rss = samples.map((s) => s.rss);
  if (rss.length >= 4) {
    const firstHalf = rss.slice(1, Math.floor(rss.length / 2));
    const secondHalf = rss.slice(Math.floor(rss.length / 2));
    console.log(`  mean RSS first half ${(avg(firstHalf) / 2 ** 20).toFixed(0)} MiB, second half ${(avg(secondHalf) / 2 ** 20).toFixed(0)} MiB`);
  }
  function avg(a: number[]): number {
    return a.reduce((s, v) => s + v, 0) / Math.max(1, a.length);
  }
}
