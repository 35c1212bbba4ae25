import { weightedNms, type SquareRegion } from './detect/blazeface.js';
import { FaceScanner, onlySmallFaces, plausibleFaces, scanRegions } from './detect/faces.js';
import { SECOND_OPINION, SecondOpinion } from './detect/second-opinion.js';
import { ChangeGate, DEFAULT_MOTION, LumaCells, SmallPassPlanner } from './motion.js';
import type { Device } from './detect/blazeface.js';
import type { ContrastParams } from './detect/contrast.js';
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
  /** Frame px per 256 px of model input in a finer pass of the full-range model (absent: none). */
  smallTile?: number;
  /** Local contrast normalisation of dark regions before inference (detect/contrast.ts; absent: off). */
  contrast?: ContrastParams;
  /** The small-face pass (absent: none): see SmallFacePass. */
  small?: SmallFacePass;
}

/**
 * The verifier's small-face pass: a model scanning the output upsampled (`tile` frame px per model
 * input side) where the picture changed since that area was last scanned this way (motion.ts's
 * change map over the sampled frames: a face that stands still was checked when it arrived, and
 * any change — a redaction ending, a pixelation shifting — makes it checked again), and everywhere
 * every `safetyEvery` sampled frames; a global change (≥ half the picture: pan, cut, exposure) scans
 * it all.
 */
export interface SmallFacePass {
  model: 'front' | 'back';
  tile: number;
  scoreThreshold: number;
  contrast?: ContrastParams;
  safetyEvery: number;
  /**
   * Changed content that is a moved copy of the previous sample's is not searched again (motion.ts
   * SmallPassPlanner). Off by default: on the generated low-light clip the pass over small areas
   * (80–200 px, little context around) found sensor noise at scores 0.61–0.68 that the same pass over
   * the whole frame did not, different ones each correction round, and the clip was quarantined
   * (`npm run eval`: 11/12 verified instead of 12/12). The engine's pass uses it (a false alarm
   * there costs a small obscured box, not a quarantine).
   */
  compensate?: boolean;
  /**
   * What the pass finds of at least this side (px) counts only when the full-range model confirms it
   * on a crop around it (detect/second-opinion.ts, its threshold): the small pass is there for faces
   * too small for that model. On vtest.avi the pass (0.60–0.66) found a signpost and a roof line at
   * 31–42 px in every round once the engine no longer obscured them; the full-range model scored
   * ≤ 0.36 there. From 24 px (the engine's bound) it also dropped dim real faces of 24–27 px:
   * reach.spec.ts's verifier recall 0.969 → 0.875; from 28 px 0.938; from 30 px (the default, the
   * smallest that loses none there) and 32 px 0.969. Absent: no confirmation.
   */
  confirmFrom?: number;
}

/**
 * Smallest face side (px) found reliably — ≥ 90 % of the real faces of every size from there up
 * (2 px bins), good and dim light together (`npx tsx eval/bands.ts`: real photos scaled down whole;
 * motion-blurred faces are found less often and are reported per band there). Measured: engine
 * full scan 18 px, verifier 24 px. The engine claims only what the verifier can check — 24 px — so
 * the verifier reaches at least as small as the engine claims. Stated in every report
 * (`verification.smallestFace`); reach.spec.ts checks both on real photos.
 */
export const SMALLEST_FACE = { engine: 24, verifier: 24 };

/**
 * The small-face pass: BlazeFace short-range at 80 frame px per 128 input px, score ≥ 0.6 (at 0.4–0.5
 * it found windows, a lamp post and a tripod in vtest.avi from render to render, and real clips were
 * quarantined after 2 rounds), without contrast normalisation (with it, sensor noise in the generated
 * low-light clip became faces that survived 2 rounds; the 20 px claim holds without it, reach.spec.ts).
 */
export const DEFAULT_VERIFY: VerifyParams = {
  sampleFps: 2,
  scoreThreshold: 0.75,
  tileSize: 384,
  minCovered: 0.5,
  small: { model: 'front', tile: 80, scoreThreshold: 0.6, safetyEvery: 4, confirmFrom: 30 },
};

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
  private gate?: { cells: LumaCells; gate: ChangeGate; tiles: SquareRegion[]; width: number; height: number; planner: SmallPassPlanner };
  private sampleIndex = 0;

  private constructor(
    private readonly scanner: FaceScanner,
    readonly params: VerifyParams,
    private readonly small?: FaceScanner,
    private readonly confirm?: SecondOpinion,
  ) {}

  static async create(params: VerifyParams, device: Device): Promise<Verifier> {
    const scanner = await FaceScanner.create(
      { tileSize: params.tileSize, tileOverlap: 0.25, scoreThreshold: params.scoreThreshold, smallTile: params.smallTile, contrast: params.contrast, smallContrast: !!params.contrast },
      device,
      'back',
    );
    const s = params.small;
    const small = s
      ? await FaceScanner.create({ tileSize: s.tile, tileOverlap: 0.25, scoreThreshold: s.scoreThreshold, contrast: s.contrast }, device, s.model).catch(async (err: unknown) => {
          await scanner.release();
          throw err;
        })
      : undefined;
    const confirm = s?.confirmFrom
      ? await SecondOpinion.create(device, 0, { ...SECOND_OPINION, minSide: s.confirmFrom }).catch(async (err: unknown) => {
          await scanner.release();
          await small?.release();
          throw err;
        })
      : undefined;
    return new Verifier(scanner, params, small, confirm);
  }

  get model() {
    return this.scanner.detector.model;
  }

  /** The small-face pass's model, when it has one. */
  get smallModel() {
    return this.small?.detector.model;
  }

  async release(): Promise<void> {
    await this.scanner.release();
    await this.small?.release();
    await this.confirm?.release();
  }

  /** Faces the verifier's models find in a frame (no judgement). Frames must come in order (video: the sampled frames). */
  async scan(frame: Frame): Promise<(Rect & { score: number })[]> {
    const areas = this.small ? this.smallAreas(frame) : [];
    const found = await this.scanner.scan(frame);
    if (!areas.length) return found;
    // The small-face pass adds faces up to its tile's side, never parts of a big one.
    let more = onlySmallFaces(await this.small!.scanPlan(frame, { whole: false, areas, crops: [] }), found, this.params.small!.tile);
    if (this.confirm) more = await this.confirm.confirmed(frame, more);
    return plausibleFaces(weightedNms([...found, ...more], 0.3), Math.min(this.params.scoreThreshold, this.params.small!.scoreThreshold));
  }

  /** Where the small-face pass runs on this frame (see SmallFacePass). */
  private smallAreas(frame: Frame): Rect[] {
    const p = this.params.small!;
    if (!this.gate || this.gate.width !== frame.width || this.gate.height !== frame.height) {
      const cells = new LumaCells(frame.width, frame.height, DEFAULT_MOTION.cell);
      const tiles = scanRegions(frame.width, frame.height, { tileSize: 160, tileOverlap: 0.25 }).slice(1);
      if (!tiles.length) tiles.push({ x: 0, y: 0, size: Math.max(frame.width, frame.height) });
      const gate = new ChangeGate(cells, tiles.map((t) => ({ x: t.x, y: t.y, w: t.size, h: t.size })), DEFAULT_MOTION.threshold, p.safetyEvery, DEFAULT_MOTION.globalShare);
      this.gate = { cells, gate, tiles, width: frame.width, height: frame.height, planner: new SmallPassPlanner(frame.width, frame.height, p.safetyEvery, p.safetyEvery) };
    }
    const g = this.gate;
    const n = this.sampleIndex++;
    // Content that is a moved copy of the previous sample's (a pan, rigid motion) was searched there
    // (motion.ts SmallPassPlanner); every part is searched at least every `safetyEvery` samples.
    if (p.compensate) return g.planner.plan(frame, n).areas;
    g.cells.update(frame, n);
    const d = g.gate.select(n);
    g.gate.commit(n, d.scan);
    return this.small!.areasFor(g.tiles.filter((_, i) => d.scan[i]), frame.width, frame.height);
  }

  async checkFrame(frame: Frame, frameIndex: number, regions: FrameRegions, acc: Verification): Promise<void> {
    record(acc, await this.scan(frame), frameIndex, regions, this.params);
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
