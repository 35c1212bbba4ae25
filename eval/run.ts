/**
 * `npm run eval` — quality of the redaction engine on the generated labelled set (eval/dataset.ts).
 *
 * Prints, per clip and overall: bystander-face recall (a face counts obscured in a frame when ≥ 90%
 * of its in-frame box is covered), the longest run of consecutive frames any bystander stays
 * visible, the subject-visible share, plate recall, the false-obscured share of the frame, and the
 * verifier's verdict. Exits 1 when a target is missed.
 *
 * Options: --clips a,b  --tile <px>  --crop <scale>,<min>,<input>  --cadence <n>  --full <n>  --plate-cadence <n>  --plate-full <n>  --no-verify  --json <file>
 *          --no-persons (faces and plates only: the engine before person detection)  --person-every <s> (seconds between person scans)
 *
 * `--real` runs the real-footage set instead (eval/real/README.md; fetch its media first with
 * `bash eval/real/fetch.sh`); with it only --no-verify, --no-persons, --person-every, --json,
 * --real-only <regex> (items whose name matches, e.g. 'face-api|camera' to skip the video) and
 * --overlays <dir> (pictures of every miss, eval/real/overlay.ts) apply.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureClip } from '../test/fixtures/media/generate.js';
import { redactMedia, VerificationFailedError, type RedactionReport } from '../worker/engine/index.js';
import { EVAL_CLIPS } from './dataset.js';
import { type ClipScore, type Rect, scoreClip } from './metrics.js';

/** --crop <scale>,<min px>,<input px>: focused-crop geometry (see FaceScanParams). */
function cropOption() {
  if (!values.crop) return {};
  const [cropScale, cropMin, cropInput] = values.crop.split(',').map(Number);
  return { cropScale, cropMin, cropInput };
}

/** --no-persons / --person-every <s>: person detection off, or its interval (persons-track.ts). */
function personsOption(): { enabled: boolean; everySeconds?: number } {
  return { enabled: !values['no-persons'], ...(values['person-every'] ? { everySeconds: Number(values['person-every']) } : {}) };
}

export const TARGETS = { recall: 0.99, longestRun: 2, subject: 0.95, plates: 0.95 };

const { values } = parseArgs({
  options: {
    clips: { type: 'string' },
    tile: { type: 'string' },
    crop: { type: 'string' },
    cadence: { type: 'string' },
    full: { type: 'string' },
    'plate-cadence': { type: 'string' },
    'plate-full': { type: 'string' },
    'no-verify': { type: 'boolean' },
    'no-motion': { type: 'boolean' },
    safety: { type: 'string' },
    'plate-safety': { type: 'string' },
    'motion-threshold': { type: 'string' },
    json: { type: 'string' },
    real: { type: 'boolean' },
    'real-only': { type: 'string' },
    overlays: { type: 'string' },
    'no-persons': { type: 'boolean' },
    'person-every': { type: 'string' },
  },
});

if (values.real) {
  const { runRealEval } = await import('./real/run.js');
  process.exit(await runRealEval({ verify: !values['no-verify'], persons: personsOption(), ...(values.json ? { json: values.json } : {}), ...(values['real-only'] ? { only: new RegExp(values['real-only']) } : {}), ...(values.overlays ? { overlays: values.overlays } : {}) }));
}

const dir = join(process.cwd(), '.test-data', 'eval');
await mkdir(dir, { recursive: true });
const wanted = values.clips?.split(',');
const clips = EVAL_CLIPS.filter((c) => !wanted || wanted.includes(c.name));
const rows: { name: string; frames: number; score: ClipScore; verification: string; seconds: number; tileShare: number }[] = [];

for (const clip of clips) {
  const { path, truth } = await ensureClip(dir, clip.name, clip.spec);
  let obscured: Rect[][] = [];
  let verification = 'skipped';
  const t0 = performance.now();
  const profile: Record<string, number> = {};
  try {
    const report: RedactionReport = await redactMedia(path, join(dir, `${clip.name}.redacted.mp4`), {
      targets: ['faces', 'plates'],
      style: 'pixelate',
      subjects: clip.subjects,
      keepAudio: false,
      verify: !values['no-verify'],
      faceScan: { ...(values.tile ? { tileSize: Number(values.tile) } : {}), ...cropOption() },
      ...(values.cadence ? { cadence: Number(values.cadence) } : {}),
      ...(values.full ? { fullScanEvery: Number(values.full) } : {}),
      persons: personsOption(),
      motion: {
        enabled: !values['no-motion'],
        ...(values.safety ? { safetyEvery: Number(values.safety) } : {}),
        ...(values['plate-safety'] ? { plateSafetyEvery: Number(values['plate-safety']) } : {}),
        ...(values['motion-threshold'] ? { threshold: Number(values['motion-threshold']) } : {}),
      },
      profile,
      plates: {
        ...(values['plate-cadence'] ? { cadence: Number(values['plate-cadence']) } : {}),
        ...(values['plate-full'] ? { fullScanEvery: Number(values['plate-full']) } : {}),
      },
      onPlan: (plan) => {
        obscured = plan.obscured;
      },
    });
    verification = report.verification.status;
  } catch (err) {
    if (!(err instanceof VerificationFailedError)) throw err;
    verification = `FAILED (${(err.report as RedactionReport).verification.violations.length} violations)`;
  }
  const score = scoreClip(truth, obscured);
  const tileShare = profile.gateFaceTilesAll ? profile.gateFaceTilesScanned! / profile.gateFaceTilesAll : 1;
  rows.push({ name: clip.name, frames: truth.frames.length, score, verification, seconds: (performance.now() - t0) / 1000, tileShare });
  process.stderr.write(`${clip.name}: done in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
}

const total = rows.reduce(
  (a, r) => ({
    bystanderFaceFrames: a.bystanderFaceFrames + r.score.bystanderFaceFrames,
    bystanderObscured: a.bystanderObscured + r.score.bystanderObscured,
    longestVisibleRun: Math.max(a.longestVisibleRun, r.score.longestVisibleRun),
    subjectFrames: a.subjectFrames + r.score.subjectFrames,
    subjectVisible: a.subjectVisible + r.score.subjectVisible,
    plateFrames: a.plateFrames + r.score.plateFrames,
    platesObscured: a.platesObscured + r.score.platesObscured,
    falseObscured: a.falseObscured + r.score.falseObscured * r.frames,
  }),
  { bystanderFaceFrames: 0, bystanderObscured: 0, longestVisibleRun: 0, subjectFrames: 0, subjectVisible: 0, plateFrames: 0, platesObscured: 0, falseObscured: 0 },
);
const frames = rows.reduce((n, r) => n + r.frames, 0);
const ratio = (a: number, b: number) => (b ? (a / b).toFixed(4) : '  n/a ');
const pct = (v: number) => `${(v * 100).toFixed(2)}%`;

const header = ['clip', 'frames', 'face recall', 'longest run', 'subject vis.', 'plate recall', 'false obsc.', 'verification', 'tiles scanned'];
const table = rows.map((r) => [
  r.name,
  String(r.frames),
  `${ratio(r.score.bystanderObscured, r.score.bystanderFaceFrames)} (${r.score.bystanderObscured}/${r.score.bystanderFaceFrames})`,
  String(r.score.longestVisibleRun),
  r.score.subjectFrames ? `${ratio(r.score.subjectVisible, r.score.subjectFrames)}` : 'n/a',
  r.score.plateFrames ? `${ratio(r.score.platesObscured, r.score.plateFrames)} (${r.score.platesObscured}/${r.score.plateFrames})` : 'n/a',
  pct(r.score.falseObscured),
  r.verification,
  `${(r.tileShare * 100).toFixed(0)}%`,
]);
table.push([
  'ALL',
  String(frames),
  `${ratio(total.bystanderObscured, total.bystanderFaceFrames)} (${total.bystanderObscured}/${total.bystanderFaceFrames})`,
  String(total.longestVisibleRun),
  ratio(total.subjectVisible, total.subjectFrames),
  `${ratio(total.platesObscured, total.plateFrames)} (${total.platesObscured}/${total.plateFrames})`,
  pct(total.falseObscured / Math.max(1, frames)),
  `${rows.filter((r) => r.verification === 'passed').length}/${rows.length} passed`,
  '',
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
console.log(line(header));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const r of table) console.log(line(r));

const recall = total.bystanderObscured / Math.max(1, total.bystanderFaceFrames);
const subject = total.subjectFrames ? total.subjectVisible / total.subjectFrames : 1;
const plates = total.plateFrames ? total.platesObscured / total.plateFrames : 1;
const checks = [
  [`face recall ${recall.toFixed(4)} ≥ ${TARGETS.recall}`, recall >= TARGETS.recall],
  [`longest visible run ${total.longestVisibleRun} ≤ ${TARGETS.longestRun} frames`, total.longestVisibleRun <= TARGETS.longestRun],
  [`subject visible ${subject.toFixed(4)} ≥ ${TARGETS.subject}`, subject >= TARGETS.subject],
  [`plate recall ${plates.toFixed(4)} ≥ ${TARGETS.plates}`, plates >= TARGETS.plates],
] as const;
console.log('');
for (const [text, ok] of checks) console.log(`${ok ? 'PASS' : 'FAIL'}  ${text}`);
if (values.json) await writeFile(values.json, JSON.stringify({ rows, total, checks }, null, 2));
process.exitCode = checks.every(([, ok]) => ok) ? 0 : 1;
