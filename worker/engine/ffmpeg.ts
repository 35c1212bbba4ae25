import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { createRequire } from 'node:module';
import type { Readable, Writable } from 'node:stream';

const require = createRequire(import.meta.url);

/** Paths of the static ffmpeg/ffprobe binaries; FFMPEG_PATH / FFPROBE_PATH override (the container's NVENC build). */
export function ffmpegPath(): string {
  return process.env.FFMPEG_PATH || (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
}
export function ffprobePath(): string {
  return process.env.FFPROBE_PATH || (require('@ffprobe-installer/ffprobe') as { path: string }).path;
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
