/**
 * Face recall per size band (< 20, 20–40, > 40 px) and condition (clean, dark, motion blur, both)
 * on real photographs of people scaled down whole and degraded (eval/bands-set.ts), for the engine's
 * full scan and the verifier, each as it was and as it is now, side by side in one run, with the
 * cost per 1280×720 frame. A face counts found when a box overlaps it (see `found`).
 *
 *   npx tsx eval/bands.ts [--variants a,b] [--conditions clean,dark] [--sizes 10,12] [--photos 1,3,5] [--json out.json]
 *
 * Also prints the smallest face side from which each variant finds ≥ 90 % of the faces of every
 * larger size in good and dim light (its "reach", in 2 px bins), which the redaction report states
 * for the engine and the verifier (SMALLEST_FACE in verify.ts).
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { DEFAULT_FACE_SCAN, FaceScanner, type FaceScanParams } from '../worker/engine/detect/faces.js';
import { DEFAULT_CONTRAST } from '../worker/engine/detect/contrast.js';
import { type Frame, iou, type Rect } from '../worker/engine/frame.js';
import { DEFAULT_VERIFY, Verifier, type VerifyParams } from '../worker/engine/verify.js';
import { ffmpegPath, run } from '../worker/engine/ffmpeg.js';
import { buildBandSet, CONDITIONS, type Condition, FACES_BEFORE, found, SIZES, vtestPath } from './bands-set.js';

interface Scan {
  scan(frame: Frame): Promise<Rect[]>;
  release(): Promise<void>;
}

interface Variant {
  name: string;
  make: () => Promise<Scan>;
}

const whole = (f: Frame) => [{ x: 0, y: 0, w: f.width, h: f.height }];
const CLAHE = DEFAULT_CONTRAST;

/** The engine's face scanner over the whole frame (a full scan, as on an ungated full-scan frame). */
function engine(name: string, params: FaceScanParams): Variant {
  return {
    name,
    make: async () => {
      const s = await FaceScanner.create(params, 'cpu', 'front');
      return { scan: (f) => s.scanPlan(f, { whole: true, areas: whole(f), crops: [], small: whole(f) }), release: () => s.release() };
    },
  };
}

/** The verifier (its scan of one output frame). */
function verifier(name: string, params: VerifyParams): Variant {
  return { name, make: () => Verifier.create(params, 'cpu') };
}

const BEFORE_SCAN: FaceScanParams = { ...DEFAULT_FACE_SCAN, ...FACES_BEFORE.faceScan };
const BEFORE_VERIFY: VerifyParams = { ...DEFAULT_VERIFY, ...FACES_BEFORE.verifyParams };

export const VARIANTS: Variant[] = [
  engine('engine-before', BEFORE_SCAN),
  engine('engine-clahe', { ...BEFORE_SCAN, contrast: CLAHE }),
  engine('engine-up2', { ...BEFORE_SCAN, smallTile: 80 }),
  engine('engine-up2-clahe-fine', { ...BEFORE_SCAN, smallTile: 80, contrast: CLAHE }),
  engine('engine-up2-clahe-all', { ...BEFORE_SCAN, smallTile: 80, contrast: CLAHE, smallContrast: true }),
  engine('engine-now', DEFAULT_FACE_SCAN),
  verifier('verifier-before', BEFORE_VERIFY),
  verifier('verifier-192-t60', { ...BEFORE_VERIFY, tileSize: 192, scoreThreshold: 0.6 }),
  verifier('verifier-front64', { ...BEFORE_VERIFY, small: { model: 'front', tile: 64, scoreThreshold: 0.4, safetyEvery: 4 } }),
  verifier('verifier-front64-clahe', { ...BEFORE_VERIFY, small: { model: 'front', tile: 64, scoreThreshold: 0.4, contrast: CLAHE, safetyEvery: 4 } }),
  verifier('verifier-front80-clahe', { ...BEFORE_VERIFY, small: { model: 'front', tile: 80, scoreThreshold: 0.4, contrast: CLAHE, safetyEvery: 4 } }),
  verifier('verifier-now', DEFAULT_VERIFY),
];

export const BANDS = [
  { name: '<20', min: 0, max: 20 },
  { name: '20-40', min: 20, max: 40 },
  { name: '>40', min: 40, max: Infinity },
];

const { values } = parseArgs({ options: { variants: { type: 'string' }, conditions: { type: 'string' }, sizes: { type: 'string' }, photos: { type: 'string' }, json: { type: 'string' } } });
const conditions = (values.conditions?.split(',') as Condition[] | undefined) ?? CONDITIONS;
const sizes = values.sizes?.split(',').map(Number) ?? SIZES;
const variants = VARIANTS.filter((v) => !values.variants || values.variants.split(',').includes(v.name));

// The background: frame 0 of vtest.avi (real CCTV) when the opencv-doc sample is on this machine.
const vtest = vtestPath();
const background = vtest ? (await run(ffmpegPath(), ['-v', 'error', '-i', vtest, '-frames:v', '1', '-f', 'image2pipe', '-c:v', 'png', '-'])).stdout : undefined;
process.stderr.write(`background: ${vtest ? 'vtest.avi frame 0' : 'grey (opencv-doc sample not found; set OPENCV_SAMPLES)'}\n`);
const set = await buildBandSet(background, conditions, sizes, values.photos?.split(',').map(Number));
process.stderr.write(`${set.length} frames, ${set.reduce((n, s) => n + s.faces.length, 0)} faces\n`);

const results: Record<string, { found: Record<string, [number, number]>; bySize: Map<number, [number, number]>; others: number; ms: number; frames: number }> = {};
for (const v of variants) {
  const scanner = await v.make();
  const r = { found: {} as Record<string, [number, number]>, bySize: new Map<number, [number, number]>(), others: 0, ms: 0, frames: 0 };
  for (const item of set) {
    const t0 = performance.now();
    const dets = await scanner.scan(item.frame);
    r.ms += performance.now() - t0;
    r.frames++;
    for (const face of item.faces) {
      const hit = dets.some((d) => found(d, face));
      const band = BANDS.find((b) => face.w >= b.min && face.w < b.max)!.name;
      for (const key of [`${band}|${item.condition}`, `${band}|all`]) {
        const c = (r.found[key] ??= [0, 0]);
        c[0] += hit ? 1 : 0;
        c[1]++;
      }
      // Reach is stated for good light and dim light (motion blur is reported per band only).
      if (item.condition === 'clean' || item.condition === 'dark') {
        const s = Math.round(face.w);
        const c = r.bySize.get(s) ?? [0, 0];
        r.bySize.set(s, [c[0] + (hit ? 1 : 0), c[1] + 1]);
      }
    }
    r.others += dets.filter((d) => !item.faces.some((f) => iou(d, f) >= 0.1)).length;
  }
  await scanner.release();
  results[v.name] = r;
  process.stderr.write(`${v.name}: ${(r.ms / r.frames).toFixed(0)} ms/frame ${JSON.stringify(r.found)}\n`);
}

/** Smallest face side s such that every size ≥ s (binned by 2 px) is found ≥ 90 % of the time. */
export function reach(bySize: Map<number, [number, number]>): number | null {
  const bins = new Map<number, [number, number]>();
  for (const [s, [h, n]] of bySize) {
    const b = Math.floor(s / 2) * 2;
    const c = bins.get(b) ?? [0, 0];
    bins.set(b, [c[0] + h, c[1] + n]);
  }
  const keys = [...bins.keys()].sort((a, b) => b - a);
  let best: number | null = null;
  for (const k of keys) {
    const [h, n] = bins.get(k)!;
    if (h / n < 0.9) break;
    best = k;
  }
  return best;
}

const cols = [...conditions, 'all'];
for (const band of BANDS) {
  console.log(`\nface recall, ${band.name} px`);
  console.log(`| variant | ${cols.join(' | ')} |`);
  console.log(`|---|${cols.map(() => '---').join('|')}|`);
  for (const v of variants) {
    const r = results[v.name]!;
    const cells = cols.map((c) => {
      const x = r.found[`${band.name}|${c}`];
      return x ? `${(x[0] / x[1]).toFixed(3)} (${x[0]}/${x[1]})` : 'n/a';
    });
    console.log(`| ${v.name} | ${cells.join(' | ')} |`);
  }
}
console.log('\n| variant | ms per 1280×720 frame | other boxes per frame | reach, clean + dark (≥ 90 % from this side up) |');
console.log('|---|---|---|---|');
for (const v of variants) {
  const r = results[v.name]!;
  console.log(`| ${v.name} | ${(r.ms / r.frames).toFixed(0)} | ${(r.others / r.frames).toFixed(2)} | ${reach(r.bySize) ?? 'none'} px |`);
}
if (values.json) {
  await writeFile(values.json, JSON.stringify(Object.fromEntries(Object.entries(results).map(([k, r]) => [k, { ...r, bySize: Object.fromEntries(r.bySize) }])), null, 2));
}
