import { open, stat } from 'node:fs/promises';
import sharp, { type Metadata } from 'sharp';
import { ACCEPTED_VIDEO_HINT } from '../../shared/domain/sniff.js';
import { MediaRejectedError } from './errors.js';
import { ffprobePath, run } from './ffmpeg.js';

export interface MediaLimits {
  /** Longest side in pixels. */
  maxDimension: number;
  /** Width × height. */
  maxPixels: number;
  maxDurationSeconds: number;
  maxBytes: number;
  /** Output frame rate cap (higher rates are resampled down). */
  maxFps: number;
}

export const DEFAULT_LIMITS: MediaLimits = {
  maxDimension: 8192,
  maxPixels: 40_000_000,
  maxDurationSeconds: 4 * 3600,
  maxBytes: 20 * 1024 ** 3,
  maxFps: 60,
};

/**
 * Video codecs we decode (CCTV and DVR/VMS exports, phones); everything else is refused before
 * decoding. ffprobe's names: `mpeg4` is MPEG-4 Part 2 (Xvid, DivX 4+), `msmpeg4v3` DivX 3 /
 * Microsoft MPEG-4 v3 (`DIV3`, `MP43`), `msmpeg4v2` its predecessor (`MP42`).
 */
export const SUPPORTED_VIDEO_CODECS = ['h264', 'hevc', 'mpeg4', 'msmpeg4v3', 'msmpeg4v2', 'mjpeg'] as const;

/**
 * Demuxers (ffmpeg names) allowed to open an input: MP4/MOV, Matroska, AVI, MPEG-TS. Everything else
 * — playlists (HLS), concat lists, image sequences, raw streams, other containers — is refused
 * before a byte of it is interpreted, and only the `file` protocol may be opened, so no input can
 * make ffmpeg read another file or a URL.
 */
export const INPUT_DEMUXERS = ['mov', 'matroska', 'avi', 'mpegts'] as const;

/** Input options for every ffmpeg/ffprobe that opens a user's file (before its `-i`). */
export function inputGuardArgs(): string[] {
  return ['-format_whitelist', INPUT_DEMUXERS.join(','), '-protocol_whitelist', 'file'];
}

export type ImageFormat = 'jpeg' | 'png' | 'webp';

interface Common {
  bytes: number;
  /** Display size (after rotation). */
  width: number;
  height: number;
}

export interface VideoInfo extends Common {
  kind: 'video';
  container: string;
  codec: string;
  pixelFormat: string;
  bitDepth: number;
  /** Clockwise rotation the player applies (ffmpeg's decoder applies it for us). */
  rotation: number;
  /** Constant output frame rate (the stream's average rate; VFR input is resampled to it). */
  fps: number;
  variableFrameRate: boolean;
  durationSeconds: number;
  /** Expected number of output frames (duration × fps). */
  frames: number;
  hasAudio: boolean;
}

export interface ImageInfo extends Common {
  kind: 'image';
  format: ImageFormat;
  durationSeconds: 0;
  frames: 1;
}

export type MediaInfo = VideoInfo | ImageInfo;

export function sniffImage(head: Buffer): ImageFormat | undefined {
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpeg';
  if (head.length >= 8 && head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png';
  if (head.length >= 12 && head.toString('latin1', 0, 4) === 'RIFF' && head.toString('latin1', 8, 12) === 'WEBP') return 'webp';
  return undefined;
}

/** Containers we recognise by their first bytes: a probe failure on these means a damaged file. */
export function looksLikeVideoContainer(head: Buffer): boolean {
  if (head.length >= 8 && ['ftyp', 'moov', 'mdat', 'free', 'wide', 'skip'].includes(head.toString('latin1', 4, 8))) return true;
  if (head.length >= 4 && head.readUInt32BE(0) === 0x1a45dfa3) return true; // Matroska / WebM
  if (head.length >= 12 && head.toString('latin1', 0, 4) === 'RIFF' && head.toString('latin1', 8, 11) === 'AVI') return true;
  if (head.length >= 1 && head[0] === 0x47) return true; // MPEG-TS sync byte
  return false;
}

function parseRate(r: string | undefined): number {
  if (!r) return 0;
  const [n, d] = r.split('/').map(Number);
  if (!n || !Number.isFinite(n)) return 0;
  return d ? n / d : n;
}

function checkSize(width: number, height: number, limits: MediaLimits): void {
  if (!(width > 0 && height > 0)) throw new MediaRejectedError('media-corrupt', 'the media has no valid picture size');
  if (width > limits.maxDimension || height > limits.maxDimension || width * height > limits.maxPixels) {
    throw new MediaRejectedError(
      'media-too-large',
      `picture is ${width}×${height}; the limit is ${limits.maxDimension} px per side and ${limits.maxPixels / 1e6} MP`,
    );
  }
}

export async function probeMedia(path: string, limits: MediaLimits = DEFAULT_LIMITS, signal?: AbortSignal): Promise<MediaInfo> {
  const st = await stat(path);
  if (!st.isFile()) throw new MediaRejectedError('media-not-recognised', 'the input is not a file');
  if (st.size === 0) throw new MediaRejectedError('media-empty', 'the file is empty (0 bytes)');
  if (st.size > limits.maxBytes) throw new MediaRejectedError('media-too-large', `the file is ${st.size} bytes; the limit is ${limits.maxBytes}`);
  const fh = await open(path, 'r');
  const head = Buffer.alloc(64);
  try {
    await fh.read(head, 0, 64, 0);
  } finally {
    await fh.close();
  }
  const image = sniffImage(head);
  if (image) return probeImage(path, image, st.size, limits);
  return probeVideo(path, head, st.size, limits, signal);
}

async function probeImage(path: string, format: ImageFormat, bytes: number, limits: MediaLimits): Promise<ImageInfo> {
  let meta: Metadata;
  try {
    meta = await sharp(path, { limitInputPixels: false }).metadata();
  } catch {
    throw new MediaRejectedError('media-corrupt', `the ${format} image header cannot be read`);
  }
  if (meta.format !== format && !(format === 'jpeg' && meta.format === 'jpeg')) {
    throw new MediaRejectedError('media-corrupt', `the file starts like ${format} but decodes as ${meta.format}`);
  }
  if ((meta.pages ?? 1) > 1) throw new MediaRejectedError('media-unsupported-codec', 'animated images are not supported');
  let { width, height } = meta;
  if ((meta.orientation ?? 1) >= 5) [width, height] = [height, width];
  checkSize(width, height, limits);
  return { kind: 'image', format, bytes, width, height, durationSeconds: 0, frames: 1 };
}

interface ProbeStream {
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  pix_fmt?: string;
  bits_per_raw_sample?: string;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  nb_frames?: string;
  duration?: string;
  tags?: Record<string, string>;
  side_data_list?: { side_data_type?: string; rotation?: number }[];
  disposition?: { attached_pic?: number };
}

async function probeVideo(path: string, head: Buffer, bytes: number, limits: MediaLimits, signal?: AbortSignal): Promise<VideoInfo> {
  const res = await run(
    ffprobePath(),
    ['-v', 'error', ...inputGuardArgs(), '-print_format', 'json', '-show_format', '-show_streams', '-i', path],
    signal,
  );
  let parsed: { streams?: ProbeStream[]; format?: { format_name?: string; duration?: string } } | undefined;
  try {
    parsed = res.code === 0 ? JSON.parse(res.stdout.toString()) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!parsed?.format) {
    if (looksLikeVideoContainer(head)) throw new MediaRejectedError('media-corrupt', `the file looks like a video container but cannot be read (truncated or damaged). ${ACCEPTED_VIDEO_HINT}`);
    throw new MediaRejectedError('media-not-recognised', `the file is not a recognised image or video. ${ACCEPTED_VIDEO_HINT}`);
  }
  const streams = parsed.streams ?? [];
  const video = streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  if (!video) throw new MediaRejectedError('media-no-video', 'the file has no video stream (audio-only or data)');
  const codec = video.codec_name ?? 'unknown';
  if (!(SUPPORTED_VIDEO_CODECS as readonly string[]).includes(codec)) {
    throw new MediaRejectedError('media-unsupported-codec', `video codec ${codec} is not supported. ${ACCEPTED_VIDEO_HINT}`);
  }
  // Display-matrix rotation is counter-clockwise; the legacy `rotate` tag is clockwise.
  const sideRotation = video.side_data_list?.find((d) => typeof d.rotation === 'number')?.rotation;
  const clockwise = sideRotation !== undefined ? -sideRotation : Number(video.tags?.rotate ?? 0) || 0;
  const rotation = (((Math.round(clockwise / 90) * 90) % 360) + 360) % 360;
  let width = video.width ?? 0;
  let height = video.height ?? 0;
  if (rotation === 90 || rotation === 270) [width, height] = [height, width];
  checkSize(width, height, limits);

  const avg = parseRate(video.avg_frame_rate);
  const real = parseRate(video.r_frame_rate);
  let fps = avg > 0 && avg < 1000 ? avg : real > 0 && real < 1000 ? real : 25;
  fps = Math.min(fps, limits.maxFps);
  fps = Math.round(fps * 1000) / 1000;
  const durationSeconds = Number(video.duration ?? parsed.format.duration ?? NaN);
  const nbFrames = Number(video.nb_frames ?? NaN);
  if (nbFrames === 0) throw new MediaRejectedError('media-no-frames', 'the video stream has no frames');
  if (!Number.isFinite(durationSeconds) && !Number.isFinite(nbFrames)) {
    throw new MediaRejectedError('media-corrupt', 'the video has no readable duration');
  }
  const duration = Number.isFinite(durationSeconds) ? durationSeconds : nbFrames / fps;
  if (duration > limits.maxDurationSeconds) {
    throw new MediaRejectedError('media-too-long', `the video lasts ${Math.round(duration)} s; the limit is ${limits.maxDurationSeconds} s`);
  }
  const bitDepth = Number(video.bits_per_raw_sample ?? (/(1[02])(le|be)$/.exec(video.pix_fmt ?? '')?.[1] ?? 8));
  return {
    kind: 'video',
    bytes,
    width,
    height,
    container: parsed.format.format_name ?? 'unknown',
    codec,
    pixelFormat: video.pix_fmt ?? 'unknown',
    bitDepth: Number.isFinite(bitDepth) ? bitDepth : 8,
    rotation,
    fps,
    variableFrameRate: avg > 0 && real > 0 && Math.abs(avg - real) / real > 0.01,
    durationSeconds: Math.max(0, duration),
    frames: Math.max(1, Math.round(duration * fps)),
    hasAudio: streams.some((s) => s.codec_type === 'audio'),
  };
}
