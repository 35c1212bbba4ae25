/**
 * `npm run eval -- --real` — the engine on real footage of real people (eval/real/README.md): each
 * labelled file is redacted as a user would run it (faces and plates, pixelate, verification on, the
 * label file's subject hint) and the obscured regions are scored against the hand labels
 * (eval/real/metrics.ts). Prints recall per size band and class, per condition, the longest visible
 * run, the subject's body visible share and the false-obscured area; exits 1 when a target is missed,
 * 2 when the media has not been fetched (`bash eval/real/fetch.sh`).
 *
 * Derived items (labels/derived.json, derive.ts) are made from the checked media before they are
 * redacted, and reported in their own tables: downscaled real photos, and degraded ones (low light,
 * motion blur), never mixed with the untouched footage.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { redactMedia, type RedactionReport, type RedactOptions, VerificationFailedError } from '../../worker/engine/index.js';
import type { Rect } from '../metrics.js';
import { pickleToPng } from './decode.js';
import { describeOp, type Group, groupOf, renderDerived } from './derive.js';
import { expandTruth, type LabelFile, loadRealItems, type RealItem } from './labels.js';
import { BANDS, bandOf, combine, type RealScore, scoreReal } from './metrics.js';
import { writeOverlays } from './overlay.js';

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
  group: Group;
  score: RealScore;
  verification: string;
  seconds: number;
  /** Distinct people per `${class}/${band}` (how many different heads a band's frames come from). */
  people: Map<string, Set<string>>;
}

const GROUP_TITLES: Record<Group, string> = {
  untouched: 'UNTOUCHED footage and photos, as the packages ship them',
  downscaled: 'DERIVED — real photos downscaled (the same photo at a lower resolution; boxes scaled with it)',
  degraded: 'DERIVED — real photos degraded by simulation (low light: less light, shot and read noise, gain; motion blur: linear kernel)',
};

export async function runRealEval(o: { verify: boolean; json?: string; root?: string; persons?: RedactOptions['persons']; only?: RegExp; overlays?: string }): Promise<number> {
  const items = await loadRealItems();
  const byName = new Map(items.map((l) => [l.name, l]));
  const wanted = items.filter((l) => !o.only || o.only.test(l.name));
  const roots = [...new Set(wanted.map((l) => byName.get(l.derived?.root ?? l.name)!))];
  let media: Map<LabelFile, string>;
  try {
    media = await mediaPaths(roots, o.root ?? realMediaRoot());
  } catch (err) {
    if (!(err instanceof MediaMissing)) throw err;
    console.error(err.message);
    return 2;
  }
  const outDir = join(process.cwd(), '.test-data', 'eval-real');
  await mkdir(join(outDir, 'derived'), { recursive: true });
  for (const [l, path] of media) {
    if (l.decode !== 'python-pickle-grey') continue;
    const png = join(outDir, 'derived', `${l.name}.decoded.png`);
    const g = await pickleToPng(await readFile(path), png);
    if (g.width !== l.width || g.height !== l.height) throw new Error(`${l.name}: decoded ${g.width}×${g.height}, labels say ${l.width}×${l.height}`);
    media.set(l, png);
  }
  const rows: Row[] = [];
  for (const labels of wanted) {
    let input = media.get(byName.get(labels.derived?.root ?? labels.name)!)!;
    if (labels.derived) {
      const made = join(outDir, 'derived', `${labels.name}.png`);
      const size = await renderDerived(input, labels.derived.ops, made);
      if (size.width !== labels.width || size.height !== labels.height) throw new Error(`${labels.name}: made ${size.width}×${size.height}, labels say ${labels.width}×${labels.height}`);
      input = made;
    }
    const t0 = performance.now();
    let obscured: Rect[][] = [];
    let kept: Rect[][] = [];
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
          kept = plan.kept;
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
        if (p.subject || p.hidden) continue;
        const k = `${p.class}/${bandOf(p.head)}`;
        // the same real person in several derived pictures counts once
        people.set(k, (people.get(k) ?? new Set()).add(`${labels.derived?.root ?? labels.name}:${p.id}`));
      }
    }
    const score = scoreReal(labels, obscured);
    rows.push({ group: groupOf(labels), score, verification, seconds: (performance.now() - t0) / 1000, people });
    if (o.overlays) await writeOverlays(input, labels, score.missed, { obscured, kept }, o.overlays);
    process.stderr.write(`\r${labels.name}: done in ${((performance.now() - t0) / 1000).toFixed(1)} s          \n`);
  }

  const checks: [string, boolean][] = [];
  const summary: Partial<Record<Group, RealScore>> = {};
  for (const group of ['untouched', 'downscaled', 'degraded'] as const) {
    const mine = rows.filter((r) => r.group === group);
    if (!mine.length) continue;
    console.log(`\n## ${GROUP_TITLES[group]}\n`);
    const all = (summary[group] = combine(mine.map((r) => r.score)));
    checks.push(...report(mine, all, group, (name) => byName.get(name)!));
  }
  console.log('');
  for (const [text, ok] of checks) console.log(`${ok ? 'PASS' : 'FAIL'}  ${text}`);
  console.log('(heads seen from behind are reported beside faces; the recall target is on faces, as the issue states it. Derived items are checked against the same targets but reported apart: they are real photos transformed, not footage as shipped)');
  if (o.json) await writeFile(o.json, JSON.stringify({ rows: rows.map((r) => ({ ...r, people: Object.fromEntries([...r.people].map(([k, s]) => [k, s.size])) })), groups: summary, checks }, null, 2));
  return checks.every(([, ok]) => ok) ? 0 : 1;
}

/** Prints one group's tables (bands, conditions, files) and returns its target checks. */
function report(rows: Row[], all: RealScore, group: Group, item: (name: string) => RealItem): [string, boolean][] {
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
    ['file', ...(group === 'untouched' ? [] : ['made by']), 'scored frames', 'face recall', 'head recall', 'longest visible run', 'subject body visible', 'false-obscured', 'verification', 'seconds'],
    [...rows.map((r) => r.score), all].map((s, i) => {
      const sum = (cls: string) => Object.entries(s.byBand).filter(([k]) => k.startsWith(`${cls}/`)).reduce((a, [, t]) => ({ frames: a.frames + t.frames, obscured: a.obscured + t.obscured }), { frames: 0, obscured: 0 });
      const r = rows[i];
      const d = r && item(s.name).derived;
      return [
        s.name,
        ...(group === 'untouched' ? [] : [d ? `${describeOp(d.ops.at(-1)!)} of ${d.from}` : '']),
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

  const stills = all.missed.filter((m) => item(m.slice(0, m.lastIndexOf(':'))).kind === 'image');
  if (stills.length) console.log(`\nmissed in stills (file:person@frame): ${stills.join(', ')}`);
  const videoMisses = all.missed.length - stills.length;
  if (videoMisses) console.log(`${stills.length ? '' : '\n'}missed in video: ${videoMisses} head-frames (--json lists them)`);

  const tag = group === 'untouched' ? '' : `[${group}] `;
  const recall = (what: string, t: { frames: number; obscured: number } | undefined, n?: number): [string, boolean] => {
    const r = t?.frames ? t.obscured / t.frames : NaN;
    const sample = t?.frames ? ` over ${t.frames} ${n === undefined ? 'head' : 'face'}-frames${n === undefined ? '' : ` of ${n} ${n === 1 ? 'person' : 'people'}`}${t.frames < 20 ? ' — too few to judge' : ''}` : '';
    return [`${tag}${what} ${Number.isNaN(r) ? 'n/a (no labelled faces)' : r.toFixed(4)} ≥ ${REAL_TARGETS.recall}${sample}`, !(r < REAL_TARGETS.recall)];
  };
  return [
    ...(group === 'degraded'
      ? (['low-light', 'motion-blur'] as const).map((c) => recall(`recall ${c} (faces and heads, all sizes)`, all.byCondition[c]))
      : TARGET_BANDS.map((b) => recall(`face recall ${b} px`, all.byBand[`face/${b}`], people.get(`face/${b}`)?.size ?? 0))),
    [`${tag}longest visible run ${all.longestVisibleRun} ≤ ${REAL_TARGETS.longestRun} frames`, all.longestVisibleRun <= REAL_TARGETS.longestRun],
    ...(all.subject ? [[`${tag}subject body visible ${(all.subject.visible / all.subject.frames).toFixed(4)} ≥ ${REAL_TARGETS.subject}`, all.subject.visible / all.subject.frames >= REAL_TARGETS.subject] as [string, boolean]] : []),
    [`${tag}false-obscured ${pct(all.falseObscured)} ≤ ${pct(REAL_TARGETS.falseObscured)}`, all.falseObscured <= REAL_TARGETS.falseObscured],
  ];
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
}
