import { randomUUID } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import type { ObscureStyle, RedactionTarget, SubjectHint } from '../../shared/domain/redaction.js';
import type { Device } from './detect/blazeface.js';
import { DEFAULT_FACE_SCAN, FaceScanner, type FaceScanParams } from './detect/faces.js';
import { createPlateDetector, type PlateDetector, type PlateDetectorChoice } from './detect/plate-detector.js';
import { DEFAULT_PLATES, type PlateParams } from './detect/plates.js';
import { AbortedError, MediaRejectedError, VerificationFailedError } from './errors.js';
import { type Frame, frameByteLength, padRect, type Rect } from './frame.js';
import { sha256File } from './hash.js';
import { DEFAULT_OBSCURE, obscureFrame } from './obscure.js';
import {
  applySubjectHints,
  assignRolls,
  buildTracks,
  DEFAULT_TRACKING,
  planFrames,
  type Detection,
  type FramePlan,
  lagFrames,
  StreamPlanner,
  type SubjectMatch,
  type Track,
  TrackBuilder,
  type TrackParams,
  trackRange,
} from './track.js';
import { loadModelFile } from './models.js';
import { DetectionSchedule } from './schedule.js';
import { DEFAULT_MOTION, type MotionParams } from './motion.js';
import { DEFAULT_VERIFY, emptyVerification, finish as finishVerification, record, type Verification, Verifier, VerifierThread, type VerifyParams } from './verify.js';
import { DEFAULT_LIMITS, type ImageInfo, type MediaLimits, probeMedia, type VideoInfo } from './probe.js';
import { type RedactionReport, RedactionReportSchema } from './report.js';
import { decodeH264Stream, decodeVideo, openEncoder, videoGeometry } from './video.js';

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
  /** Run face detection on every n-th frame (tracking fills the frames between). */
  cadence?: number;
  /** Full (tiled) scan every n-th frame; focused scans around known faces in between. */
  fullScanEvery?: number;
  /** Motion gating of the tiled face scans and whole-frame plate scans (video; see motion.ts). */
  motion?: Partial<MotionParams>;
  tracking?: Partial<typeof DEFAULT_TRACKING>;
  plates?: Partial<PlateParams>;
  /** Plate detector: `local` (PP-OCRv4, default) or `azure-vision`; default from BYSTANDER_PLATE_DETECTOR. */
  plateDetector?: PlateDetectorChoice;
  /** Evaluation hook: receives the per-frame regions as obscured (padded) and kept, before rendering. */
  onPlan?: (plan: { obscured: Rect[][]; kept: Rect[][] }) => void;
  /** Independent verification of the output (default on). */
  verify?: boolean;
  verifyParams?: Partial<VerifyParams>;
  /** Margin added on every side of an obscured box, as a share of its size. */
  padding?: number;
  /** Measurement hook (bench): milliseconds spent per stage are added to this object. */
  profile?: Record<string, number>;
  /** Memory for frames held between analysis and render when one decode feeds both (default DECODE_SHARE_BYTES; 0 = always decode twice). */
  decodeShareBytes?: number;
  /** x264 preset/crf for video output. */
  preset?: string;
  crf?: number;
}

export const DEFAULT_CADENCE = 2;
/**
 * Memory for decoded frames held between the analysis and the renderer when one decode feeds both
 * (see redactMedia): 256 MiB holds ~7 s of 720p or ~3 s of 1080p, enough for the tracker's lag;
 * beyond it (a hint far into the clip, 4K) the renderer decodes the input a second time instead.
 */
export const DECODE_SHARE_BYTES = 256 * 1024 * 1024;
export const DEFAULT_FULL_SCAN_EVERY = 16;

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
  const cadence = Math.max(1, Math.round(options.cadence ?? DEFAULT_CADENCE));
  const fullScanEvery = Math.max(cadence, Math.round(options.fullScanEvery ?? DEFAULT_FULL_SCAN_EVERY));
  const tracking = { ...DEFAULT_TRACKING, ...options.tracking };
  tracking.preRoll = Math.max(tracking.preRoll, fullScanEvery + 1);
  const plateParams = { ...DEFAULT_PLATES, ...options.plates };
  plateParams.cadence = Math.max(1, Math.round(plateParams.cadence));
  const plateFullEvery = Math.max(1, Math.round(plateParams.fullScanEvery / plateParams.cadence)) * plateParams.cadence;
  tracking.platePreRoll = Math.max(tracking.platePreRoll ?? 0, plateFullEvery + 1);
  const verifyParams = { ...DEFAULT_VERIFY, ...options.verifyParams };
  const motion = { ...DEFAULT_MOTION, ...options.motion };
  // A name that needs no escaping (the encoder's tee muxer takes it in a list).
  const tmpPath = join(dirname(outputPath), `.bystander-${randomUUID()}.partial`);
  const signal = options.signal;
  const checkAbort = () => {
    if (signal?.aborted) throw new AbortedError();
  };

  let scanner: FaceScanner | undefined;
  let plateScanner: PlateDetector | undefined;
  let verifier: Verifier | undefined;
  let verifierThread: VerifierThread | undefined;
  try {
    checkAbort();
    const info = await probeMedia(inputPath, limits, signal);
    timings.probe = performance.now() - t0;
    const th = performance.now();
    const input = await sha256File(inputPath);
    timings.hash = performance.now() - th;
    checkAbort();
    const warnings: string[] = [];
    const wantFaces = options.targets.includes('faces');
    const wantPlates = options.targets.includes('plates');
    const verify = options.verify !== false;
    // Video: the verifier's model runs in a worker thread on the encoded stream while it is encoded,
    // and the local plate detector in another, so both overlap with face detection on this thread.
    // The models load concurrently; if one fails, the others are released below.
    const loading = await Promise.allSettled([
      FaceScanner.create(scan, device).then((s) => (scanner = s)),
      wantPlates ? createPlateDetector(options.plateDetector, plateParams, device, process.env, { thread: info.kind === 'video' }).then((p) => (plateScanner = p)) : undefined,
      verify && info.kind === 'image' ? Verifier.create(verifyParams, device).then((v) => (verifier = v)) : undefined,
      verify && info.kind === 'video' ? loadModelFile('blazeface-back-256').then(async ({ info: model }) => (verifierThread = await VerifierThread.create(verifyParams, device, model))) : undefined,
    ]);
    for (const r of loading) if (r.status === 'rejected') throw r.reason;
    if (!scanner) throw new Error('face scanner not loaded');

    const params = { style: options.style, ...DEFAULT_OBSCURE };
    const pad = (rs: Rect[]) => rs.map((r) => padRect(r, padding));
    let out: { width: number; height: number; frames: number; fps: number; durationSeconds: number; audio: boolean; contentType: string };
    let tracks: Track[];
    let matches: SubjectMatch[];
    let plan: FramePlan;
    let planStats: { regionsObscured: number; framesWithRegions: number } | undefined;
    let verification: RedactionReport['verification'] = {
      status: 'skipped',
      reason: 'verification disabled by the caller',
      framesChecked: 0,
      facesFound: 0,
      facesInsideObscured: 0,
      facesOnSubject: 0,
      violations: [],
    };

    const prof = options.profile;
    const count = (key: string, n: number) => {
      if (prof) prof[key] = (prof[key] ?? 0) + n;
    };
    const schedule = new DetectionSchedule(
      scanner,
      plateScanner,
      { cadence, fullScanEvery, plateCadence: plateParams.cadence, plateFullEvery, wantFaces, gated: motion.enabled && info.kind === 'video', motion },
      prof,
    );
    const link = (faces: (Detection[] | undefined)[], plates: (Detection[] | undefined)[], fps: number, n: number, frameW: number, frameH: number) => {
      const faceTracks = buildTracks(faces, 'face', tracking);
      const plateTracks = buildTracks(plates, 'plate', tracking, faceTracks.length);
      tracks = [...faceTracks, ...plateTracks];
      assignRolls(tracks, frameW, frameH, tracking);
      matches = applySubjectHints(tracks, options.subjects, fps, n, tracking);
      plan = planFrames(tracks, n, tracking);
      planStats = { regionsObscured: plan.obscure.reduce((s, r) => s + r.length, 0), framesWithRegions: plan.obscure.filter((r) => r.length > 0).length };
      options.onPlan?.({ obscured: plan.obscure.map(pad), kept: plan.kept });
    };

    if (info.kind === 'image') {
      const ta = performance.now();
      const frame = await readImage(inputPath, info);
      const faces: (Detection[] | undefined)[] = [];
      const plates: (Detection[] | undefined)[] = [];
      faces[0] = await schedule.faces(frame, 0);
      if (schedule.isPlateFrame(0)) plates[0] = await schedule.plates(frame, 0);
      link(faces, plates, 1, 1, frame.width, frame.height);
      timings.analyse = performance.now() - ta;
      const tr = performance.now();
      obscureFrame(frame, pad(plan!.obscure[0]!), params);
      await writeImage(frame, info, tmpPath);
      timings.render = performance.now() - tr;
      if (verifier) {
        const tv = performance.now();
        const acc = emptyVerification(verifier);
        const written = await readImage(tmpPath, { ...info });
        await verifier.checkFrame(written, 0, { obscured: pad(plan!.obscure[0]!), kept: plan!.kept[0]! }, acc);
        verification = finishVerification(acc);
        timings.verify = performance.now() - tv;
      }
      out = { width: frame.width, height: frame.height, frames: 1, fps: 0, durationSeconds: 0, audio: false, contentType: `image/${info.format}` };
    } else {
      const geo = videoGeometry(info);
      // The renderer trails the analysis by a bounded number of frames (the tracker's lag, and past
      // every subject hint), after which a frame's regions are final; the encoder (a separate
      // process) works while the detectors run. Normally one decode feeds both: the analysis hands
      // each decoded frame on to the renderer through a bounded queue (`held`, at most `window`
      // frames — a few seconds of video, so memory does not depend on the duration). When that
      // window would not fit in `DECODE_SHARE_BYTES` (a subject hint far into the clip, very large
      // frames) a second decoder feeds the renderer instead and nothing is held: it waits on its pipe.
      const tr = performance.now();
      const planner = new StreamPlanner(new TrackBuilder('face', tracking), new TrackBuilder('plate', tracking), tracking, geo.width, geo.height);
      const lag = lagFrames(tracking);
      const hintFrames = options.subjects.map((h) => Math.round(h.atSeconds * geo.fps));
      // The analysis may be ahead of the renderer by the lag (or the last hint) plus the plate
      // pipeline's slack (3 plate frames) before the renderer can take its next frame.
      const window = Math.max(0, ...hintFrames) + lag + 3 * plateParams.cadence + 2;
      const shared = window * frameByteLength('yuv420p', geo.width, geo.height) <= (options.decodeShareBytes ?? DECODE_SHARE_BYTES);
      const held: Frame[] = [];
      let space: (() => void) | undefined;
      if (prof) count(shared ? 'decodeShared' : 'decodeTwice', 1);
      const verifyEvery = Math.max(1, Math.round(geo.fps / verifyParams.sampleFps));
      const sampled = new Map<number, { obscured: Rect[]; kept: Rect[] }>();
      const fullPlan: { obscured: Rect[][]; kept: Rect[][] } | undefined = options.onPlan ? { obscured: [], kept: [] } : undefined;
      let analysed = 0;
      let total: number | undefined;
      let wake: (() => void) | undefined;
      const inner = new AbortController();
      const onOuterAbort = () => inner.abort();
      signal?.addEventListener('abort', onOuterAbort, { once: true });
      // Faces are detected here, frame by frame; plates in their own pipeline (the plate thread),
      // up to 3 plate frames behind. A frame counts as analysed once both pipelines are past it.
      const platesPending: { f: number; done: Promise<void> }[] = [];
      let plateChain: Promise<void> = Promise.resolve();
      const analysis = (async () => {
        let n = 0;
        for await (const frame of decodeVideo(inputPath, info, { signal: inner.signal })) {
          const f = n;
          if (shared) {
            held.push(frame);
            while (held.length > window) {
              await new Promise<void>((resolve) => (space = resolve));
              space = undefined;
              if (inner.signal.aborted) throw new AbortedError();
            }
          }
          const faceDets = await schedule.faces(frame, f);
          if (faceDets) planner.faces.push(f, faceDets);
          if (schedule.isPlateFrame(f)) {
            const done = plateChain.then(async () => {
              planner.plates.push(f, await schedule.plates(frame, f));
              platesPending.shift();
              analysed = platesPending.length ? Math.min(n, platesPending[0]!.f) : n;
              wake?.();
            });
            done.catch(() => undefined); // awaited below; a failure stops the analysis there
            plateChain = done;
            platesPending.push({ f, done });
            if (platesPending.length > 3) await platesPending[0]!.done;
          }
          n++;
          analysed = platesPending.length ? Math.min(n, platesPending[0]!.f) : n;
          wake?.();
          progress(options, 'analyse', n, info.frames, tr);
        }
        await plateChain;
        analysed = n;
        total = n;
        timings.analyse = performance.now() - tr;
        wake?.();
      })();
      const encoder = openEncoder(tmpPath, {
        ...geo,
        audioFrom: options.keepAudio && info.hasAudio ? inputPath : undefined,
        preset: options.preset,
        crf: options.crf,
        signal,
        teeH264: !!verifierThread,
      });
      let m = 0;
      let regionsObscured = 0;
      let framesWithRegions = 0;
      // The shared decode's frames, in order, as the analysis hands them on.
      const handedOn = async function* (): AsyncGenerator<Frame> {
        for (;;) {
          while (!held.length && total === undefined && !inner.signal.aborted) {
            await new Promise<void>((resolve) => (wake = resolve));
            wake = undefined;
          }
          if (inner.signal.aborted) throw new AbortedError();
          const frame = held.shift();
          if (!frame) return;
          space?.();
          yield frame;
        }
      };
      const render = (async () => {
        try {
          for await (const frame of shared ? handedOn() : decodeVideo(inputPath, info, { signal: inner.signal })) {
            while (total === undefined && analysed < Math.max(m, ...hintFrames) + lag) {
              if (inner.signal.aborted) throw new AbortedError();
              await new Promise<void>((resolve) => (wake = resolve));
              wake = undefined;
            }
            if (total !== undefined && m >= total) throw new Error(`render pass decoded more frames than the analysis pass (${m + 1} > ${total})`);
            matches ??= planner.applyHints(options.subjects, geo.fps, total ?? Number.MAX_SAFE_INTEGER);
            const { obscure, kept } = planner.at(m);
            const padded = pad(obscure);
            if (m % verifyEvery === 0 && verifierThread) sampled.set(m, { obscured: padded, kept });
            const to = performance.now();
            obscureFrame(frame, padded, params);
            const te = performance.now();
            await encoder.write(frame);
            if (prof) {
              prof.obscure = (prof.obscure ?? 0) + te - to;
              prof.encoderWait = (prof.encoderWait ?? 0) + performance.now() - te;
            }
            regionsObscured += obscure.length;
            if (obscure.length) framesWithRegions++;
            if (fullPlan) {
              fullPlan.obscured.push(padded);
              fullPlan.kept.push(kept);
            }
            m++;
            progress(options, 'render', m, total ?? info.frames, tr);
          }
          if (total === undefined) await analysis;
          if (m !== total) throw new Error(`render pass decoded ${m} frames, analysis pass ${total}`);
          await encoder.finish();
        } finally {
          encoder.kill();
        }
      })();
      // Verification: the encoder's own output stream (the packets the MP4 receives) is decoded at
      // ~sampleFps and each sampled frame goes to the verifier thread (≤ 2 in flight); judging
      // against the frame's obscured regions happens here.
      const acc: Verification = { status: 'passed', model: verifierThread?.model.name ?? '', sampleFps: verifyParams.sampleFps, framesChecked: 0, facesFound: 0, facesInsideObscured: 0, facesOnSubject: 0, violations: [] };
      let verifyDone = 0;
      const verifying = (async () => {
        if (!verifierThread) return;
        const inflight: Promise<void>[] = [];
        let k = 0;
        for await (const { index, frame } of decodeH264Stream(encoder.h264!, geo.width, geo.height, verifyEvery, inner.signal)) {
          const regions = sampled.get(index);
          if (!regions) throw new Error(`verification decoded frame ${index} of the output, which was never rendered`);
          sampled.delete(index);
          inflight.push(verifierThread.scan(frame).then((found) => record(acc, found, index, regions, verifyParams)));
          if (inflight.length >= 2) await inflight.shift();
          k++;
          progress(options, 'verify', k, Math.ceil((total ?? info.frames) / verifyEvery), tr);
        }
        await Promise.all(inflight);
        verifyDone = performance.now();
      })();
      try {
        const stop = (err: unknown) => {
          inner.abort();
          wake?.();
          space?.();
          throw err;
        };
        await Promise.all([analysis.catch(stop), render.catch(stop), verifying.catch(stop)]);
      } catch (err) {
        // Never leave either pass running.
        inner.abort();
        wake?.();
        space?.();
        const reasons = (await Promise.allSettled([analysis, render, verifying])).flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
        checkAbort();
        // The pass that failed first made the other one stop with AbortedError: report the cause.
        throw reasons.find((e) => !(e instanceof AbortedError)) ?? err;
      } finally {
        signal?.removeEventListener('abort', onOuterAbort);
      }
      const n = total!;
      timings.render = performance.now() - tr;
      // The tail of verification after the encoder finished (the rest overlapped with rendering).
      if (verifierThread) timings.verify = Math.max(0, verifyDone - tr - timings.render);
      const faceTracks = planner.faces.all();
      const plateTracks = planner.plates.all();
      for (const t of plateTracks) t.id += faceTracks.length;
      tracks = [...faceTracks, ...plateTracks];
      assignRolls(tracks, geo.width, geo.height, tracking);
      planStats = { regionsObscured, framesWithRegions };
      if (fullPlan) options.onPlan?.(fullPlan);
      if (verifierThread) {
        const expected = Math.ceil(n / verifyEvery);
        if (acc.framesChecked !== expected) throw new Error(`verification checked ${acc.framesChecked} of the output's ${expected} sampled frames`);
        const outInfo = await probeMedia(tmpPath, { ...limits, maxBytes: Number.MAX_SAFE_INTEGER }, signal);
        if (outInfo.kind !== 'video') throw new Error('encoded output is not a video');
        acc.violations.sort((a, b) => a.frame - b.frame);
        verification = finishVerification(acc);
      }
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
    for (const mt of matches!) {
      if (mt.outcome === 'not-matched') warnings.push(`subject hint ${mt.hint} matched no face at frame ${mt.frame}; everyone was obscured (fail-safe)`);
      if (mt.outcome === 'ambiguous') warnings.push(`subject hint ${mt.hint} matched several faces at frame ${mt.frame}; everyone was obscured (fail-safe)`);
    }
    const frames = out.frames;
    const output = await sha256File(tmpPath);
    timings.total = performance.now() - t0;
    const models = [{ ...scanner.detector.model, role: 'face-detector' }];
    if (plateScanner) models.push({ ...plateScanner.model, role: 'plate-detector' });
    const verifierModel = verifier?.model ?? verifierThread?.model;
    if (verifierModel) models.push({ ...verifierModel, role: 'verifier' });
    const report = RedactionReportSchema.parse({
      schema: 'bystander.redaction-report',
      schemaVersion: 1,
      engine: { name: 'bystander-worker', version: ENGINE_VERSION },
      createdAt: new Date().toISOString(),
      input: inputSection(info, input),
      output: { ...output, ...out, metadataStripped: true },
      models,
      parameters: {
        targets: options.targets,
        style: options.style,
        keepAudio: options.keepAudio,
        device,
        padding,
        pixelateBlocks: params.pixelateBlocks,
        detection: {
          ...scan,
          cadence,
          fullScanEvery,
          motionGating: motion.enabled && info.kind === 'video',
          ...(motion.enabled && info.kind === 'video' ? { motionCell: motion.cell, motionThreshold: motion.threshold, motionGlobalShare: motion.globalShare, motionSafetyEvery: motion.safetyEvery, motionPlateSafetyEvery: motion.plateSafetyEvery } : {}),
          ...(plateScanner ? { plateCadence: plateParams.cadence, plateFullScanEvery: plateFullEvery, plateThreshold: plateParams.boxThreshold } : {}) },
        tracking: { ...tracking },
      },
      tracks: tracks!.map((t) => ({
        id: t.id,
        class: t.cls,
        firstFrame: t.frames[0]!,
        lastFrame: t.frames[t.frames.length - 1]!,
        detections: t.frames.length,
        obscured: t.kept ? [] : [trackRange(t, frames, tracking)],
        kept: t.kept,
        ...(t.subjectHint !== undefined ? { subjectHint: t.subjectHint } : {}),
      })),
      regionsObscured: planStats!.regionsObscured,
      framesWithRegions: planStats!.framesWithRegions,
      subjects: {
        hints: options.subjects.length,
        matches: matches!,
        matched: options.subjects.length ? matches!.every((mt) => mt.outcome === 'kept') : null,
      },
      verification,
      timingsMs: roundAll(timings),
      warnings,
    } satisfies RedactionReport);
    if (verification.status === 'failed') {
      throw new VerificationFailedError(`verification failed: ${verification.reason ?? 'a face was found outside the obscured regions'}; no output was written`, report);
    }
    await rename(tmpPath, outputPath);
    return report;
  } catch (err) {
    await rm(tmpPath, { force: true });
    throw err;
  } finally {
    await scanner?.release();
    await plateScanner?.release();
    await verifier?.release();
    await verifierThread?.release();
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
