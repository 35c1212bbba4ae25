import { open, realpath, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BystanderModeSchema, type RedactionEdits, RedactionEditsSchema, type RedactionTarget, RedactionTargetSchema, ObscureStyleSchema, type ReviewBox, ReviewBoxSchema, type SubjectHint } from '../shared/domain/redaction.js';
import { CudaUnavailableError, MediaRejectedError, redactMedia, type RedactProgress, VerificationFailedError } from './engine/index.js';
import { DetectorUnavailableError } from './engine/detect/azure-vision.js';
import { parsePlateDetector, type PlateDetectorName } from './engine/detect/plate-detector.js';
import { PERSON_EVERY_SECONDS } from './engine/persons-track.js';
import { sniffImage } from './engine/probe.js';
import { checkFfmpegVersions } from './engine/ffmpeg.js';

/**
 * `bystander redact` — redact one file.
 *
 * Exit codes: 0 redacted; 1 other error (crash, I/O); 2 usage error (also: missing input, missing
 * output folder, -o naming the input, an output name whose extension is not what is written); 3 input rejected (empty,
 * unrecognised, corrupt, too large/long, unsupported codec, no video); 4 verification failed (no
 * output written); 5 written for review (--review: the render needs a person's review, reasons on
 * stderr).
 */
export const EXIT = { ok: 0, error: 1, usage: 2, rejected: 3, verificationFailed: 4, needsReview: 5 } as const;

export const USAGE = `usage: bystander redact <input> -o <output> [options]

  -o, --output <file>        redacted output (video → H.264 MP4, named .mp4; images keep their
                             format and extension); never the input file
      --report <file>        write the JSON redaction report here
      --subject <s>:<x>,<y>,<w>,<h> | <s>:<x>,<y>
                             keep this person visible: time in seconds and a box in pixels
                             around their body or face, or a point on them (repeatable; a hint
                             that matches nobody, or several people, keeps nobody and is
                             reported with the candidate track ids)
      --keep-track <id>      keep the track with this id visible (ids from an earlier run's
                             report of the same input and options; repeatable)
      --obscure-track <id>   obscure this track even where a hint or --keep-track keeps it
                             (a reviewer's edit; repeatable)
      --obscure-body <id>    obscure this person track whole, body and head (repeatable)
      --box <from>-<to>@<at>:<x>,<y>,<w>,<h>
                             obscure a box drawn at <at> s over [<from>, <to>] s (seconds;
                             pixels); it follows the person or face track it lies on at <at>,
                             else stays where drawn (repeatable)
      --review               reviewable: when the engine is not sure (verification still fails
                             after its corrections, small faces, ambiguous or lost subject,
                             missing keep ids) write the output anyway — what the verifier
                             found is held obscured — print the reasons and exit 5
      --bystanders <mode>    heads | bodies: obscure the heads (default) or whole bodies of
                             people other than the subject
      --person-every <s>     seconds between person scans (default 0.3; 0.02–2)
      --targets <list>       faces,plates (default: faces,plates)
      --style <style>        pixelate | blur | solid (default: pixelate)
      --keep-audio           keep the audio track (dropped by default)
      --device <cpu|cuda>    inference device (default: cpu)
      --plates <detector>    local | azure-vision (default: local, or BYSTANDER_PLATE_DETECTOR);
                             azure-vision sends frames to VISION__endpoint (managed identity)
  -h, --help                 this help

exit codes: 0 ok, 1 error, 2 usage, 3 input rejected, 4 verification failed (no output),
            5 written, needs review (--review)`;

export function parseSubject(s: string): SubjectHint {
  const pt = /^(\d+(?:\.\d+)?):(\d+(?:\.\d+)?),(\d+(?:\.\d+)?)$/.exec(s.trim());
  if (pt) return { atSeconds: Number(pt[1]), point: { x: Number(pt[2]), y: Number(pt[3]) } };
  const m = /^(\d+(?:\.\d+)?):(\d+(?:\.\d+)?),(\d+(?:\.\d+)?),(\d+(?:\.\d+)?),(\d+(?:\.\d+)?)$/.exec(s.trim());
  if (!m) throw new UsageError(`--subject must look like <seconds>:<x>,<y>,<w>,<h> (a box) or <seconds>:<x>,<y> (a point), got "${s}"`);
  const [, t, x, y, w, h] = m.map(Number) as [number, number, number, number, number, number];
  if (!(w > 0 && h > 0)) throw new UsageError('--subject box needs a positive width and height');
  return { atSeconds: t, box: { x, y, w, h } };
}

/** `--box <from>-<to>@<at>:<x>,<y>,<w>,<h>` (seconds; pixels) → a review box. */
export function parseBox(s: string): ReviewBox {
  const n = '(\\d+(?:\\.\\d+)?)';
  const m = new RegExp(`^${n}-${n}@${n}:${n},${n},${n},${n}$`).exec(s.trim());
  if (!m) throw new UsageError(`--box must look like <from>-<to>@<at>:<x>,<y>,<w>,<h> (seconds; a box in pixels), got "${s}"`);
  const [, from, to, at, x, y, w, h] = m.map(Number) as [number, number, number, number, number, number, number, number];
  const r = ReviewBoxSchema.safeParse({ atSeconds: at, fromSeconds: from, toSeconds: to, box: { x, y, w, h } });
  if (!r.success) throw new UsageError(`--box "${s}": ${r.error.issues.map((i) => i.message).join('; ')}`);
  return r.data;
}

/** A whole number track id for `flag`. */
function trackId(flag: string, v: string): number {
  if (!/^\d{1,7}$/.test(v.trim())) throw new UsageError(`${flag} takes a track id from a report (a whole number), got "${v}"`);
  return Number(v.trim());
}

class UsageError extends Error {}

interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
}

/** Entry point for `bystander redact …`; `argv` may start with the word `redact`. Returns the exit code. */
export async function main(argv: string[], io: Io = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const args = argv[0] === 'redact' ? argv.slice(1) : argv;
  let input: string;
  let output: string;
  let values: Record<string, unknown>;
  try {
    const parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        output: { type: 'string', short: 'o' },
        report: { type: 'string' },
        subject: { type: 'string', multiple: true },
        'keep-track': { type: 'string', multiple: true },
        'obscure-track': { type: 'string', multiple: true },
        'obscure-body': { type: 'string', multiple: true },
        box: { type: 'string', multiple: true },
        review: { type: 'boolean' },
        bystanders: { type: 'string' },
        'person-every': { type: 'string' },
        targets: { type: 'string' },
        style: { type: 'string' },
        'keep-audio': { type: 'boolean' },
        device: { type: 'string' },
        plates: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    values = parsed.values;
    if (values.help) {
      io.stdout.write(`${USAGE}\n`);
      return EXIT.ok;
    }
    if (parsed.positionals.length !== 1) throw new UsageError('exactly one input file is required');
    if (!values.output) throw new UsageError('-o <output> is required');
    input = parsed.positionals[0]!;
    output = values.output as string;
  } catch (err) {
    io.stderr.write(`bystander redact: ${err instanceof Error ? err.message : String(err)}\n\n${USAGE}\n`);
    return EXIT.usage;
  }

  const pathProblem = await checkPaths(input, output, values.report as string | undefined);
  if (pathProblem) {
    io.stderr.write(`bystander redact: ${pathProblem}\n`);
    return EXIT.usage;
  }

  let targets: RedactionTarget[];
  let subjects: SubjectHint[];
  let style;
  let device: 'cpu' | 'cuda';
  let plateDetector: PlateDetectorName;
  let keepTracks: number[];
  let edits: RedactionEdits | undefined;
  let bystanders: 'heads' | 'bodies';
  let personEvery: number | undefined;
  try {
    targets = ((values.targets as string | undefined) ?? 'faces,plates').split(',').map((t) => {
      const r = RedactionTargetSchema.safeParse(t.trim());
      if (!r.success) throw new UsageError(`unknown target "${t}" (faces, plates)`);
      return r.data;
    });
    const st = ObscureStyleSchema.safeParse((values.style as string | undefined) ?? 'pixelate');
    if (!st.success) throw new UsageError(`unknown style "${String(values.style)}" (pixelate, blur, solid)`);
    style = st.data;
    const dev = (values.device as string | undefined) ?? process.env.BYSTANDER_DEVICE ?? 'cpu';
    if (dev !== 'cpu' && dev !== 'cuda') throw new UsageError(`unknown device "${dev}" (cpu, cuda)`);
    device = dev;
    subjects = ((values.subject as string[] | undefined) ?? []).map(parseSubject);
    keepTracks = ((values['keep-track'] as string[] | undefined) ?? []).map((v) => trackId('--keep-track', v));
    const obscureTracks = ((values['obscure-track'] as string[] | undefined) ?? []).map((v) => trackId('--obscure-track', v));
    const obscureBodies = ((values['obscure-body'] as string[] | undefined) ?? []).map((v) => trackId('--obscure-body', v));
    const boxes = ((values.box as string[] | undefined) ?? []).map(parseBox);
    if (obscureTracks.length || obscureBodies.length || boxes.length) {
      const e = RedactionEditsSchema.safeParse({ version: 1, ...(obscureTracks.length ? { obscureTracks } : {}), ...(obscureBodies.length ? { obscureBodies } : {}), ...(boxes.length ? { boxes } : {}) });
      if (!e.success) throw new UsageError(`edits: ${e.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
      edits = e.data;
    }
    const by = BystanderModeSchema.safeParse((values.bystanders as string | undefined) ?? 'heads');
    if (!by.success) throw new UsageError(`unknown --bystanders "${String(values.bystanders)}" (heads, bodies)`);
    bystanders = by.data;
    if (values['person-every'] !== undefined) {
      personEvery = Number(values['person-every']);
      if (!(personEvery >= PERSON_EVERY_SECONDS.min && personEvery <= PERSON_EVERY_SECONDS.max)) {
        throw new UsageError(`--person-every takes seconds between ${PERSON_EVERY_SECONDS.min} and ${PERSON_EVERY_SECONDS.max}, got "${String(values['person-every'])}"`);
      }
    }
    try {
      plateDetector = parsePlateDetector((values.plates as string | undefined) ?? process.env.BYSTANDER_PLATE_DETECTOR);
    } catch (err) {
      throw new UsageError(err instanceof Error ? err.message : String(err));
    }
  } catch (err) {
    io.stderr.write(`bystander redact: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT.usage;
  }

  try {
    await checkFfmpegVersions();
  } catch (err) {
    io.stderr.write(`bystander redact: ${(err as Error).message}\n`);
    return EXIT.error;
  }

  const progress = progressPrinter(io.stderr);
  try {
    const report = await redactMedia(input, output, {
      targets,
      style,
      subjects,
      keepTracks,
      ...(edits ? { edits } : {}),
      ...(values.review ? { reviewable: true } : {}),
      bystanders,
      ...(personEvery !== undefined ? { persons: { everySeconds: personEvery } } : {}),
      keepAudio: Boolean(values['keep-audio']),
      device,
      plateDetector,
      onProgress: progress.update,
    });
    progress.done();
    if (values.report) await writeFile(values.report as string, `${JSON.stringify(report, null, 2)}\n`);
    const kept = report.tracks.filter((t) => t.kept).length;
    io.stdout.write(
      `redacted ${input} → ${output}: ${report.output.frames} frame(s), ${report.tracks.length - kept} track(s) obscured, ${kept} kept, ` +
        `${report.regionsObscured} region(s); verification ${report.verification.status}; ${(report.timingsMs.total / 1000).toFixed(1)} s\n`,
    );
    for (const w of report.warnings) io.stderr.write(`warning: ${w}\n`);
    if (report.review?.needed) {
      const held = report.verification.heldForReview ? `; ${report.verification.heldForReview} face(s) the verifier found held obscured at frames ${report.verification.failedFrames?.join(', ')}` : '';
      io.stderr.write(`review needed: ${report.review.reasons.join(', ')}${held}\n`);
      if (values.review) return EXIT.needsReview;
    }
    return EXIT.ok;
  } catch (err) {
    progress.done();
    if (err instanceof MediaRejectedError) {
      io.stderr.write(`bystander redact: input rejected (${err.code}): ${err.message}\n`);
      return EXIT.rejected;
    }
    if (err instanceof VerificationFailedError) {
      if (values.report) await writeFile(values.report as string, `${JSON.stringify(err.report, null, 2)}\n`).catch(() => undefined);
      io.stderr.write(`bystander redact: verification failed, no output written: ${err.message} (--review writes it for review, with what the verifier found held obscured)\n`);
      return EXIT.verificationFailed;
    }
    if (err instanceof DetectorUnavailableError) {
      io.stderr.write(`bystander redact: plate detector unavailable, no output written: ${err.message}\n`);
      return EXIT.error;
    }
    if (err instanceof CudaUnavailableError) {
      io.stderr.write(`bystander redact: ${err.message}\n`);
      return EXIT.error;
    }
    // One line; the stack only when asked for (BYSTANDER_DEBUG=1).
    const detail = err instanceof Error ? (process.env.BYSTANDER_DEBUG ? (err.stack ?? err.message) : err.message.split('\n')[0]) : String(err);
    io.stderr.write(`bystander redact: error: ${detail}\n`);
    return EXIT.error;
  }
}

const EXTENSIONS: Record<'jpeg' | 'png' | 'webp' | 'mp4', string[]> = { jpeg: ['.jpg', '.jpeg'], png: ['.png'], webp: ['.webp'], mp4: ['.mp4', '.m4v'] };

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** Same file: the same inode (hard links, symlinks), or the same path once symlinks and `..` are resolved. */
async function sameFile(a: string, aStat: { dev: number; ino: number }, b: string): Promise<boolean> {
  const bStat = await stat(b).catch(() => undefined);
  if (bStat && bStat.dev === aStat.dev && bStat.ino === aStat.ino) return true;
  const real = await realpath(a);
  const bDir = await realpath(dirname(resolve(b))).catch(() => dirname(resolve(b)));
  return real === join(bDir, basename(b));
}

/**
 * Checks the paths before any work: the input exists and is a file, the output's folder exists, no
 * output names the input (the original is evidence: it is never overwritten), and the output's
 * extension is the one of what will be written. Returns a one-line reason, or undefined.
 */
export async function checkPaths(input: string, output: string, report?: string): Promise<string | undefined> {
  let inStat;
  try {
    inStat = await stat(input);
  } catch (err) {
    return errno(err) === 'ENOENT' ? `input not found: ${input}` : `cannot read the input ${input} (${errno(err) ?? String(err)})`;
  }
  if (!inStat.isFile()) return `the input is not a file: ${input}`;
  for (const [flag, path] of [['-o', output], ['--report', report]] as const) {
    if (path === undefined) continue;
    const folder = dirname(resolve(path));
    const dir = await stat(folder).catch(() => undefined);
    if (!dir) return `the ${flag} folder does not exist: ${folder}`;
    if (!dir.isDirectory()) return `the ${flag} folder is not a folder: ${folder}`;
    if (await sameFile(input, inStat, path)) return `refusing to write ${flag} ${path}: it is the input file, which is never overwritten`;
  }
  if (report !== undefined && resolve(report) === resolve(output)) return '--report and -o name the same file';
  let head = Buffer.alloc(0);
  const fh = await open(input, 'r').catch((err: unknown) => err as Error);
  if (fh instanceof Error) return `cannot read the input ${input} (${errno(fh) ?? fh.message})`;
  try {
    head = Buffer.alloc(64);
    const { bytesRead } = await fh.read(head, 0, 64, 0);
    head = head.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
  const written = sniffImage(head) ?? 'mp4';
  const ext = extname(output).toLowerCase();
  if (!EXTENSIONS[written].includes(ext)) {
    const what = written === 'mp4' ? 'a video is written as H.264 MP4' : `a ${written.toUpperCase()} image is written as ${written.toUpperCase()}`;
    return `-o ${output}: ${what}; name the output ${EXTENSIONS[written].join(' or ')}`;
  }
  return undefined;
}

const PHASES = ['analyse', 'render', 'verify'] as const;

/**
 * Progress of the three phases, which run at the same time: on a terminal one combined line,
 * redrawn at most every 100 ms; otherwise (logs, CI) one plain combined line every `plainEveryMs`
 * and a last one at the end.
 */
export function progressPrinter(out: Io['stderr'], now: () => number = Date.now, plainEveryMs = 5000): { update: (p: RedactProgress) => void; done: () => void } {
  const tty = Boolean(out.isTTY);
  const state = new Map<RedactProgress['phase'], RedactProgress>();
  let last = -Infinity;
  let drawn = false;
  let dirty = false;
  const line = () => {
    const shares: number[] = [];
    const parts = PHASES.filter((ph) => state.has(ph)).map((ph) => {
      const p = state.get(ph)!;
      const total = p.totalFrames ?? 0;
      if (total > 0) shares.push(Math.min(1, p.frame / total));
      return `${ph} ${p.frame}/${total || '?'}`;
    });
    const render = state.get('render') ?? state.get('analyse');
    const total = render?.totalFrames ?? 0;
    const eta = render && total > 0 && render.fps > 0 ? Math.max(0, (total - render.frame) / render.fps) : undefined;
    const share = shares.length ? Math.min(...shares) : 0;
    return { share, text: `${parts.join(' · ')}  ${(render?.fps ?? 0).toFixed(1)} fps  ETA ${eta === undefined ? '?' : `${eta.toFixed(0)} s`}` };
  };
  const draw = () => {
    const { share, text } = line();
    if (tty) {
      // Never wider than the terminal: a wrapped line cannot be redrawn in place.
      const cols = Math.max(20, out.columns ?? 80);
      const width = Math.min(30, cols - 1 - text.length - 3);
      const filled = Math.round(share * Math.max(0, width));
      const bar = width >= 10 ? `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ` : '';
      out.write(`\r${(bar + text).slice(0, cols - 1)}\x1b[K`);
    } else {
      out.write(`${Math.round(share * 100)}%  ${text}\n`);
    }
    drawn = true;
    dirty = false;
  };
  return {
    update(p) {
      state.set(p.phase, p);
      dirty = true;
      const t = now();
      if (t - last >= (tty ? 100 : plainEveryMs)) {
        last = t;
        draw();
      }
    },
    done() {
      if (dirty && state.size) draw();
      if (tty && drawn) out.write('\n');
      drawn = false;
    },
  };
}

// Run directly: `tsx worker/cli.ts redact …`
if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
