import { FaceScanner } from './detect/faces.js';
import type { Device } from './detect/blazeface.js';
import { coverage, type Frame, type Rect } from './frame.js';
import type { RedactionReport } from './report.js';
import { EngineThread } from './thread-rpc.js';
import type { ModelInfo } from './models.js';

/**
 * Independent check of a redacted output: a different model (BlazeFace full-range, 256×256 input)
 * scans sampled frames of the *encoded output*; every face it finds must lie inside an obscured
 * region or on the kept subject. Anything else is a violation and fails the job.
 */
export interface VerifyParams {
  sampleFps: number;
  scoreThreshold: number;
  tileSize: number;
  /** Share of a found face that must be covered by obscured regions to count as obscured. */
  minCovered: number;
}

export const DEFAULT_VERIFY: VerifyParams = { sampleFps: 2, scoreThreshold: 0.75, tileSize: 384, minCovered: 0.5 };

export type Verification = RedactionReport['verification'];

export interface FrameRegions {
  obscured: Rect[];
  kept: Rect[];
}

export function judgeFrame(found: (Rect & { score: number })[], regions: FrameRegions, p: VerifyParams) {
  let inside = 0;
  let onSubject = 0;
  const violations: (Rect & { score: number })[] = [];
  for (const f of found) {
    const covered = regions.obscured.reduce((m, r) => Math.max(m, coverage(f, r)), 0);
    if (covered >= p.minCovered) inside++;
    else if (regions.kept.some((k) => coverage(f, k) >= 0.3)) onSubject++;
    else violations.push(f);
  }
  return { inside, onSubject, violations };
}

export class Verifier {
  private constructor(
    private readonly scanner: FaceScanner,
    readonly params: VerifyParams,
  ) {}

  static async create(params: VerifyParams, device: Device): Promise<Verifier> {
    const scanner = await FaceScanner.create({ tileSize: params.tileSize, tileOverlap: 0.25, scoreThreshold: params.scoreThreshold }, device, 'back');
    return new Verifier(scanner, params);
  }

  get model() {
    return this.scanner.detector.model;
  }

  release(): Promise<void> {
    return this.scanner.release();
  }

  /** Faces the verifier's model finds in a frame (no judgement). */
  scan(frame: Frame): Promise<(Rect & { score: number })[]> {
    return this.scanner.scan(frame);
  }

  async checkFrame(frame: Frame, frameIndex: number, regions: FrameRegions, acc: Verification): Promise<void> {
    record(acc, await this.scanner.scan(frame), frameIndex, regions, this.params);
  }
}

/** Adds one checked frame to the tally. */
export function record(acc: Verification, found: (Rect & { score: number })[], frameIndex: number, regions: FrameRegions, p: VerifyParams): void {
  const j = judgeFrame(found, regions, p);
  acc.framesChecked++;
  acc.facesFound += found.length;
  acc.facesInsideObscured += j.inside;
  acc.facesOnSubject += j.onSubject;
  for (const v of j.violations) {
    if (acc.violations.length < 50) acc.violations.push({ frame: frameIndex, box: roundRect(v), score: Math.round(v.score * 1000) / 1000 });
  }
}

/**
 * The verifier's model in a worker thread (see verify-thread.ts). `scan` transfers the frame's
 * pixels to the thread (the caller must not touch the buffer afterwards).
 */
export class VerifierThread {
  private constructor(
    private readonly thread: EngineThread,
    readonly model: ModelInfo,
    readonly params: VerifyParams,
  ) {}

  static async create(params: VerifyParams, device: Device, model: ModelInfo): Promise<VerifierThread> {
    return new VerifierThread(await EngineThread.start('verify-thread', { params, device }, 'verification'), model, params);
  }

  scan(frame: Frame): Promise<(Rect & { score: number })[]> {
    return this.thread.call('scan', frame, undefined, true);
  }

  release(): Promise<void> {
    return this.thread.release();
  }
}

export function emptyVerification(v: Verifier): Verification {
  return { status: 'passed', model: v.model.name, sampleFps: v.params.sampleFps, framesChecked: 0, facesFound: 0, facesInsideObscured: 0, facesOnSubject: 0, violations: [] };
}

export function finish(acc: Verification): Verification {
  if (acc.violations.length > 0) {
    return { ...acc, status: 'failed', reason: `${acc.violations.length} face(s) found outside every obscured region (first at frame ${acc.violations[0]!.frame})` };
  }
  return acc;
}

function roundRect(r: Rect): Rect {
  return { x: Math.round(r.x), y: Math.round(r.y), w: Math.round(r.w), h: Math.round(r.h) };
}
