/**
 * `npm run eval -- --real` — the engine on real footage of real people (eval/real/README.md): each
 * labelled file is redacted as a user would run it (faces and plates, pixelate, verification on, the
 * label file's subject hint) and the obscured regions are scored against the hand labels
 * (eval/real/metrics.ts). Prints recall per size band and class, per condition, the longest visible
 * run, the subject's body visible share and the false-obscured area; exits 1 when a target is missed,
 * 2 when the media has not been fetched (`bash eval/real/fetch.sh`).
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { redactMedia, type RedactionReport, type RedactOptions, VerificationFailedError } from '../../worker/engine/index.js';
import type { Rect } from '../metrics.js';
import { expandTruth, type LabelFile, loadLabelFiles } from './labels.js';
import { BANDS, bandOf, combine, type RealScore, scoreReal } from './metrics.js';

export const REAL_TARGETS = { recall: 0.99, longestRun: 2, subject: 0.95, falseObscured: 0.02 };
/** Bands the recall target applies to (faces from 10 px). */
const TARGET_BANDS = ['10-20', '20-40', '40-80'];

export function realMediaRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.BYSTANDER_REAL_MEDIA || join(process.cwd(), '.test-data', 'real');
}

async function sha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** The media of each label file, checked against eval/real/SHA256SUMS. */
async function mediaPaths(files: LabelFile[], root: string): Promise<Map<LabelFile, string>> {
  const sums = new Map(
    (await readFile(join(import.meta.dirname, 'SHA256SUMS'), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(/\s+/) as [string, string])
      .map(([sum, path]) => [path, sum]),
  );
  const out = new Map<LabelFile, string>();
  for (const f of files) {
    const rel = `${f.source}/${f.file}`;
    const path = join(root, rel);
    if (!existsSync(path)) throw new MediaMissing(`${rel} is not in ${root}: run \`bash eval/real/fetch.sh\` first`);
    const want = sums.get(rel);
    if (!want) throw new Error(`${rel} has no checksum in eval/real/SHA256SUMS`);
    if ((await sha256(path)) !== want) throw new Error(`${rel} differs from the labelled file (SHA-256); run \`bash eval/real/fetch.sh\` again`);
    out.set(f, path);
  }
  return out;
}

export class MediaMissing extends Error {}

interface Row {
  score: RealScore;
  verification: string;
  seconds: number;
  /** Distinct people per `${class}/${band}` (how many different heads a band's frames come from). */
  people: Map<string, Set<string>>;
}

export async function runRealEval(o: { verify: boolean; json?: string; root?: string; persons?: RedactOptions['persons'] }): Promise<number> {
  const files = await loadLabelFiles();
  let media: Map<LabelFile, string>;
  try {
    media = await mediaPaths(files, o.root ?? realMediaRoot());
  } catch (err) {
    if (!(err instanceof MediaMissing)) throw err;
    console.error(err.message);
    return 2;
  }
  const outDir = join(process.cwd(), '.test-data', 'eval-real');
  await mkdir(outDir, { recursive: true });
  const rows: Row[] = [];
  for (const labels of files) {
    const input = media.get(labels)!;
    const t0 = performance.now();
    let obscured: Rect[][] = [];
    let verification = 'skipped';
    const output = join(outDir, `${labels.name}.redacted${labels.kind === 'video' ? '.mp4' : extname(input)}`);
    try {
      const report: RedactionReport = await redactMedia(input, output, {
        targets: ['faces', 'plates'],
        style: 'pixelate',
        subjects: labels.subject ? [labels.subject.hint] : [],
        keepAudio: false,
        verify: o.verify,
        ...(o.persons ? { persons: o.persons } : {}),
        onPlan: (plan) => {
          obscured = plan.obscured;
        },
        onProgress: (p) => {
          if (p.phase === 'analyse' && p.frame % 50 === 0) process.stderr.write(`\r${labels.name}: ${p.frame}${p.totalFrames ? `/${p.totalFrames}` : ''} frames analysed   `);
        },
      });
      verification = report.verification.status;
    } catch (err) {
      if (!(err instanceof VerificationFailedError)) throw err;
      const v = (err.report as RedactionReport).verification;
      verification = `FAILED (${v.violations.length} violations)`;
    }
    const people = new Map<string, Set<string>>();
    for (const ft of expandTruth(labels)) {
      if (!ft.scored) continue;
      for (const p of ft.people) {
        if (p.subject) continue;
        const k = `${p.class}/${bandOf(p.head)}`;
        people.set(k, (people.get(k) ?? new Set()).add(`${labels.name}:${p.id}`));
      }
    }
    rows.push({ score: scoreReal(labels, obscured), verification, seconds: (performance.now() - t0) / 1000, people });
    process.stderr.write(`\r${labels.name}: done in ${((performance.now() - t0) / 1000).toFixed(1)} s          \n`);
  }

  const all = combine(rows.map((r) => r.score));
  const people = new Map<string, Set<string>>();
  for (const r of rows) for (const [k, s] of r.people) people.set(k, new Set([...(people.get(k) ?? []), ...s]));
  const ratio = (t?: { frames: number; obscured: number }) => (t?.frames ? `${(t.obscured / t.frames).toFixed(4)} (${t.obscured}/${t.frames})` : 'n/a');
  const pct = (v: number) => `${(v * 100).toFixed(2)}%`;

  printTable(
    ['band (px)', 'faces: recall (obscured/frames)', 'faces: people', 'heads from behind: recall', 'heads: people'],
    BANDS.map((b) => [b.name, ratio(all.byBand[`face/${b.name}`]), String(people.get(`face/${b.name}`)?.size ?? 0), ratio(all.byBand[`head/${b.name}`]), String(people.get(`head/${b.name}`)?.size ?? 0)]),
  );
  console.log('');
  printTable(
    ['condition', 'recall (obscured/frames)'],
    Object.entries(all.byCondition).map(([c, t]) => [c, ratio(t)]),
  );
  console.log('');
  printTable(
    ['file', 'scored frames', 'face recall', 'head recall', 'longest visible run', 'subject body visible', 'false-obscured', 'verification', 'seconds'],
    [...rows.map((r) => r.score), all].map((s, i) => {
      const sum = (cls: string) => Object.entries(s.byBand).filter(([k]) => k.startsWith(`${cls}/`)).reduce((a, [, t]) => ({ frames: a.frames + t.frames, obscured: a.obscured + t.obscured }), { frames: 0, obscured: 0 });
      const r = rows[i];
      return [
        s.name,
        String(s.scoredFrames),
        ratio(sum('face')),
        ratio(sum('head')),
        `${s.longestVisibleRun}${s.longestRunAt ? ` (${s.longestRunAt.person} from frame ${s.longestRunAt.frame})` : ''}`,
        s.subject ? `${(s.subject.visible / s.subject.frames).toFixed(4)} (${s.subject.visible}/${s.subject.frames})` : 'n/a',
        pct(s.falseObscured),
        r ? r.verification : `${rows.filter((x) => x.verification === 'passed').length}/${rows.length} passed`,
        r ? r.seconds.toFixed(1) : '',
      ];
    }),
  );

  const checks: [string, boolean][] = [
    ...TARGET_BANDS.map((b): [string, boolean] => {
      const t = all.byBand[`face/${b}`];
      const r = t?.frames ? t.obscured / t.frames : NaN;
      const n = people.get(`face/${b}`)?.size ?? 0;
      const sample = t?.frames ? ` over ${t.frames} face-frames of ${n} ${n === 1 ? 'person' : 'people'}${t.frames < 20 ? ' — too few to judge' : ''}` : '';
      return [`face recall ${b} px ${Number.isNaN(r) ? 'n/a (no labelled faces)' : r.toFixed(4)} ≥ ${REAL_TARGETS.recall}${sample}`, !(r < REAL_TARGETS.recall)];
    }),
    [`longest visible run ${all.longestVisibleRun} ≤ ${REAL_TARGETS.longestRun} frames`, all.longestVisibleRun <= REAL_TARGETS.longestRun],
    ...(all.subject ? [[`subject body visible ${(all.subject.visible / all.subject.frames).toFixed(4)} ≥ ${REAL_TARGETS.subject}`, all.subject.visible / all.subject.frames >= REAL_TARGETS.subject] as [string, boolean]] : []),
    [`false-obscured ${pct(all.falseObscured)} ≤ ${pct(REAL_TARGETS.falseObscured)}`, all.falseObscured <= REAL_TARGETS.falseObscured],
  ];
  console.log('');
  for (const [text, ok] of checks) console.log(`${ok ? 'PASS' : 'FAIL'}  ${text}`);
  console.log('(heads seen from behind are reported beside faces; the recall target is on faces, as the issue states it)');
  if (o.json) await writeFile(o.json, JSON.stringify({ rows: rows.map((r) => ({ ...r, people: Object.fromEntries([...r.people].map(([k, s]) => [k, s.size])) })), all, checks }, null, 2));
  return checks.every(([, ok]) => ok) ? 0 : 1;
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
}
