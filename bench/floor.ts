/**
 * `npm run bench -- --floor`: the fastest the full redaction could possibly be on this machine with
 * the engine's current models and safety parameters, measured, to judge the speed target against.
 *
 * It times, one thread each and with nothing else running, only the work a redaction cannot skip:
 * one decode of the input, the x264 encode, one decode of the output (verification reads what was
 * encoded), and the scheduled scans with the engine's own scanners (preprocessing included): face
 * full scans — the whole-frame and fine passes scaled by the share of tiles motion gating scanned,
 * the upsampled small-face pass by the share of its units the run searched — plate full scans
 * (scaled likewise), person scans, and the verifier's sampled frames timed in order (its small-face
 * pass searches what changed since the previous sample, so one frame timed again would skip it).
 * Tracking crops, second opinions, obscuring, frame copies and every wait are left out, and the
 * sum is spread perfectly over all cores: a lower bound on the redaction's time, so `bare / floor`
 * bounds the ratio the bench can ever print here, and `duration / floor` the real-time factor.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { FaceScanner, DEFAULT_FACE_SCAN } from '../worker/engine/detect/faces.js';
import { DEFAULT_PLATES, PlateScanner } from '../worker/engine/detect/plates.js';
import { ffmpegPath } from '../worker/engine/ffmpeg.js';
import type { Frame, Rect } from '../worker/engine/frame.js';
import { PersonDetector } from '../worker/engine/detect/persons.js';
import { probeMedia } from '../worker/engine/probe.js';
import { DEFAULT_VERIFY, Verifier } from '../worker/engine/verify.js';
import { verifyInterval } from '../worker/engine/stream.js';
import { decodeVideo, h264OutputArgs } from '../worker/engine/video.js';

export interface FloorInput {
  clipPath: string;
  redactedPath: string;
  dir: string;
  frames: number;
  /** The run's profile (bench) and verification count. */
  profile: Record<string, number>;
  framesVerified: number;
}

export interface Floor {
  seconds: Record<string, number>;
  cpuSeconds: number;
  wallSeconds: number;
  cores: number;
}

async function ffmpegSeconds(args: string[]): Promise<number> {
  const t0 = performance.now();
  const p = spawn(ffmpegPath(), ['-nostdin', '-v', 'error', '-y', ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  const [code] = (await once(p, 'close')) as [number];
  if (code !== 0) throw new Error(`ffmpeg ${args.join(' ')} failed`);
  return (performance.now() - t0) / 1000;
}

/** Median of `n` timed runs (after one warm-up). */
async function median(n: number, work: () => Promise<unknown>): Promise<number> {
  await work();
  const t: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await work();
    t.push((performance.now() - t0) / 1000);
  }
  return t.sort((a, b) => a - b)[Math.floor(n / 2)]!;
}

export async function measureFloor(x: FloorInput): Promise<Floor> {
  const info = await probeMedia(x.clipPath);
  if (info.kind !== 'video') throw new Error('floor: not a video');
  const raw = join(x.dir, 'floor.yuv');
  // Codecs, single-threaded, so wall time is CPU time (`-threads 1` before an input sets its
  // decoder's threads, before the output the encoder's).
  const decodeIn = await ffmpegSeconds(['-threads', '1', '-i', x.clipPath, '-map', '0:v:0', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', raw]);
  const encode = await ffmpegSeconds([
    '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${info.width}x${info.height}`, '-r', String(info.fps), '-i', raw,
    '-threads', '1', ...h264OutputArgs('veryfast', 20), join(x.dir, 'floor.mp4'),
  ]);
  const decodeOut = await ffmpegSeconds(['-threads', '1', '-i', x.redactedPath, '-map', '0:v:0', '-f', 'null', '-']);
  await rm(raw, { force: true });

  // Scans on real frames of the clip, with the engine's scanners, one thread each: the middle frame,
  // and for the verifier the samples it takes (every `every` frames) from the middle on, in order.
  const every = verifyInterval(info.fps, DEFAULT_VERIFY);
  const mid = Math.floor(x.frames / 2);
  let frame: Frame | undefined;
  const samples: Frame[] = [];
  let i = 0;
  for await (const f of decodeVideo(x.clipPath, info)) {
    if (i === mid) frame = f;
    if (i >= mid && (i - mid) % every === 0 && samples.length < VERIFIER_SAMPLES + 1) samples.push(f);
    i++;
  }
  if (!frame) throw new Error('floor: the clip has fewer frames than declared');
  while (samples.length < VERIFIER_SAMPLES + 1) samples.push(samples.at(-1) ?? frame);
  const faces = await FaceScanner.create(DEFAULT_FACE_SCAN);
  const plates = await PlateScanner.create(DEFAULT_PLATES);
  const persons = await PersonDetector.create();
  const verifier = await Verifier.create(DEFAULT_VERIFY, 'cpu');
  try {
    const all: Rect[] = [{ x: 0, y: 0, w: frame.width, h: frame.height }];
    const faceFine = await median(5, () => faces.scanPlan(frame, { whole: true, areas: all, crops: [] }));
    const faceSmall = await median(5, () => faces.scanPlan(frame, { whole: false, areas: [], crops: [], small: all }));
    const plateScan = await median(5, () => plates.scan(frame));
    const personScan = await median(5, () => persons.detect(frame));
    const verifyScan = await inOrder(samples, (f) => verifier.scan(f));
    const p = x.profile;
    // Shares of the full-scan work motion gating really ran in the measured redaction.
    const faceShare = p.gateFaceTilesAll ? (p.gateFaceTilesScanned ?? 0) / p.gateFaceTilesAll : 1;
    const smallShare = p.smallUnitsAll ? (p.smallUnitsScanned ?? 0) / p.smallUnitsAll : 1;
    const faceFullRun = p.faceFullFrames ?? 0;
    const plateFull = p.gatePlateArea ?? p.plateFullFrames ?? 0;
    const seconds = {
      decodeInput: decodeIn,
      encode,
      decodeOutput: decodeOut,
      faceFullScans: faceFullRun * (faceShare * faceFine + smallShare * faceSmall),
      plateFullScans: plateFull * plateScan,
      personScans: (p.personFrames ?? 0) * personScan,
      verifierScans: x.framesVerified * verifyScan,
    };
    const cpuSeconds = Object.values(seconds).reduce((a, b) => a + b, 0);
    const cores = cpus().length;
    return {
      seconds: {
        ...seconds,
        perFaceFine: faceFine,
        perFaceSmall: faceSmall,
        perPlateFullScan: plateScan,
        perPersonScan: personScan,
        perVerifierScan: verifyScan,
        faceShare,
        smallShare,
        faceFullScansRun: faceFullRun,
        plateFullScansRun: plateFull,
      },
      cpuSeconds,
      wallSeconds: cpuSeconds / cores,
      cores,
    };
  } finally {
    await faces.release();
    await plates.release();
    await persons.release();
    await verifier.release();
  }
}

/** Verifier samples timed (after the first, which has no previous sample to compare with). */
const VERIFIER_SAMPLES = 6;

/** Median time of `work` over frames[1..] in order, after frames[0] as a warm-up. */
async function inOrder(frames: readonly Frame[], work: (f: Frame) => Promise<unknown>): Promise<number> {
  await work(frames[0]!);
  const t: number[] = [];
  for (const f of frames.slice(1)) {
    const t0 = performance.now();
    await work(f);
    t.push((performance.now() - t0) / 1000);
  }
  return t.sort((a, b) => a - b)[Math.floor(t.length / 2)]!;
}
