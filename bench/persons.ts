/**
 * `npx tsx bench/persons.ts [--reps N] [--centernet FILE.onnx] [--movenet HUMAN_MODELS_DIR] [--hog OPENCV_JS]`
 *
 * Person detectors side by side in one run: the engine's (NanoDet-g, ONNX, one intra-op thread = one
 * core) at several input sizes, the engine's BlazeFace full face scan as the cost baseline, and —
 * when their files are given (see bench/person-candidates.ts) — the candidates that are not shipped:
 * CenterNet (the detector before NanoDet), MoveNet MultiPose, OpenCV's HOG people detector.
 * Configurations are interleaved per round, so load drift hits all alike.
 *
 * Prints per configuration: median ms per frame on the vtest frames (real CCTV, 768×576) and on the
 * same frames resized to 1280×720, and on the hand-labelled vtest frames (test/fixtures/vtest: 55
 * persons in 9 frames) the persons found (IoU ≥ 0.5 with a labelled body), those found that are not
 * partly hidden, and the detections that are no labelled person.
 */
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { matchPersons, VTEST_BODIES, VTEST_LABELS } from '../test/fixtures/vtest/labels.js';
import { DEFAULT_FACE_SCAN, FaceScanner } from '../worker/engine/detect/faces.js';
import { DEFAULT_PERSON_SCAN, PersonDetector } from '../worker/engine/detect/persons.js';
import type { Frame } from '../worker/engine/frame.js';
import { centerNet, hog, moveNet, type PersonRun } from './person-candidates.js';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const reps = Number(arg('--reps') ?? 5);
const fixtures = fileURLToPath(new URL('../test/fixtures/vtest/', import.meta.url));

async function load(name: string, size?: { w: number; h: number }): Promise<Frame> {
  let img = sharp(join(fixtures, name)).removeAlpha();
  if (size) img = img.resize(size.w, size.h, { fit: 'fill' });
  const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, format: 'rgb24', data };
}

const labels: Record<string, { body: [number, number, number, number]; occluded?: boolean }[]> = { ...VTEST_LABELS, ...VTEST_BODIES };
const names = Object.keys(labels);
const timed = names.filter((n) => n in VTEST_LABELS);
const sets: { label: string; frames: Frame[] }[] = [
  { label: '768×576 (vtest)', frames: await Promise.all(timed.map((n) => load(n))) },
  { label: '1280×720 (vtest resized)', frames: await Promise.all(timed.map((n) => load(n, { w: 1280, h: 720 }))) },
];

const faces = await FaceScanner.create(DEFAULT_FACE_SCAN);
const persons = await PersonDetector.create(DEFAULT_PERSON_SCAN);
const releases: (() => Promise<void>)[] = [() => faces.release(), () => persons.release()];

interface Config {
  name: string;
  run: (f: Frame) => Promise<unknown>;
  /** Person detectors are also scored on the labelled frames. */
  persons?: PersonRun;
  /** Too slow to time on every round: one timed pass. */
  once?: boolean;
}
const square = (side: number): PersonRun => (f) => persons.detectArea(f, 0, 0, Math.max(f.width, f.height) / side, side, side);
const t = DEFAULT_PERSON_SCAN.scoreThreshold;
const configs: Config[] = [
  { name: 'BlazeFace full face scan (engine default)', run: (f) => faces.scan(f) },
  { name: `NanoDet 416 long side (engine default, ≥ ${t})`, run: (f) => persons.detect(f), persons: (f) => persons.detect(f) },
  { name: `NanoDet 416² letterboxed (training shape)`, run: square(416), persons: square(416) },
  { name: `NanoDet 512 long side`, run: (f) => persons.detect(f, 512), persons: (f) => persons.detect(f, 512) },
  { name: `NanoDet 320 long side`, run: (f) => persons.detect(f, 320), persons: (f) => persons.detect(f, 320) },
];
const centernetFile = arg('--centernet');
if (centernetFile) {
  const c = await centerNet(centernetFile, 512, 0.4);
  releases.push(c.release);
  configs.push({ name: 'CenterNet 512 long side (≥ 0.4; removed)', run: c.run, persons: c.run });
}
const movenetDir = arg('--movenet');
if (movenetDir) {
  for (const long of [256, 512]) {
    const m = await moveNet(movenetDir, long, 0.2);
    releases.push(m.release);
    configs.push({ name: `MoveNet MultiPose ${long} long side (≥ 0.2, tfjs WASM)`, run: m.run, persons: m.run });
  }
}
const opencvJs = arg('--hog');
if (opencvJs) {
  for (const [up, hit] of [[2, 0], [2, 0.5]] as const) {
    const h = await hog(opencvJs, up, hit);
    releases.push(h.release);
    configs.push({ name: `HOG people ${up}× upscaled (hit ≥ ${hit}, opencv.js)`, run: h.run, persons: h.run, once: true });
  }
}

console.log(`CPU: ${cpus()[0]?.model} (${cpus().length} cores on the machine, one intra-op thread per session); ${reps} rounds, configurations interleaved`);
const times = new Map<string, number[]>();
const total = reps * sets.length * configs.length;
let done = 0;
for (let r = 0; r <= reps; r++) {
  for (const set of sets) {
    for (const c of configs) {
      if (!c.once || r === 1) {
        for (const f of set.frames) {
          const start = performance.now();
          await c.run(f);
          const ms = performance.now() - start;
          if (r > 0) times.set(`${set.label}|${c.name}`, [...(times.get(`${set.label}|${c.name}`) ?? []), ms]); // round 0 warms up
        }
      }
      if (r > 0) process.stderr.write(`\r[${'#'.repeat(Math.round((++done / total) * 30)).padEnd(30)}] ${done}/${total}`);
    }
  }
}
process.stderr.write('\n');

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
for (const set of sets) {
  const base = median(times.get(`${set.label}|${configs[0]!.name}`)!);
  console.log(`\n${set.label}: median ms per frame (${reps} rounds × ${set.frames.length} frames)`);
  for (const c of configs) {
    const m = median(times.get(`${set.label}|${c.name}`)!);
    console.log(`  ${c.name.padEnd(52)} ${m.toFixed(1).padStart(8)} ms   ${(m / base).toFixed(2)}× the face scan`);
  }
}

const frames = await Promise.all(names.map((n) => load(n)));
const present = names.reduce((a, n) => a + labels[n]!.length, 0);
const visible = names.reduce((a, n) => a + labels[n]!.filter((p) => !p.occluded).length, 0);
console.log(`\nlabelled vtest frames (${names.length} frames, ${present} persons, ${visible} not partly hidden): found / not hidden found / other detections`);
for (const c of configs.filter((x) => x.persons)) {
  let [hit, hitVisible, extra] = [0, 0, 0];
  for (const [i, n] of names.entries()) {
    const r = matchPersons(labels[n]!, await c.persons!(frames[i]!));
    hit += r.matched.filter(Boolean).length;
    hitVisible += r.matched.filter((m, j) => m && !labels[n]![j]!.occluded).length;
    extra += r.extra.length;
  }
  console.log(`  ${c.name.padEnd(52)} ${hit}/${present}   ${hitVisible}/${visible}   ${extra}`);
}
for (const release of releases) await release();
