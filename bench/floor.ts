/**
 * `npm run bench -- --floor`: the fastest the full redaction could possibly be on this machine with
 * the engine's current models and safety parameters, measured, to judge the speed target against.
 *
 * It times, one thread each and with nothing else running, only the work a redaction cannot skip:
 * one decode of the input, the x264 encode, one decode of the output (verification reads what was
 * encoded), and the scheduled whole-frame scans — face full scans, plate full scans (both scaled by
 * the share motion gating actually scanned in the run) and the verifier's sampled frames — with
 * the engine's own scanners (preprocessing included). Tracking crops, obscuring, frame copies and
 * every wait are left out, and the sum is spread perfectly over all cores: a lower bound on the
 * redaction's time, so `bare / floor` is an upper bound on the ratio the bench can ever print here.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { FaceScanner, DEFAULT_FACE_SCAN } from '../worker/engine/detect/faces.js';
import { DEFAULT_PLATES, PlateScanner } from '../worker/engine/detect/plates.js';
import { ffmpegPath } from '../worker/engine/ffmpeg.js';
import type { Frame } from '../worker/engine/frame.js';
import { probeMedia } from '../worker/engine/probe.js';
import { DEFAULT_VERIFY, Verifier } from '../worker/engine/verify.js';
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

  // Scans on a real frame of the clip (the middle one), with the engine's scanners, one thread each.
  let frame: Frame | undefined;
  let i = 0;
  for await (const f of decodeVideo(x.clipPath, info)) if (i++ === Math.floor(x.frames / 2)) frame = f;
  const faces = await FaceScanner.create(DEFAULT_FACE_SCAN);
  const plates = await PlateScanner.create(DEFAULT_PLATES);
  const verifier = await Verifier.create(DEFAULT_VERIFY, 'cpu');
  try {
    const faceScan = await median(5, () => faces.scan(frame!));
    const plateScan = await median(5, () => plates.scan(frame!));
    const verifyScan = await median(5, () => verifier.scan(frame!));
    const p = x.profile;
    // Shares of the full-scan work motion gating really ran in the measured redaction.
    const faceShare = p.gateFaceTilesAll ? (p.gateFaceTilesScanned ?? 0) / p.gateFaceTilesAll : 1;
    const faceFull = (p.faceFullFrames ?? 0) * faceShare;
    const plateFull = p.gatePlateArea ?? p.plateFullFrames ?? 0;
    const seconds = {
      decodeInput: decodeIn,
      encode,
      decodeOutput: decodeOut,
      faceFullScans: faceFull * faceScan,
      plateFullScans: plateFull * plateScan,
      verifierScans: x.framesVerified * verifyScan,
    };
    const cpuSeconds = Object.values(seconds).reduce((a, b) => a + b, 0);
    const cores = cpus().length;
    return {
      seconds: { ...seconds, perFaceFullScan: faceScan, perPlateFullScan: plateScan, perVerifierScan: verifyScan, faceFullScansRun: faceFull, plateFullScansRun: plateFull },
      cpuSeconds,
      wallSeconds: cpuSeconds / cores,
      cores,
    };
  } finally {
    await faces.release();
    await plates.release();
    await verifier.release();
  }
}
