import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { AbortedError, MediaRejectedError } from './errors.js';
import { exited, ffmpegPath, run, stderrTail, toolEnv } from './ffmpeg.js';
import { type Frame, frameByteLength } from './frame.js';
import { inputGuardArgs, type VideoInfo } from './probe.js';

/** Frame geometry the pipeline uses for a video: display size padded to even numbers (4:2:0). */
export function videoGeometry(info: VideoInfo): { width: number; height: number; fps: number } {
  return { width: info.width + (info.width % 2), height: info.height + (info.height % 2), fps: info.fps };
}

export interface DecodeOptions {
  signal?: AbortSignal;
  /** Only emit every n-th frame (the rest are still decoded; used by verification sampling). */
  everyNth?: number;
}

/**
 * Decodes the first video stream into raw yuv420p frames at a constant frame rate, one frame at a
 * time: the generator only asks the pipe for more when the consumer asks for the next frame, so
 * memory holds O(1) frames whatever the duration. Rotation is applied by ffmpeg (autorotate);
 * 10-bit and other pixel formats are converted to 8-bit 4:2:0.
 *
 * Throws MediaRejectedError('media-corrupt') when ffmpeg reports a decoding error or the stream
 * ends far short of its declared length, and 'media-no-frames' when nothing decodes.
 */
export async function* decodeVideo(path: string, info: VideoInfo, options: DecodeOptions = {}): AsyncGenerator<Frame> {
  const { width, height, fps } = videoGeometry(info);
  const filters = [`pad=${width}:${height}:0:0:black`, `fps=${fps}`];
  if (options.everyNth && options.everyNth > 1) filters.push(`select=not(mod(n\\,${options.everyNth}))`);
  const args = [
    '-nostdin', '-hide_banner', '-v', 'error', '-xerror',
    ...hwaccelArgs(),
    ...inputGuardArgs(),
    '-i', path,
    '-map', '0:v:0', '-an', '-sn', '-dn',
    '-vf', filters.join(','),
    '-vsync', options.everyNth && options.everyNth > 1 ? 'vfr' : 'cfr',
    '-pix_fmt', 'yuv420p', '-f', 'rawvideo', 'pipe:1',
  ];
  const child = spawn(ffmpegPath(), args, { stdio: ['ignore', 'pipe', 'pipe'], env: toolEnv() });
  const tail = stderrTail(child);
  const frameSize = frameByteLength('yuv420p', width, height);
  const onAbort = () => child.kill('SIGKILL');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let count = 0;
  let done = false;
  try {
    for await (const data of rawFrames(child.stdout, frameSize)) {
      count++;
      yield { width, height, format: 'yuv420p', data };
    }
    const { code, signal } = await exited(child);
    if (options.signal?.aborted) throw new AbortedError();
    const stderr = tail().trim();
    // A hardware decoder that cannot start is this machine's problem, never the media's.
    if (HWACCEL_FAILURE.test(stderr)) throw new Error(`the hardware decoder (BYSTANDER_HWACCEL=${process.env.BYSTANDER_HWACCEL}) is unavailable: ${lastLine(stderr, path)}`);
    if (count === 0) throw new MediaRejectedError('media-no-frames', 'no video frame could be decoded');
    if (code !== 0 || signal) {
      throw new MediaRejectedError('media-corrupt', `the video cannot be decoded (${lastLine(stderr, path) || `ffmpeg exit ${code ?? signal}`})`);
    }
    if (/partial file|invalid data|corrupt|truncat|error while decoding/i.test(stderr)) {
      throw new MediaRejectedError('media-corrupt', `the video is damaged (${lastLine(stderr, path)})`);
    }
    const expected = options.everyNth ? info.frames / options.everyNth : info.frames;
    if (count < Math.floor(expected * 0.9) - 1) {
      throw new MediaRejectedError('media-corrupt', `the video ends early: ${count} of ${Math.round(expected)} frames decoded (truncated?)`);
    }
    done = true;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    if (!done && child.exitCode === null) child.kill('SIGKILL');
    child.stdout.destroy();
  }
}

/**
 * Decodes an H.264 Annex B stream (the encoder's tee output) into raw yuv420p frames, keeping every
 * n-th frame (frame n of the stream is emitted with index n). The stream is handed to ffmpeg's stdin
 * directly (no copy through this process).
 */
export async function* decodeH264Stream(stream: Readable, width: number, height: number, everyNth: number, signal?: AbortSignal): AsyncGenerator<{ index: number; frame: Frame }> {
  const args = [
    '-nostdin', '-hide_banner', '-v', 'error',
    // Start decoding at the first packets: the default probe would wait for 5 MB of stream (most of
    // a short clip), pushing all verification to the end instead of overlapping it with the encode.
    '-probesize', '32', '-analyzeduration', '0',
    ...hwaccelArgs(),
    '-f', 'h264', '-i', 'pipe:0',
    '-map', '0:v:0', '-vf', `select=not(mod(n\\,${everyNth}))`, '-vsync', 'vfr',
    '-pix_fmt', 'yuv420p', '-f', 'rawvideo', 'pipe:1',
  ];
  const child = spawn(ffmpegPath(), args, { stdio: [stream, 'pipe', 'pipe'], env: toolEnv() });
  // The decoder holds its own copy of the pipe now; this process's end would keep the encoder's
  // stdio (and so its 'close') open forever.
  stream.destroy();
  const tail = stderrTail(child);
  const frameSize = frameByteLength('yuv420p', width, height);
  const onAbort = () => child.kill('SIGKILL');
  signal?.addEventListener('abort', onAbort, { once: true });
  let done = false;
  let k = 0;
  try {
    for await (const data of rawFrames(child.stdout, frameSize)) {
      yield { index: k * everyNth, frame: { width, height, format: 'yuv420p', data } };
      k++;
    }
    const { code, signal: sig } = await exited(child);
    if (signal?.aborted) throw new AbortedError();
    if (code !== 0 || sig) throw new Error(`decoding the encoded stream for verification failed (${lastLine(tail()) || `ffmpeg exit ${code ?? sig}`})`);
    done = true;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (!done && child.exitCode === null) child.kill('SIGKILL');
    child.stdout.destroy();
  }
}

/**
 * Hardware decoding for the engine's decoders: BYSTANDER_HWACCEL=cuda (the GPU container) decodes on
 * NVDEC and hands the frames back to system memory (ffmpeg converts them to yuv420p as before).
 * Unset or `none`: software decoding. worker/main.ts checks the whole toolchain at start-up
 * (`checkMediaToolchain`), so a missing GPU stops the worker instead of failing jobs.
 */
export function hwaccelArgs(env: NodeJS.ProcessEnv = process.env): string[] {
  const h = env.BYSTANDER_HWACCEL;
  return h && h !== 'none' ? ['-hwaccel', h] : [];
}

/** What ffmpeg prints when a requested hardware decoder cannot be set up. */
const HWACCEL_FAILURE = /Device setup failed|No device available for decoder|Device creation failed|hwaccel initiali[sz]ation returned error|hwaccel requested for input stream/i;

/** Slices a raw video pipe into whole frames of `frameSize` bytes (a fresh buffer per frame). */
async function* rawFrames(stdout: AsyncIterable<Buffer>, frameSize: number): AsyncGenerator<Buffer> {
  let buf = Buffer.allocUnsafe(frameSize);
  let filled = 0;
  for await (const chunk of stdout) {
    let off = 0;
    while (off < chunk.length) {
      const n = Math.min(frameSize - filled, chunk.length - off);
      chunk.copy(buf, filled, off, off + n);
      filled += n;
      off += n;
      if (filled === frameSize) {
        yield buf;
        buf = Buffer.allocUnsafe(frameSize);
        filled = 0;
      }
    }
  }
}

/** Last line of ffmpeg's stderr, without the file path (reasons travel in results; paths stay local). */
function lastLine(s: string, path?: string): string {
  const line = s.split('\n').filter(Boolean).slice(-1)[0] ?? '';
  return (path ? line.split(path).join('input') : line).slice(0, 200);
}

export interface EncoderOptions {
  width: number;
  height: number;
  fps: number;
  /** Source file whose first audio stream is copied (re-encoded to AAC); omitted = no audio. */
  audioFrom?: string;
  preset?: string;
  crf?: number;
  signal?: AbortSignal;
  /**
   * Also emit the encoded H.264 stream (Annex B, the same packets the MP4 receives, through ffmpeg's
   * tee muxer) on `Encoder.h264`, so verification can decode what is being written while it is
   * written. Whoever asks for it must consume it, or the encoder stalls.
   */
  teeH264?: boolean;
}

export interface Encoder {
  /** The encoded stream (only with `teeH264`). */
  h264?: Readable;
  write(frame: Frame): Promise<void>;
  /** Closes the input and waits for a clean exit; throws if ffmpeg failed. */
  finish(): Promise<void>;
  kill(): void;
}

/** ffmpeg arguments shared by the engine and the benchmark's bare baseline (same codec and preset). */
export function h264OutputArgs(preset: string, crf: number, env: NodeJS.ProcessEnv = process.env): string[] {
  return [...h264CodecArgs(preset, crf, env), '-movflags', '+faststart', '-f', 'mp4'];
}

/** Codec and stream-stripping arguments (everything but the muxer). */
export function h264CodecArgs(preset: string, crf: number, env: NodeJS.ProcessEnv = process.env): string[] {
  // NVENC in the GPU container (BYSTANDER_H264_ENCODER=h264_nvenc); libx264 everywhere else.
  const codec =
    env.BYSTANDER_H264_ENCODER === 'h264_nvenc'
      ? ['-c:v', 'h264_nvenc', '-preset', 'p4', '-rc', 'vbr', '-cq', String(crf + 3)]
      : ['-c:v', 'libx264', '-preset', preset, '-crf', String(crf)];
  return [
    ...codec, '-pix_fmt', 'yuv420p',
    '-map_metadata', '-1', '-map_chapters', '-1', '-sn', '-dn',
    '-fflags', '+bitexact', '-flags:v', '+bitexact',
  ];
}

/**
 * H.264 MP4 encoder fed raw yuv420p frames through stdin with backpressure. All metadata,
 * chapters, subtitles and data streams are dropped; audio only when `audioFrom` is given.
 */
export function openEncoder(outPath: string, o: EncoderOptions): Encoder {
  // With the tee muxer the output name goes into a slave list ("[opts]name|…"): run ffmpeg in the
  // output's directory and name the file by a basename that needs no escaping.
  const name = basename(outPath);
  if (o.teeH264 && !/^[\w.-]+$/.test(name)) throw new Error(`encoder output name needs escaping for the tee muxer: ${name}`);
  const preset = o.preset ?? 'veryfast';
  const crf = o.crf ?? 20;
  const args = [
    '-nostdin', '-hide_banner', '-v', 'error', '-y',
    '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${o.width}x${o.height}`, '-r', String(o.fps), '-i', 'pipe:0',
    ...(o.audioFrom ? [...inputGuardArgs(), '-i', resolve(o.audioFrom), '-map', '0:v:0', '-map', '1:a:0?', '-c:a', 'aac', '-b:a', '128k', '-shortest'] : ['-map', '0:v:0', '-an']),
    ...(o.teeH264
      ? [...h264CodecArgs(preset, crf), '-flags:v', '+bitexact+global_header', '-f', 'tee', `[f=mp4:movflags=+faststart]${name}|[f=h264:select=v:bsfs/v=dump_extra]pipe:1`]
      : [...h264OutputArgs(preset, crf), resolve(outPath)]),
  ];
  const child = spawn(ffmpegPath(), args, { stdio: ['pipe', o.teeH264 ? 'pipe' : 'ignore', 'pipe'], cwd: dirname(resolve(outPath)), env: toolEnv() }) as ChildProcessByStdio<Writable, Readable | null, Readable>;
  const tail = stderrTail(child);
  const stdin = child.stdin as Writable;
  let failed: Error | undefined;
  stdin.on('error', (err) => {
    failed ??= err;
  });
  const closed = exited(child);
  const onAbort = () => child.kill('SIGKILL');
  o.signal?.addEventListener('abort', onAbort, { once: true });
  const fail = async (): Promise<never> => {
    const { code } = await closed;
    throw new Error(`ffmpeg encoder failed (exit ${code}): ${lastLine(tail()) || failed?.message || 'unknown error'}`);
  };
  return {
    ...(o.teeH264 && child.stdout ? { h264: child.stdout } : {}),
    async write(frame) {
      if (failed || child.exitCode !== null) await fail();
      if (!stdin.write(frame.data)) {
        await Promise.race([once(stdin, 'drain'), closed]);
        if (child.exitCode !== null) await fail();
      }
    },
    async finish() {
      stdin.end();
      const { code, signal } = await closed;
      o.signal?.removeEventListener('abort', onAbort);
      if (o.signal?.aborted) throw new AbortedError();
      if (code !== 0 || signal) await fail();
    },
    kill() {
      o.signal?.removeEventListener('abort', onAbort);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

/**
 * Start-up check of the media toolchain as configured: encodes a short test pattern with the
 * engine's encoder (NVENC when BYSTANDER_H264_ENCODER=h264_nvenc) and decodes it with the engine's
 * decoder settings (NVDEC when BYSTANDER_HWACCEL=cuda). Throws a message naming the setting when
 * either cannot run here, so a GPU job without its GPU stops at once instead of failing every job.
 */
export async function checkMediaToolchain(dir: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const path = join(dir, `.toolchain-check-${process.pid}.mp4`);
  try {
    const enc = await run(ffmpegPath(), [
      '-nostdin', '-hide_banner', '-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=256x144:rate=10', '-frames:v', '10',
      ...h264OutputArgs('veryfast', 23, env), path,
    ]);
    if (enc.code !== 0) {
      throw new Error(`the H.264 encoder (BYSTANDER_H264_ENCODER=${env.BYSTANDER_H264_ENCODER || 'libx264'}) cannot run here: ${lastLine(enc.stderr) || `ffmpeg exit ${enc.code}`}`);
    }
    const dec = await run(ffmpegPath(), ['-nostdin', '-hide_banner', '-v', 'error', '-xerror', ...hwaccelArgs(env), '-i', path, '-f', 'null', '-']);
    if (dec.code !== 0 || HWACCEL_FAILURE.test(dec.stderr)) {
      throw new Error(`the decoder (BYSTANDER_HWACCEL=${env.BYSTANDER_HWACCEL || 'none'}) cannot run here: ${lastLine(dec.stderr) || `ffmpeg exit ${dec.code}`}`);
    }
  } finally {
    await rm(path, { force: true });
  }
}
