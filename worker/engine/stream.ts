import type { FrameDetector } from './correct.js';
import { AbortedError } from './errors.js';
import { type Frame, frameByteLength, type Rect } from './frame.js';
import type { RedactOptions, RedactProgress } from './index.js';
import { obscureFrame, type ObscureParams } from './obscure.js';
import { type MediaLimits, probeMedia, type VideoInfo } from './probe.js';
import type { BystanderMode, PersonSource } from './persons-track.js';
import type { ReviewRegions } from './edits.js';
import { ShotCuts } from './cuts.js';
import { assignRolls, StreamPlanner, type SubjectMatch, type Track, TrackBuilder, type TrackEdits, type TrackParams } from './track.js';
import { finish as finishVerification, record, type Verification, type VerifierThread, type VerifyParams } from './verify.js';
import { decodeH264Stream, decodeVideo, openEncoder, videoGeometry } from './video.js';

/**
 * Memory for decoded frames held between the analysis and the renderer when one decode feeds both
 * (see redactVideo): 256 MiB holds ~7 s of 720p or ~3 s of 1080p, enough for the tracker's lag;
 * beyond it (a hint far into the clip, 4K) the renderer decodes the input a second time instead.
 */
export const DECODE_SHARE_BYTES = 256 * 1024 * 1024;

export interface VideoPass {
  inputPath: string;
  /** The temporary output (renamed into place by the caller on success). */
  tmpPath: string;
  info: VideoInfo;
  options: RedactOptions;
  tracking: TrackParams & { edgeRollMax: number };
  plateCadence: number;
  verifyParams: VerifyParams;
  /** Where detections come from: the detection schedule, or a correction round's replay (correct.ts). */
  schedule: FrameDetector;
  verifierThread?: VerifierThread;
  /** Person detection and tracks (persons-track.ts); absent: faces and plates only. */
  persons?: { source: PersonSource; tracking: TrackParams & { edgeRollMax: number }; mode: BystanderMode };
  /** Track ids kept visible from their start (an earlier run's report). */
  keepTracks?: ReadonlySet<number>;
  /** A reviewer's track edits (obscured tracks and bodies; edits.ts). */
  trackEdits?: TrackEdits;
  /** A reviewer's boxes for this pass (a fresh ReviewRegions per pass: it counts what it covered). */
  reviewBoxes?: ReviewRegions;
  /** Regions obscured directly at frame f besides the plan (a review render's held violations). */
  held?: (f: number) => Rect[];
  /** Pads an obscured box by the margin. */
  pad: (rs: Rect[]) => Rect[];
  obscure: ObscureParams;
  timings: { analyse: number; render: number; verify: number };
  limits: MediaLimits;
}

export interface VideoPassResult {
  out: { width: number; height: number; frames: number; fps: number; durationSeconds: number; audio: boolean; contentType: string };
  tracks: Track[];
  matches: SubjectMatch[];
  planStats: { regionsObscured: number; framesWithRegions: number };
  /** Undefined when verification is off. */
  verification?: Verification;
  /** Held regions obscured (a review render). */
  held: number;
  /** Frames where a new shot begins (hard cuts; no track crosses one). */
  cuts: number[];
}

/**
 * A video in one streaming pass: analysis (faces here, plates in their thread), render (obscure and
 * encode, trailing the analysis) and verification (the encoded stream, decoded at ~2 fps, checked by
 * the verifier thread) run concurrently; the first failure stops all three.
 */
export async function redactVideo(v: VideoPass): Promise<VideoPassResult> {
  const { inputPath, tmpPath, info, options, tracking, plateCadence, verifyParams, schedule, verifierThread, pad, timings, limits } = v;
  const params = v.obscure;
  const signal = options.signal;
  const prof = options.profile;
  let matches: SubjectMatch[] | undefined;
  const geo = videoGeometry(info);
  // The renderer trails the analysis by a bounded number of frames (the tracker's lag, and past
  // every subject hint), after which a frame's regions are final; the encoder (a separate
  // process) works while the detectors run. Normally one decode feeds both: the analysis hands
  // each decoded frame on to the renderer through a bounded queue (`held`, at most `window`
  // frames — a few seconds of video, so memory does not depend on the duration). When that
  // window would not fit in `DECODE_SHARE_BYTES` (a subject hint far into the clip, very large
  // frames) a second decoder feeds the renderer instead and nothing is held: it waits on its pipe.
  const tr = performance.now();
  const keep = v.keepTracks;
  const edits = v.trackEdits;
  const persons = v.persons && { builder: new TrackBuilder('person', v.persons.tracking, keep, edits), p: v.persons.tracking, mode: v.persons.mode };
  const planner = new StreamPlanner(new TrackBuilder('face', tracking, keep, edits), new TrackBuilder('plate', tracking, keep, edits), tracking, geo.width, geo.height, persons);
  const lag = planner.lag();
  // Shot cuts (cuts.ts): every track ends at a cut, so no track — and no kept subject — is carried onto someone else.
  const shots = new ShotCuts();
  const plateCuts: number[] = [];
  // Review boxes are anchored on the tracks at their at-frame: the renderer waits for those frames as for hint frames.
  const hintFrames = [...options.subjects.map((h) => Math.round(h.atSeconds * geo.fps)), ...(v.reviewBoxes?.atFrames() ?? [])];
  // The analysis may be ahead of the renderer by the lag (or the last hint) plus the plate
  // pipeline's slack (3 plate frames) before the renderer can take its next frame.
  const window = Math.max(0, ...hintFrames) + lag + 3 * plateCadence + 2;
  const shared = window * frameByteLength('yuv420p', geo.width, geo.height) <= (options.decodeShareBytes ?? DECODE_SHARE_BYTES);
  const held: Frame[] = [];
  let space: (() => void) | undefined;
  if (prof) {
    const key = shared ? 'decodeShared' : 'decodeTwice';
    prof[key] = (prof[key] ?? 0) + 1;
  }
  const verifyEvery = verifyInterval(geo.fps, verifyParams);
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
      if (shots.push(f, frame)) {
        planner.faces.cut(f);
        persons?.builder.cut(f);
        plateCuts.push(f); // applied in the plate pipeline, in frame order
      }
      // The person scan (in its thread) runs while this thread scans the frame for faces.
      const personScan = persons && v.persons!.source.at(frame, f);
      personScan?.catch(() => undefined); // awaited below; a face scan failing first must not leave it unhandled
      const faceDets = await schedule.faces(frame, f);
      if (faceDets) planner.faces.push(f, faceDets);
      const personDets = await personScan;
      if (personDets) persons!.builder.push(f, personDets);
      if (schedule.isPlateFrame(f)) {
        const done = plateChain.then(async () => {
          const dets = await schedule.plates(frame, f);
          while (plateCuts.length && plateCuts[0]! <= f) planner.plates.cut(plateCuts.shift()!);
          planner.plates.push(f, dets);
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
  let heldCount = 0;
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
        if (!matches) {
          matches = planner.applyHints(options.subjects, geo.fps, total ?? Number.MAX_SAFE_INTEGER);
          v.reviewBoxes?.anchor([...planner.faces.all(), ...(persons?.builder.all() ?? [])]);
        }
        const plan = planner.at(m);
        const kept = plan.kept;
        const held = v.held?.(m) ?? [];
        heldCount += held.length;
        const extra = [...(v.reviewBoxes?.at(m, geo.width, geo.height) ?? []), ...held];
        const obscure = extra.length ? [...plan.obscure, ...extra] : plan.obscure;
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
    if (signal?.aborted) throw new AbortedError();
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
  const tracks = [...faceTracks, ...plateTracks];
  assignRolls(tracks, geo.width, geo.height, tracking);
  if (persons) {
    const personTracks = persons.builder.all();
    assignRolls(personTracks, geo.width, geo.height, persons.p);
    tracks.push(...personTracks);
  }
  if (fullPlan) options.onPlan?.(fullPlan);
  let verification: Verification | undefined;
  if (verifierThread) {
    const expected = Math.ceil(n / verifyEvery);
    if (acc.framesChecked !== expected) throw new Error(`verification checked ${acc.framesChecked} of the output's ${expected} sampled frames`);
    const outInfo = await probeMedia(tmpPath, { ...limits, maxBytes: Number.MAX_SAFE_INTEGER }, signal);
    if (outInfo.kind !== 'video') throw new Error('encoded output is not a video');
    acc.violations.sort((a, b) => a.frame - b.frame);
    verification = finishVerification(acc);
  }
  const out = {
    width: geo.width,
    height: geo.height,
    frames: n,
    fps: geo.fps,
    durationSeconds: n / geo.fps,
    audio: options.keepAudio && info.hasAudio,
    contentType: 'video/mp4',
  };
  return { out, tracks, matches: matches!, planStats: { regionsObscured, framesWithRegions }, verification, held: heldCount, cuts: [...shots.cuts] };
}

/** The verifier checks every n-th output frame (≈ sampleFps per second). */
export function verifyInterval(fps: number, p: Pick<VerifyParams, 'sampleFps'>): number {
  return Math.max(1, Math.round(fps / p.sampleFps));
}

function progress(options: RedactOptions, phase: RedactProgress['phase'], frame: number, totalFrames: number | undefined, since: number): void {
  if (!options.onProgress) return;
  const secs = (performance.now() - since) / 1000;
  options.onProgress({ phase, frame, totalFrames, fps: secs > 0 ? frame / secs : 0 });
}
