/**
 * `npx tsx bench/persons.ts [--reps N]` — per-frame cost of the person detector (CenterNet, ONNX,
 * one intra-op thread = one core) at several input sizes, side by side with the engine's BlazeFace
 * full face scan on the same frames in the same run (configurations interleaved, so load drift hits
 * all alike). Frames: the vtest fixture frames (real CCTV, 768×576) and the same frames resized to
 * 1280×720. It also prints, per input size, how many of the hand-labelled vtest persons were found.
 */
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { matchPersons, VTEST_LABELS } from '../test/fixtures/vtest/labels.js';
import { DEFAULT_FACE_SCAN, FaceScanner } from '../worker/engine/detect/faces.js';
import { DEFAULT_PERSON_SCAN, PersonDetector, type PersonDetection } from '../worker/engine/detect/persons.js';
import type { Frame } from '../worker/engine/frame.js';

const repsArg = process.argv.indexOf('--reps');
const reps = repsArg > 0 ? Number(process.argv[repsArg + 1]) : 7;
const fixtures = fileURLToPath(new URL('../test/fixtures/vtest/', import.meta.url));

async function load(name: string, size?: { w: number; h: number }): Promise<Frame> {
  let img = sharp(join(fixtures, name)).removeAlpha();
  if (size) img = img.resize(size.w, size.h, { fit: 'fill' });
  const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, format: 'rgb24', data };
}

const names = Object.keys(VTEST_LABELS);
const sets: { label: string; frames: Frame[] }[] = [
  { label: '768×576 (vtest)', frames: await Promise.all(names.map((n) => load(n))) },
  { label: '1280×720 (vtest resized)', frames: await Promise.all(names.map((n) => load(n, { w: 1280, h: 720 }))) },
];

const faces = await FaceScanner.create(DEFAULT_FACE_SCAN);
const persons = await PersonDetector.create(DEFAULT_PERSON_SCAN);

type Run = (f: Frame) => Promise<unknown>;
const square = (side: number): Run => (f) => {
  // The model's training shape: the frame letterboxed into side² (black below / beside it).
  const scale = Math.max(f.width, f.height) / side;
  return persons.detectArea(f, 0, 0, scale, side, side);
};
const configs: { name: string; run: Run }[] = [
  { name: 'BlazeFace full face scan (engine default)', run: (f) => faces.scan(f) },
  { name: 'persons, 768 long side (frame aspect)', run: (f) => persons.detect(f, 768) },
  { name: 'persons, 512² letterboxed (training size)', run: square(512) },
  { name: 'persons, 512 long side (frame aspect, default)', run: (f) => persons.detect(f, 512) },
  { name: 'persons, 384 long side', run: (f) => persons.detect(f, 384) },
  { name: 'persons, 256 long side', run: (f) => persons.detect(f, 256) },
];

console.log(`CPU: ${cpus()[0]?.model} (${cpus().length} cores on the machine, one intra-op thread per session); ${reps} rounds, configurations interleaved`);
const times = new Map<string, number[]>();
const total = reps * sets.length * configs.length;
let done = 0;
for (let r = 0; r <= reps; r++) {
  for (const set of sets) {
    for (const c of configs) {
      for (const f of set.frames) {
        const t = performance.now();
        await c.run(f);
        const ms = performance.now() - t;
        if (r > 0) times.set(`${set.label}|${c.name}`, [...(times.get(`${set.label}|${c.name}`) ?? []), ms]); // round 0 warms up
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
    console.log(`  ${c.name.padEnd(48)} ${m.toFixed(1).padStart(7)} ms   ${(m / base).toFixed(2)}× the face scan`);
  }
}

// Quality per input size on the labelled vtest frames (IoU ≥ 0.5 with a labelled body).
console.log('\nlabelled vtest persons found (threshold ' + DEFAULT_PERSON_SCAN.scoreThreshold + '):');
for (const c of configs.slice(1)) {
  let hit = 0;
  let extra = 0;
  let present = 0;
  for (const [i, n] of names.entries()) {
    const r = matchPersons(VTEST_LABELS[n]!, (await c.run(sets[0]!.frames[i]!)) as PersonDetection[]);
    hit += r.matched.filter(Boolean).length;
    extra += r.extra.length;
    present += VTEST_LABELS[n]!.length;
  }
  console.log(`  ${c.name.padEnd(48)} ${hit}/${present} persons, ${extra} other detections`);
}
await Promise.all([faces.release(), persons.release()]);
