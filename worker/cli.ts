import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { type RedactionTarget, RedactionTargetSchema, ObscureStyleSchema, type SubjectHint } from '../shared/domain/redaction.js';
import { CudaUnavailableError, MediaRejectedError, redactMedia, type RedactProgress, VerificationFailedError } from './engine/index.js';
import { DetectorUnavailableError } from './engine/detect/azure-vision.js';
import { parsePlateDetector, type PlateDetectorName } from './engine/detect/plate-detector.js';

/**
 * `bystander redact` — redact one file.
 *
 * Exit codes: 0 redacted; 1 other error (crash, I/O); 2 usage error; 3 input rejected (empty,
 * unrecognised, corrupt, too large/long, unsupported codec, no video); 4 verification failed (no
 * output written).
 */
export const EXIT = { ok: 0, error: 1, usage: 2, rejected: 3, verificationFailed: 4 } as const;

export const USAGE = `usage: bystander redact <input> -o <output> [options]

  -o, --output <file>        redacted output (video → H.264 MP4; images keep their format)
      --report <file>        write the JSON redaction report here
      --subject <s>:<x>,<y>,<w>,<h>
                             keep this person visible: time in seconds and a box in pixels
                             (repeatable; a hint that matches nobody is obscured and reported)
      --targets <list>       faces,plates (default: faces,plates)
      --style <style>        pixelate | blur | solid (default: pixelate)
      --keep-audio           keep the audio track (dropped by default)
      --device <cpu|cuda>    inference device (default: cpu)
      --plates <detector>    local | azure-vision (default: local, or BYSTANDER_PLATE_DETECTOR);
                             azure-vision sends frames to VISION__endpoint (managed identity)
  -h, --help                 this help

exit codes: 0 ok, 1 error, 2 usage, 3 input rejected, 4 verification failed`;

export function parseSubject(s: string): SubjectHint {
  const m = /^(\d+(?:\.\d+)?):(\d+(?:\.\d+)?),(\d+(?:\.\d+)?),(\d+(?:\.\d+)?),(\d+(?:\.\d+)?)$/.exec(s.trim());
  if (!m) throw new UsageError(`--subject must look like <seconds>:<x>,<y>,<w>,<h>, got "${s}"`);
  const [, t, x, y, w, h] = m.map(Number) as [number, number, number, number, number, number];
  if (!(w > 0 && h > 0)) throw new UsageError('--subject box needs a positive width and height');
  return { atSeconds: t, box: { x, y, w, h } };
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

  let targets: RedactionTarget[];
  let subjects: SubjectHint[];
  let style;
  let device: 'cpu' | 'cuda';
  let plateDetector: PlateDetectorName;
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
    try {
      plateDetector = parsePlateDetector((values.plates as string | undefined) ?? process.env.BYSTANDER_PLATE_DETECTOR);
    } catch (err) {
      throw new UsageError(err instanceof Error ? err.message : String(err));
    }
  } catch (err) {
    io.stderr.write(`bystander redact: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT.usage;
  }

  const progress = progressPrinter(io.stderr);
  try {
    const report = await redactMedia(input, output, {
      targets,
      style,
      subjects,
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
    return EXIT.ok;
  } catch (err) {
    progress.done();
    if (err instanceof MediaRejectedError) {
      io.stderr.write(`bystander redact: input rejected (${err.code}): ${err.message}\n`);
      return EXIT.rejected;
    }
    if (err instanceof VerificationFailedError) {
      if (values.report) await writeFile(values.report as string, `${JSON.stringify(err.report, null, 2)}\n`).catch(() => undefined);
      io.stderr.write(`bystander redact: verification failed, no output written: ${err.message}\n`);
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
    io.stderr.write(`bystander redact: error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return EXIT.error;
  }
}

/** A one-line progress bar on a terminal; occasional plain lines otherwise (logs, CI). */
function progressPrinter(out: Io['stderr']): { update: (p: RedactProgress) => void; done: () => void } {
  const tty = Boolean(out.isTTY);
  let lastPlain = 0;
  let drawn = false;
  let lastPhase = '';
  return {
    update(p) {
      const total = p.totalFrames ?? 0;
      const share = total > 0 ? Math.min(1, p.frame / total) : 0;
      const eta = total > 0 && p.fps > 0 ? Math.max(0, (total - p.frame) / p.fps) : undefined;
      const text = `${p.phase.padEnd(7)} ${p.frame}/${total || '?'} frames  ${p.fps.toFixed(1)} fps  ETA ${eta === undefined ? '?' : `${eta.toFixed(0)} s`}`;
      if (tty) {
        const width = Math.max(10, Math.min(40, (out.columns ?? 80) - text.length - 4));
        const filled = Math.round(share * width);
        out.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${text}\x1b[K`);
        drawn = true;
      } else {
        const now = Date.now();
        if (p.phase !== lastPhase || now - lastPlain >= 2000 || p.frame === total) {
          out.write(`${text}\n`);
          lastPlain = now;
          lastPhase = p.phase;
        }
      }
    },
    done() {
      if (tty && drawn) out.write('\n');
      drawn = false;
    },
  };
}

// Run directly: `tsx worker/cli.ts redact …`
if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
