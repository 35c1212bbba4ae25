import { randomUUID } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import type { ObscureStyle, RedactionEdits, RedactionTarget, SubjectHint } from '../../shared/domain/redaction.js';
import type { Device } from './detect/blazeface.js';
import { DEFAULT_FACE_SCAN, FaceScanner, type FaceScanParams } from './detect/faces.js';
import { SecondOpinion } from './detect/second-opinion.js';
import { createPlateDetector, type PlateDetector, type PlateDetectorChoice } from './detect/plate-detector.js';
import { DEFAULT_PLATES, type PlateParams } from './detect/plates.js';
import { detectStill, PersonDetector, PersonDetectorThread, type PersonFinder, STILL_PERSON_SCALES } from './detect/persons.js';
import { darkStillFaces, isDarkStill } from './detect/dark-still.js';
import { type BystanderMode, DEFAULT_PERSONS, PERSON_EVERY_SECONDS, personCadence, PersonSource, type PersonOptions, personTracking, timedEdgeRoll } from './persons-track.js';
import { AbortedError, MediaRejectedError, VerificationFailedError } from './errors.js';
import { type Frame, padRect, type Rect } from './frame.js';
import { sha256File } from './hash.js';
import { DEFAULT_OBSCURE, obscureFrame } from './obscure.js';
import {
  applySubjectHints,
  assignRolls,
  buildTracks,
  DEFAULT_TRACKING,
  planFrames,
  type SubjectMatch,
  type Track,
  type TrackParams,
  trackRange,
} from './track.js';
import { loadModelFile } from './models.js';
import { type Correction, CorrectingDetector, DEFAULT_CORRECTION, type CorrectionParams, type FrameDetector, nameFrames, RecordingDetector } from './correct.js';
import { DetectionSchedule } from './schedule.js';
import { editSets, editWarnings, ReviewRegions, reviewReasons } from './edits.js';
import { redactVideo, verifyInterval } from './stream.js';
import { videoGeometry } from './video.js';
import { DEFAULT_MOTION, type MotionParams } from './motion.js';
import { DEFAULT_VERIFY, emptyVerification, finish as finishVerification, SMALLEST_FACE, type Verification, Verifier, VerifierThread, type VerifyParams } from './verify.js';
import { DEFAULT_LIMITS, type ImageInfo, type MediaLimits, probeMedia, type VideoInfo } from './probe.js';
import { type RedactionReport, RedactionReportSchema } from './report.js';

export { MediaRejectedError, VerificationFailedError, MEDIA_REJECTION_CODES, type MediaRejectionCode } from './errors.js';
export { CudaUnavailableError } from './detect/blazeface.js';
export { type RedactionReport, RedactionReportSchema, toSummary } from './report.js';
export { DEFAULT_LIMITS, type MediaLimits, probeMedia } from './probe.js';
export { DECODE_SHARE_BYTES } from './stream.js';

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
  /** People (issue 12): person detection on a cadence; `{ enabled: false }` turns it off (faces and plates only). */
  persons?: Partial<PersonOptions>;
  /**
   * A second opinion (detect/second-opinion.ts) on faces of ≥ 24 px the scans find: a face track the
   * full-range model never confirms, standing still or found at most twice, on no person is not
   * obscured. Default on, with person detection (without persons there is no body to tell it by);
   * `false` for measurements.
   */
  secondOpinion?: boolean;
  /** What is obscured of people other than the subject: `heads` (default) or whole `bodies`. */
  bystanders?: BystanderMode;
  /** Track ids (from an earlier run's report of the same input and options) kept visible. */
  keepTracks?: readonly number[];
  /**
   * A reviewer's edits (the job's `edits`), applied after tracking: they never change track ids
   * (edits.ts). Echoed in the report's `edits` section; summary.editsVersion.
   */
  edits?: RedactionEdits;
  /**
   * The render may be reviewed by a person (the job's `reviewable`): when verification still fails
   * after the correction rounds, one more render holds every remaining violation obscured and is
   * written (report: verification.status 'failed', heldForReview, review.needed with
   * 'verifier-found-faces') instead of throwing VerificationFailedError with nothing written.
   */
  reviewable?: boolean;
  /** Evaluation hook: receives the per-frame regions as obscured (padded) and kept, before rendering. */
  onPlan?: (plan: { obscured: Rect[][]; kept: Rect[][] }) => void;
  /** Independent verification of the output (default on). */
  verify?: boolean;
  verifyParams?: Partial<VerifyParams>;
  /** Correction rounds after a failed verification (video; default DEFAULT_CORRECTION, maxRounds 0 = quarantine at once). */
  correction?: Partial<CorrectionParams>;
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
  const personOpts = { ...DEFAULT_PERSONS, ...options.persons, ...(options.bystanders ? { mode: options.bystanders } : {}) };
  if (!(personOpts.everySeconds >= PERSON_EVERY_SECONDS.min && personOpts.everySeconds <= PERSON_EVERY_SECONDS.max)) {
    throw new RangeError(`persons.everySeconds must be between ${PERSON_EVERY_SECONDS.min} and ${PERSON_EVERY_SECONDS.max} s, got ${personOpts.everySeconds}`);
  }
  const usePersons = personOpts.enabled && options.targets.includes('faces');
  // Person scans are timed in seconds; the cadence in frames follows the video's rate (below).
  let personEvery = 1;
  let personTrack = personTracking(tracking, personEvery);
  const { keep: keepTracks, asked: keepAsked, trackEdits } = editSets(options.keepTracks, options.edits);
  const motion = { ...DEFAULT_MOTION, ...options.motion };
  const correction = { ...DEFAULT_CORRECTION, ...options.correction };
  correction.maxRounds = Math.max(0, Math.min(DEFAULT_CORRECTION.maxRounds, Math.round(correction.maxRounds)));
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
  let personDetector: PersonFinder | undefined;
  let second: SecondOpinion | undefined;
  // Stills keep the detector in this thread (one picture: nothing to overlap with) and scan it twice (detectStill).
  let stillPersons: PersonDetector | undefined;
  try {
    checkAbort();
    const info = await probeMedia(inputPath, limits, signal);
    timings.probe = performance.now() - t0;
    if (info.kind === 'video') {
      personEvery = personCadence(personOpts.everySeconds, info.fps);
      personTrack = personTracking(tracking, personEvery, info.fps, personOpts.holdSeconds, personOpts.holdsTakenOver);
      Object.assign(tracking, timedEdgeRoll(tracking, info.fps));
    }
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
      // A look at a face stands for it until the next full scan.
      usePersons && options.secondOpinion !== false ? SecondOpinion.create(device, fullScanEvery).then((s) => (second = s)) : undefined,
      // Video: in a thread of its own, overlapping the face scans (stream.ts).
      usePersons ? (info.kind === 'video' ? PersonDetectorThread.create(undefined, device).then((d) => (personDetector = d)) : PersonDetector.create(undefined, device).then((d) => (personDetector = stillPersons = d))) : undefined,
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
    let planStats: { regionsObscured: number; framesWithRegions: number };
    /** Video: frames where a new shot begins. */
    let cuts: number[] | undefined;
    let reviewBoxes: ReviewRegions | undefined;
    let darkStill = false;

    let verification: RedactionReport['verification'] = {
      status: 'skipped',
      reason: 'verification disabled by the caller',
      framesChecked: 0,
      facesFound: 0,
      facesInsideObscured: 0,
      facesOnSubject: 0,
      violations: [],
    };
    const schedule = new DetectionSchedule(
      scanner,
      plateScanner,
      { cadence, fullScanEvery, plateCadence: plateParams.cadence, plateFullEvery, wantFaces, gated: motion.enabled && info.kind === 'video', motion },
      options.profile,
      second,
    );

    if (info.kind === 'image') {
      const ta = performance.now();
      const frame = await readImage(inputPath, info);
      const found = await schedule.faces(frame, 0);
      // A dark still gets a second look, denoised and in linear light (detect/dark-still.ts).
      darkStill = !!found && isDarkStill(frame);
      const faceTracks = buildTracks([found && darkStill ? await darkStillFaces(scanner, frame, found) : found], 'face', tracking, keepTracks, trackEdits);
      const plateTracks = buildTracks([schedule.isPlateFrame(0) ? await schedule.plates(frame, 0) : undefined], 'plate', tracking, keepTracks, trackEdits);
      tracks = [...faceTracks, ...plateTracks];
      assignRolls(tracks, frame.width, frame.height, tracking);
      const personTracks = stillPersons ? buildTracks([await detectStill(stillPersons, frame)], 'person', personTrack, keepTracks, trackEdits) : [];
      assignRolls(personTracks, frame.width, frame.height, personTrack);
      tracks.push(...personTracks);
      matches = applySubjectHints(tracks, options.subjects, 1, 1, tracking, personDetector ? personTrack : undefined);
      const plan = planFrames(tracks, 1, tracking, personDetector ? { p: personTrack, mode: personOpts.mode, frameHeight: frame.height } : undefined);
      if (options.edits?.boxes?.length) {
        reviewBoxes = new ReviewRegions(options.edits.boxes, 0, frame.width, frame.height);
        reviewBoxes.anchor(tracks.filter((t) => t.cls !== 'plate'));
        plan.obscure[0]!.push(...reviewBoxes.at(0, frame.width, frame.height));
      }
      planStats = { regionsObscured: plan.obscure[0]!.length, framesWithRegions: plan.obscure[0]!.length ? 1 : 0 };
      options.onPlan?.({ obscured: plan.obscure.map(pad), kept: plan.kept });
      timings.analyse = performance.now() - ta;
      const tr = performance.now();
      obscureFrame(frame, pad(plan.obscure[0]!), params);
      await writeImage(frame, info, tmpPath);
      timings.render = performance.now() - tr;
      if (verifier) {
        // The written file is read back and checked; what the verifier finds is obscured too and
        // the image written and checked again, for at most `maxRounds` rounds (as for video).
        const tv = performance.now();
        const obscured = pad(plan.obscure[0]!);
        const rounds: Rounds = [];
        const corrections: Correction[] = [];
        for (let round = 0; ; round++) {
          const acc = emptyVerification(verifier);
          await verifier.checkFrame(await readImage(tmpPath, { ...info }), 0, { obscured, kept: plan.kept[0]! }, acc);
          const v = finishVerification(acc);
          noteRound(rounds, round, v);
          if (v.status !== 'failed' || round >= correction.maxRounds) {
            verification = withRounds(v, rounds, corrections);
            if (v.status === 'failed' && options.reviewable) {
              // A review render: what the verifier still finds is obscured too, and the image written.
              const held = pad(v.violations.map((x) => x.box));
              obscureFrame(frame, held, params);
              await rm(tmpPath, { force: true });
              await writeImage(frame, info, tmpPath);
              verification = { ...verification, heldForReview: v.violations.length, heldRegions: held.length };
            }
            break;
          }
          corrections.push(...v.violations.map((x) => ({ round: round + 1, frame: 0, box: x.box, score: x.score })));
          const more = pad(v.violations.map((x) => x.box));
          obscured.push(...more);
          obscureFrame(frame, more, params);
          await rm(tmpPath, { force: true });
          await writeImage(frame, info, tmpPath);
        }
        timings.verify = performance.now() - tv;
      }
      out = { width: frame.width, height: frame.height, frames: 1, fps: 0, durationSeconds: 0, audio: false, contentType: `image/${info.format}` };
    } else {
      // Round 0 records its detections; when the verifier finds faces outside the obscured regions,
      // each becomes a correction and the video is rendered and verified again from the recorded
      // detections plus the corrections (correct.ts), for at most `maxRounds` rounds.
      const recorder = new RecordingDetector(schedule);
      // Person detections are kept by the source: a correction round replays them.
      const persons = personDetector && { source: new PersonSource(personDetector, personEvery, options.profile), tracking: personTrack, mode: personOpts.mode };
      const geo = videoGeometry(info);
      const pass = (detector: FrameDetector, held?: (f: number) => Rect[]) => {
        // A fresh set per pass: it counts what it covered in this render.
        reviewBoxes = options.edits?.boxes?.length ? new ReviewRegions(options.edits.boxes, info.fps, geo.width, geo.height) : undefined;
        return redactVideo({
          inputPath, tmpPath, info, options, tracking, plateCadence: plateParams.cadence, verifyParams, schedule: detector, verifierThread, persons, keepTracks, trackEdits, pad, obscure: params, timings, limits,
          ...(reviewBoxes ? { reviewBoxes } : {}),
          ...(held ? { held } : {}),
        });
      };
      let run = await pass(recorder);
      const rounds: Rounds = [];
      const corrections: Correction[] = [];
      if (run.verification) noteRound(rounds, 0, run.verification);
      for (let round = 1; run.verification?.status === 'failed' && round <= correction.maxRounds; round++) {
        checkAbort();
        corrections.push(...run.verification.violations.map((v) => ({ round, frame: v.frame, box: v.box, score: v.score })));
        await rm(tmpPath, { force: true });
        const every = verifyInterval(run.out.fps, verifyParams);
        run = await pass(new CorrectingDetector(recorder, scanner, corrections, every, cadence, correction, run.out.frames, options.profile));
        if (run.verification) noteRound(rounds, round, run.verification);
      }
      ({ out, tracks, matches, planStats, cuts } = run);
      if (run.verification) verification = withRounds(run.verification, rounds, corrections);
      if (run.verification?.status === 'failed' && options.reviewable) {
        // A review render: the same detections as the last round (so the same tracks and ids), and
        // every remaining violation held obscured over its window, directly (not through the
        // tracker, so no kept track can keep it visible). The last round's verdict stands.
        checkAbort();
        const remaining = run.verification.violations.map((x) => ({ round: rounds.length, frame: x.frame, box: x.box, score: x.score }));
        const every = verifyInterval(run.out.fps, verifyParams);
        const heldBy = new CorrectingDetector(recorder, scanner, remaining, every, cadence, correction, run.out.frames);
        await rm(tmpPath, { force: true });
        run = await pass(new CorrectingDetector(recorder, scanner, corrections, every, cadence, correction, run.out.frames, options.profile), (f) => heldBy.heldRegions(f));
        ({ out, tracks, matches, planStats, cuts } = run);
        verification = { ...verification, heldForReview: remaining.length, heldRegions: run.held };
      }

    }
    checkAbort();
    warnings.push(...subjectWarnings(matches!, tracks!, new Set(keepAsked)), ...editWarnings(options.edits, tracks!));
    if (reviewBoxes) warnings.push(...reviewBoxes.finalWarnings());
    const frames = out.frames;
    const reasons = reviewReasons({
      tracks: tracks!,
      matches: matches!,
      frames,
      keepAsked,
      edits: options.edits,
      verificationFailed: verification.status === 'failed',
      smallestVerified: verification.smallestFace?.verifier ?? SMALLEST_FACE.verifier,
    });
    const output = await sha256File(tmpPath);
    timings.total = performance.now() - t0;
    const models = [{ ...scanner.detector.model, role: 'face-detector' }];
    if (plateScanner) models.push({ ...plateScanner.model, role: 'plate-detector' });
    if (personDetector) models.push({ ...personDetector.model, role: 'person-detector' });
    if (second) models.push({ ...second.modelInfo, role: 'face-second-opinion' });
    const verifierModel = verifier?.model ?? verifierThread?.model;
    if (verifierModel) models.push({ ...verifierModel, role: 'verifier' });
    if (verifierModel && verifyParams.small) models.push({ ...(await loadModelFile(verifyParams.small.model === 'front' ? 'blazeface-front-128' : 'blazeface-back-256')).info, role: 'verifier-small-faces' });
    const people = tracks!.filter((t) => t.cls === 'person');
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
          ...flatScan(scan),
          cadence,
          fullScanEvery,
          motionGating: motion.enabled && info.kind === 'video',
          ...(motion.enabled && info.kind === 'video' ? { motionCell: motion.cell, motionThreshold: motion.threshold, motionGlobalShare: motion.globalShare, motionSafetyEvery: motion.safetyEvery, motionPlateSafetyEvery: motion.plateSafetyEvery } : {}),
          ...(plateScanner ? { plateCadence: plateParams.cadence, plateFullScanEvery: plateFullEvery, plateThreshold: plateParams.boxThreshold } : {}),
          ...(info.kind === 'image' ? { darkStillPass: darkStill, ...(stillPersons ? { stillPersonScales: STILL_PERSON_SCALES.join(',') } : {}) } : {}),
          personDetection: !!personDetector,
          ...(personDetector ? { personEverySeconds: personOpts.everySeconds, personCadence: personEvery, personInputLong: personDetector.params.inputLong, personThreshold: personDetector.params.scoreThreshold, personHoldSeconds: personOpts.holdSeconds, personHoldsTakenOver: personOpts.holdsTakenOver, bystanders: personOpts.mode } : {}),
          ...(second ? { secondOpinionMinSide: second.params.minSide, secondOpinionThreshold: second.params.threshold } : {}) },
        tracking: { ...tracking },
      },
      tracks: tracks!.map((t) => ({
        id: t.id,
        class: t.cls,
        firstFrame: t.frames[0]!,
        lastFrame: t.frames[t.frames.length - 1]!,
        detections: t.frames.length,
        obscured: t.kept ? [] : [t.cls === 'person' ? trackRange(t, frames, personTrack, people) : trackRange(t, frames, tracking)],
        kept: t.kept,
        ...(t.subjectHint !== undefined ? { subjectHint: t.subjectHint } : {}),
        boxes: keyframeBoxes(t, Math.max(1, Math.round(out.fps))),
      })),
      regionsObscured: planStats!.regionsObscured,
      framesWithRegions: planStats!.framesWithRegions,
      ...(cuts ? { cuts } : {}),
      subjects: {
        hints: options.subjects.length,
        matches: matches!,
        matched: options.subjects.length ? matches!.every((mt) => mt.outcome === 'kept') : null,
        ...(keepAsked.length ? { keepTracks: { asked: keepAsked, found: tracks!.filter((t) => keepAsked.includes(t.id)).map((t) => t.id) } } : {}),
      },
      verification,
      review: { needed: reasons.length > 0, reasons },
      ...(options.edits
        ? {
            edits: {
              version: options.edits.version,
              keepTracks: options.edits.keepTracks ?? [],
              obscureTracks: options.edits.obscureTracks ?? [],
              obscureBodies: options.edits.obscureBodies ?? [],
              boxes: reviewBoxes?.report() ?? [],
            },
          }
        : {}),
      timingsMs: roundAll(timings),
      warnings,
    } satisfies RedactionReport);
    if (verification.status === 'failed' && !options.reviewable) {
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
    await personDetector?.release();
    await second?.release();
  }
}

/** Warnings about subject hints that kept nobody and keep-track ids that name no track. */
function subjectWarnings(matches: readonly SubjectMatch[], tracks: readonly Track[], keep: ReadonlySet<number>): string[] {
  const warnings: string[] = [];
  const box = (b: Rect) => `${b.x},${b.y} ${b.w}×${b.h}`;
  for (const mt of matches) {
    if (mt.outcome === 'not-matched') warnings.push(`subject hint ${mt.hint} matched no person or face at frame ${mt.frame}; everyone was obscured (fail-safe)`);
    if (mt.outcome === 'ambiguous') {
      const what = mt.via === 'face' ? 'faces' : 'people';
      const listed = (mt.candidates ?? []).map((c) => `track ${c.trackId} (${c.class}) at ${box(c.box)}`).join('; ');
      warnings.push(`subject hint ${mt.hint} matched several ${what} at frame ${mt.frame}: ${listed}; everyone was obscured (fail-safe) — keep one with --keep-track <id>`);
    }
  }
  const missing = [...keep].filter((id) => !tracks.some((t) => t.id === id));
  if (missing.length) warnings.push(`keep-track id(s) ${missing.join(', ')} name no track in this run (ids hold for the same input and options); nothing was kept for them`);
  return warnings;
}

/** A track's detected boxes at keyframes: its first and last detection and the first in every `every` frames. */
function keyframeBoxes(t: Track, every: number): { frame: number; x: number; y: number; w: number; h: number }[] {
  const out: { frame: number; x: number; y: number; w: number; h: number }[] = [];
  let bucket = -1;
  t.frames.forEach((f, i) => {
    const b = Math.floor(f / every);
    if (b === bucket && i !== t.frames.length - 1) return;
    bucket = b;
    out.push({ frame: f, ...roundBox(t.boxes[i]!) });
  });
  return out;
}

/** The face scan's parameters as flat report entries (contrast normalisation spelled out). */
function flatScan({ contrast, ...rest }: FaceScanParams): Record<string, number | boolean> {
  const flat: Record<string, number | boolean> = { ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)), contrastNormalisation: !!contrast };
  if (contrast) Object.assign(flat, { contrastCell: contrast.cell, contrastClip: contrast.clip, contrastDarkBelow: contrast.darkBelow });
  return flat;
}

type Rounds = NonNullable<Verification['rounds']>;

function noteRound(rounds: Rounds, round: number, v: Verification): void {
  rounds.push({ round, status: v.status === 'failed' ? 'failed' : 'passed', framesChecked: v.framesChecked, violations: v.violations.length });
}

/** The last round's verification with the rounds, the corrections and (when it failed) the frames named. */
function withRounds(v: Verification, rounds: Rounds, corrections: readonly Correction[]): Verification {
  const failed = v.status === 'failed';
  return {
    ...v,
    ...(failed ? { reason: `${v.violations.length} face(s) still found outside every obscured region after ${rounds.length - 1} correction round(s), at frames ${nameFrames(v.violations.map((x) => x.frame))}` } : {}),
    smallestFace: SMALLEST_FACE,
    rounds,
    corrections: corrections.map((c) => ({ ...c, box: roundBox(c.box) })),
    ...(failed ? { failedFrames: [...new Set(v.violations.map((x) => x.frame))].sort((a, b) => a - b) } : {}),
  };
}

function roundBox(r: Rect): Rect {
  return { x: Math.round(r.x), y: Math.round(r.y), w: Math.round(r.w), h: Math.round(r.h) };
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
