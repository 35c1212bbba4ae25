import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { AbortedError, MediaRejectedError } from './errors.js';
import { exited, ffmpegPath, stderrTail } from './ffmpeg.js';
import { type Frame, frameByteLength } from './frame.js';
import type { VideoInfo } from './probe.js';

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
    '-i', path,
    '-map', '0:v:0', '-an', '-sn', '-dn',
    '-vf', filters.join(','),
    '-vsync', options.everyNth && options.everyNth > 1 ? 'vfr' : 'cfr',
    '-pix_fmt', 'yuv420p', '-f', 'rawvideo', 'pipe:1',
  ];
  const child = spawn(ffmpegPath(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const tail = stderrTail(child);
  const frameSize = frameByteLength('yuv420p', width, height);
  const onAbort = () => child.kill('SIGKILL');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let count = 0;
  let done = false;
  try {
    let buf = Buffer.allocUnsafe(frameSize);
    let filled = 0;
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      let off = 0;
      while (off < chunk.length) {
        const n = Math.min(frameSize - filled, chunk.length - off);
        chunk.copy(buf, filled, off, off + n);
        filled += n;
        off += n;
        if (filled === frameSize) {
          count++;
          yield { width, height, format: 'yuv420p', data: buf };
          buf = Buffer.allocUnsafe(frameSize);
          filled = 0;
        }
      }
    }
    const { code, signal } = await exited(child);
    if (options.signal?.aborted) throw new AbortedError();
    const stderr = tail().trim();
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
}

export interface Encoder {
  write(frame: Frame): Promise<void>;
  /** Closes the input and waits for a clean exit; throws if ffmpeg failed. */
  finish(): Promise<void>;
  kill(): void;
}

/** ffmpeg arguments shared by the engine and the benchmark's bare baseline (same codec and preset). */
export function h264OutputArgs(preset: string, crf: number): string[] {
  // NVENC in the GPU container (BYSTANDER_H264_ENCODER=h264_nvenc); libx264 everywhere else.
  const codec =
    process.env.BYSTANDER_H264_ENCODER === 'h264_nvenc'
      ? ['-c:v', 'h264_nvenc', '-preset', 'p4', '-rc', 'vbr', '-cq', String(crf + 3)]
      : ['-c:v', 'libx264', '-preset', preset, '-crf', String(crf)];
  return [
    ...codec, '-pix_fmt', 'yuv420p',
    '-map_metadata', '-1', '-map_chapters', '-1', '-sn', '-dn',
    '-fflags', '+bitexact', '-flags:v', '+bitexact',
    '-movflags', '+faststart', '-f', 'mp4',
  ];
}

/**
 * H.264 MP4 encoder fed raw yuv420p frames through stdin with backpressure. All metadata,
 * chapters, subtitles and data streams are dropped; audio only when `audioFrom` is given.
 */
export function openEncoder(outPath: string, o: EncoderOptions): Encoder {
  const args = [
    '-nostdin', '-hide_banner', '-v', 'error', '-y',
    '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${o.width}x${o.height}`, '-r', String(o.fps), '-i', 'pipe:0',
    ...(o.audioFrom ? ['-i', o.audioFrom, '-map', '0:v:0', '-map', '1:a:0?', '-c:a', 'aac', '-b:a', '128k', '-shortest'] : ['-map', '0:v:0', '-an']),
    ...h264OutputArgs(o.preset ?? 'veryfast', o.crf ?? 20),
    outPath,
  ];
  const child = spawn(ffmpegPath(), args, { stdio: ['pipe', 'ignore', 'pipe'] });
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
