import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

const require = createRequire(import.meta.url);

/** An executable of this name on PATH (the system's ffmpeg: Debian's package, installed by .ci/run and the images). */
function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * The ffmpeg/ffprobe that decode uploads: FFMPEG_PATH / FFPROBE_PATH when set (the GPU image's NVENC
 * build), else the system's on PATH (Debian's `ffmpeg` package), else the npm static builds
 * (@ffmpeg-installer: a 2018 snapshot) — which `checkFfmpegVersions` refuses for untrusted media, so
 * they only ever generate test fixtures.
 */
export function ffmpegPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.FFMPEG_PATH || onPath('ffmpeg', env) || (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
}
export function ffprobePath(env: NodeJS.ProcessEnv = process.env): string {
  return env.FFPROBE_PATH || onPath('ffprobe', env) || (require('@ffprobe-installer/ffprobe') as { path: string }).path;
}

/**
 * The oldest FFmpeg trusted with untrusted uploads: the 5.1 release branch (libavformat 59.27,
 * libavcodec 59.37), Debian 12's maintained package. Compared by library versions, which git
 * snapshots ("N-47683-g…") report as well as releases.
 */
export const MIN_FFMPEG = { release: '5.1', libavformat: [59, 27], libavcodec: [59, 37] } as const;

export interface FfmpegVersion {
  /** As printed: "5.1.9-0+deb12u1", "N-47683-g0e8eb07980-static". */
  version: string;
  libavformat: [number, number];
  libavcodec: [number, number];
}

export function parseFfmpegVersion(text: string): FfmpegVersion | undefined {
  const version = /^\S+ version (\S+)/m.exec(text)?.[1];
  const lib = (name: string) => {
    const m = new RegExp(`^${name}\\s+(\\d+)\\.\\s*(\\d+)\\.`, 'm').exec(text);
    return m ? ([Number(m[1]), Number(m[2])] as [number, number]) : undefined;
  };
  const libavformat = lib('libavformat');
  const libavcodec = lib('libavcodec');
  return version && libavformat && libavcodec ? { version, libavformat, libavcodec } : undefined;
}

const atLeast = (v: readonly [number, number], min: readonly [number, number]) => v[0] > min[0] || (v[0] === min[0] && v[1] >= min[1]);

/**
 * Start-up check (worker, local stack, `bystander redact`): the configured ffmpeg and ffprobe are
 * FFmpeg ${MIN_FFMPEG.release} or newer. Throws one message naming the binary, its version and how to fix it.
 */
export async function checkFfmpegVersions(env: NodeJS.ProcessEnv = process.env): Promise<{ ffmpeg: FfmpegVersion; ffprobe: FfmpegVersion }> {
  const one = async (tool: 'ffmpeg' | 'ffprobe', path: string, setting: string): Promise<FfmpegVersion> => {
    const res = await run(path, ['-version']).catch((err: Error) => ({ code: -1, stdout: Buffer.alloc(0), stderr: err.message }));
    const v = res.code === 0 ? parseFfmpegVersion(res.stdout.toString()) : undefined;
    const fix = `install Debian's ffmpeg (apt-get install ffmpeg) or set ${setting} to an FFmpeg ${MIN_FFMPEG.release} or newer`;
    if (!v) throw new Error(`${tool} at ${path} cannot report its version (${res.stderr.split('\n')[0] || `exit ${res.code}`}): ${fix}`);
    if (!atLeast(v.libavformat, MIN_FFMPEG.libavformat) || !atLeast(v.libavcodec, MIN_FFMPEG.libavcodec)) {
      throw new Error(`${tool} at ${path} is version ${v.version} (libavformat ${v.libavformat.join('.')}), older than FFmpeg ${MIN_FFMPEG.release}, and must not decode uploads: ${fix}`);
    }
    return v;
  };
  const [ffmpeg, ffprobe] = await Promise.all([one('ffmpeg', ffmpegPath(env), 'FFMPEG_PATH'), one('ffprobe', ffprobePath(env), 'FFPROBE_PATH')]);
  return { ffmpeg, ffprobe };
}

/**
 * Environment for an ffmpeg/ffprobe child. The static npm builds carry their own glibc, which
 * crashes (SIGSEGV) when iconv loads this system's gconv modules — ffprobe 2023 does that in the
 * MPEG-TS demuxer for every transport stream (service names). With GCONV_PATH pointing nowhere,
 * iconv_open fails cleanly instead (only metadata text is affected, and the engine drops metadata;
 * a system build set through FFMPEG_PATH / FFPROBE_PATH still finds its modules in glibc's default
 * directory after this one).
 */
export function toolEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...env, GCONV_PATH: '/nonexistent/bystander-no-gconv' };
}

export interface RunResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs a short command to completion, collecting its output (bounded). */
export function run(cmd: string, args: string[], signal?: AbortSignal, maxOutput = 16 * 1024 * 1024): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], signal, env: toolEnv() });
    const out: Buffer[] = [];
    let outLen = 0;
    let err = '';
    child.stdout.on('data', (b: Buffer) => {
      outLen += b.length;
      if (outLen <= maxOutput) out.push(b);
    });
    child.stderr.on('data', (b: Buffer) => {
      if (err.length < 64 * 1024) err += b.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: err }));
  });
}

export type Proc<I extends Writable | null, O extends Readable | null> = ChildProcessByStdio<I, O, Readable>;

/** Collects the tail of a child's stderr (ffmpeg prints its reasons there). */
export function stderrTail(child: { stderr: Readable }, limit = 8192): () => string {
  let buf = '';
  child.stderr.on('data', (b: Buffer) => {
    buf = (buf + b.toString()).slice(-limit);
  });
  return () => buf;
}

export function exited(child: { exitCode: number | null; signalCode: NodeJS.Signals | null; once(ev: 'close', cb: (code: number | null, sig: NodeJS.Signals | null) => void): unknown }): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
}
