import { randomUUID } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import sharp from 'sharp';
import type { ObscureStyle, RedactionTarget, SubjectHint } from '../../shared/domain/redaction.js';
import type { Device } from './detect/blazeface.js';
import { DEFAULT_FACE_SCAN, FaceScanner, type FaceScanParams } from './detect/faces.js';
import { AbortedError, MediaRejectedError } from './errors.js';
import { type Frame, padRect, type Rect } from './frame.js';
import { sha256File } from './hash.js';
import { DEFAULT_OBSCURE, obscureFrame } from './obscure.js';
import { dilatedPlan } from './plan.js';
import { DEFAULT_LIMITS, type ImageInfo, type MediaLimits, probeMedia, type VideoInfo } from './probe.js';
import { type RedactionReport, RedactionReportSchema } from './report.js';
import { decodeVideo, openEncoder, videoGeometry } from './video.js';

export { MediaRejectedError, VerificationFailedError, MEDIA_REJECTION_CODES, type MediaRejectionCode } from './errors.js';
export { CudaUnavailableError } from './detect/blazeface.js';
export { type RedactionReport, RedactionReportSchema, toSummary } from './report.js';
export { DEFAULT_LIMITS, type MediaLimits, probeMedia } from './probe.js';

export const ENGINE_VERSION = '0.1.0';

export interface RedactProgress {
  phase: 'analyse' | 'render' | 'verify';
  frame: number;
  totalFrames?: number;
  fps: number;
}

export interface RedactOptions {
  targets: RedactionTarget[];
  style: ObscureStyle;
  subjects: SubjectHint[];
  keepAudio: boolean;
  device?: Device;
  onProgress?: (p: RedactProgress) => void;
  signal?: AbortSignal;
  limits?: Partial<MediaLimits>;
  /** Tuning (defaults chosen by measurement, see eval/ and bench/). */
  faceScan?: Partial<FaceScanParams>;
  /** Margin added on every side of an obscured box, as a share of its size. */
  padding?: number;
  /** x264 preset/crf for video output. */
  preset?: string;
  crf?: number;
}

const PRE_POST_ROLL = 3;

/**
 * Redacts one image or video file into `outputPath` (H.264 MP4 for video, the input's format for
 * images) and returns the report. The output appears atomically (temp file + rename) only on
 * success; on any failure nothing is left at `outputPath`. Bad input throws MediaRejectedError.
 */
export async function redactMedia(inputPath: string, outputPath: string, options: RedactOptions): Promise<RedactionReport> {
  const t0 = performance.now();
  const timings = { probe: 0, hash: 0, analyse: 0, render: 0, verify: 0, total: 0 };
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const device = options.device ?? 'cpu';
  const scan = { ...DEFAULT_FACE_SCAN, ...options.faceScan };
  const padding = options.padding ?? 0.25;
  const tmpPath = join(dirname(outputPath), `.${basename(outputPath)}.${randomUUID().slice(0, 8)}.partial`);
  const signal = options.signal;
  const checkAbort = () => {
    if (signal?.aborted) throw new AbortedError();
  };

  let scanner: FaceScanner | undefined;
  try {
    checkAbort();
    const info = await probeMedia(inputPath, limits, signal);
    timings.probe = performance.now() - t0;
    const th = performance.now();
    const input = await sha256File(inputPath);
    timings.hash = performance.now() - th;
    checkAbort();
    const warnings: string[] = [];
    if (options.targets.includes('plates')) warnings.push('plate detection is not available in this engine version; plates were not searched');
    if (options.subjects.length > 0) warnings.push('subject hints are not applied in this engine version; every face was obscured (fail-safe)');
    scanner = await FaceScanner.create(scan, device);

    const params = { style: options.style, ...DEFAULT_OBSCURE };
    let out: { width: number; height: number; frames: number; fps: number; durationSeconds: number; audio: boolean; contentType: string };
    let regionsObscured = 0;
    let framesWithRegions = 0;
    const count = (regions: Rect[]) => {
      regionsObscured += regions.length;
      if (regions.length) framesWithRegions++;
    };

    if (info.kind === 'image') {
      const ta = performance.now();
      const frame = await readImage(inputPath, info);
      const dets = options.targets.includes('faces') ? await scanner.scan(frame) : [];
      timings.analyse = performance.now() - ta;
      const tr = performance.now();
      const regions = dets.map((d) => padRect(d, padding));
      obscureFrame(frame, regions, params);
      count(regions);
      await writeImage(frame, info, tmpPath);
      timings.render = performance.now() - tr;
      out = { width: frame.width, height: frame.height, frames: 1, fps: 0, durationSeconds: 0, audio: false, contentType: `image/${info.format}` };
    } else {
      const geo = videoGeometry(info);
      // Pass 1: detect on every frame (detections only are kept: O(boxes) memory).
      const ta = performance.now();
      const detections: Rect[][] = [];
      for await (const frame of decodeVideo(inputPath, info, { signal })) {
        detections.push(options.targets.includes('faces') ? await scanner.scan(frame) : []);
        progress(options, 'analyse', detections.length, info.frames, ta);
      }
      timings.analyse = performance.now() - ta;
      checkAbort();
      const plan = dilatedPlan(detections, PRE_POST_ROLL).map((rs) => rs.map((r) => padRect(r, padding)));
      // Pass 2: decode again, obscure the planned regions, encode.
      const tr = performance.now();
      const encoder = openEncoder(tmpPath, {
        ...geo,
        audioFrom: options.keepAudio && info.hasAudio ? inputPath : undefined,
        preset: options.preset,
        crf: options.crf,
        signal,
      });
      let n = 0;
      try {
        for await (const frame of decodeVideo(inputPath, info, { signal })) {
          const regions = plan[n];
          if (!regions) throw new Error(`render pass decoded more frames than the analysis pass (${n + 1} > ${plan.length})`);
          obscureFrame(frame, regions, params);
          count(regions);
          await encoder.write(frame);
          n++;
          progress(options, 'render', n, plan.length, tr);
        }
        if (n !== plan.length) throw new Error(`render pass decoded ${n} frames, analysis pass ${plan.length}`);
        await encoder.finish();
      } finally {
        encoder.kill();
      }
      timings.render = performance.now() - tr;
      out = {
        width: geo.width,
        height: geo.height,
        frames: n,
        fps: geo.fps,
        durationSeconds: n / geo.fps,
        audio: options.keepAudio && info.hasAudio,
        contentType: 'video/mp4',
      };
    }
    checkAbort();
    const output = await sha256File(tmpPath);
    timings.total = performance.now() - t0;
    const report = RedactionReportSchema.parse({
      schema: 'bystander.redaction-report',
      schemaVersion: 1,
      engine: { name: 'bystander-worker', version: ENGINE_VERSION },
      createdAt: new Date().toISOString(),
      input: inputSection(info, input),
      output: { ...output, ...out, metadataStripped: true },
      models: [{ ...scanner.detector.model, role: 'face-detector' }],
      parameters: {
        targets: options.targets,
        style: options.style,
        keepAudio: options.keepAudio,
        device,
        padding,
        pixelateBlocks: params.pixelateBlocks,
        detection: { ...scan, cadence: 1 },
        tracking: { mode: 'temporal-dilation', prePostRollFrames: PRE_POST_ROLL },
      },
      tracks: [],
      regionsObscured,
      framesWithRegions,
      subjects: {
        hints: options.subjects.length,
        matches: options.subjects.map((_, hint) => ({ hint, frame: 0, trackId: null, iou: 0, keptShare: 0, outcome: 'not-matched' })),
        matched: options.subjects.length ? false : null,
      },
      verification: { status: 'skipped', reason: 'verification not available in this engine version', framesChecked: 0, facesFound: 0, facesInsideObscured: 0, facesOnSubject: 0, violations: [] },
      timingsMs: roundAll(timings),
      warnings,
    } satisfies RedactionReport);
    await rename(tmpPath, outputPath);
    return report;
  } catch (err) {
    await rm(tmpPath, { force: true });
    throw err;
  } finally {
    await scanner?.release();
  }
}

function progress(options: RedactOptions, phase: RedactProgress['phase'], frame: number, totalFrames: number | undefined, since: number): void {
  if (!options.onProgress) return;
  const secs = (performance.now() - since) / 1000;
  options.onProgress({ phase, frame, totalFrames, fps: secs > 0 ? frame / secs : 0 });
}

function roundAll<T extends Record<string, number>>(o: T): T {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Math.round(v)])) as T;
}

function inputSection(info: VideoInfo | ImageInfo, file: { sha256: string; bytes: number }): RedactionReport['input'] {
  if (info.kind === 'image') {
    return { ...file, kind: 'image', format: info.format, width: info.width, height: info.height, fps: 0, durationSeconds: 0, hasAudio: false };
  }
  return {
    ...file,
    kind: 'video',
    format: info.container,
    codec: info.codec,
    width: info.width,
    height: info.height,
    rotation: info.rotation,
    bitDepth: info.bitDepth,
    variableFrameRate: info.variableFrameRate,
    fps: info.fps,
    durationSeconds: info.durationSeconds,
    hasAudio: info.hasAudio,
  };
}

async function readImage(path: string, info: ImageInfo): Promise<Frame> {
  try {
    // rotate(): apply EXIF orientation; flatten(): transparent pixels can hide content, so drop alpha onto black.
    const { data, info: raw } = await sharp(path, { limitInputPixels: DEFAULT_LIMITS.maxPixels, failOn: 'error' })
      .rotate()
      .flatten({ background: '#000000' })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (raw.channels !== 3) throw new Error(`unexpected ${raw.channels} channels`);
    return { width: raw.width, height: raw.height, format: 'rgb24', data };
  } catch (err) {
    throw new MediaRejectedError('media-corrupt', `the ${info.format} image cannot be decoded (${err instanceof Error ? err.message.split('\n')[0] : 'error'})`);
  }
}

/** Re-encodes to the input's format; sharp writes no metadata (EXIF/GPS/XMP/ICC) unless asked to. */
async function writeImage(frame: Frame, info: ImageInfo, path: string): Promise<void> {
  const img = sharp(frame.data, { raw: { width: frame.width, height: frame.height, channels: 3 } });
  const buf =
    info.format === 'jpeg'
      ? await img.jpeg({ quality: 90, mozjpeg: false }).toBuffer()
      : info.format === 'png'
        ? await img.png({ compressionLevel: 6 }).toBuffer()
        : await img.webp({ quality: 90 }).toBuffer();
  await writeFile(path, buf, { flag: 'wx' });
}
