import { weightedNms } from './detect/blazeface.js';
import type { FaceScanner } from './detect/faces.js';
import type { SecondOpinion } from './detect/second-opinion.js';
import type { PlateDetector } from './detect/plate-detector.js';
import { coverage, type Frame, padRect, type Rect } from './frame.js';
import { ChangeGate, LumaCells, type MotionParams, plateCropGrid, plateCropsFor, SmallPassPlanner } from './motion.js';
import type { Detection } from './track.js';

export interface ScheduleParams {
  /** Faces: detection on every n-th frame; a full scan every `fullScanEvery` frames. */
  cadence: number;
  fullScanEvery: number;
  /** Plates: detection on every n-th frame; a full scan every `plateFullEvery` frames. */
  plateCadence: number;
  plateFullEvery: number;
  wantFaces: boolean;
  /** Motion gating of the full scans (video only). */
  gated: boolean;
  motion: MotionParams;
}

interface Recent {
  box: Rect;
  age: number;
}

/**
 * What runs on which frame: a full scan every `fullScanEvery` frames, and in between a focused scan
 * around every face seen recently (new faces met at the next full scan are covered backwards by the
 * tracker's pre-roll, which is at least `fullScanEvery` frames); plates likewise on their own cadence.
 *
 * Motion gating (video only): on a full-scan frame only the tiles/plate crops whose content changed
 * since they were last scanned run (plus the safety net and forced regions); known faces and plates
 * keep their focused crops. Faces and plates keep separate change maps: the plate pipeline runs
 * behind the face pipeline (in its own thread), and each map must see its frames in order. Calls
 * for faces must come in frame order, and so must calls for plates.
 */
export class DetectionSchedule {
  private recent: Recent[] = [];
  private recentPlates: Recent[] = [];
  private gates:
    | {
        cells: LumaCells;
        plateCells: LumaCells;
        faces: ChangeGate;
        faceRegions: { x: number; y: number; size: number }[];
        plates?: ChangeGate;
        plateGrid?: ReturnType<typeof plateCropGrid>;
        /** Where the upsampled small-face pass runs (motion.ts), created at the first gated full scan. */
        small?: SmallPassPlanner;
      }
    | undefined;
  // Boxes of faces/plates that stopped being found since the last full scan: their regions are rescanned.
  private lostFaces: Rect[] = [];
  private lostPlates: Rect[] = [];

  constructor(
    private readonly scanner: FaceScanner,
    private readonly plateScanner: PlateDetector | undefined,
    private readonly p: ScheduleParams,
    /** Measurement hook (bench): milliseconds and counts per kind of work. */
    private readonly prof?: Record<string, number>,
    /** A second opinion on the faces the scans find (detect/second-opinion.ts); none when absent. */
    private readonly second?: SecondOpinion,
  ) {}

  isPlateFrame(f: number): boolean {
    return !!this.plateScanner && f % this.p.plateCadence === 0;
  }

  /** Face detections for frame f, or undefined on frames without face detection. */
  async faces(frame: Frame, f: number): Promise<Detection[] | undefined> {
    if (!this.p.wantFaces || f % this.p.cadence !== 0) return undefined;
    const full = f % this.p.fullScanEvery === 0;
    if (full) this.add('faceFullFrames', 1);
    let dets: Detection[] = full ? await this.scanFacesFull(frame, f) : this.recent.length ? await this.timed('facesAround', this.scanner.scanAround(frame, this.recent.map((r) => r.box))) : [];
    if (this.second && dets.length) {
      const before = this.second.looks;
      dets = await this.timed('secondOpinion', this.second.look(frame, f, dets));
      this.add('secondOpinionLooks', this.second.looks - before);
    }
    this.recent = stillRecent(this.recent, dets, 8, (box) => this.p.gated && this.lostFaces.push(padRect(box, 1)));
    return dets;
  }

  /** Plate detections for frame f (plate frames only). */
  async plates(frame: Frame, f: number): Promise<Detection[]> {
    const full = f % this.p.plateFullEvery === 0;
    if (full) this.add('plateFullFrames', 1);
    const dets = full ? await this.scanPlatesFull(frame, f) : this.recentPlates.length ? await this.timed('platesAround', this.plateScanner!.scanAround(frame, this.recentPlates.map((r) => r.box))) : [];
    this.recentPlates = stillRecent(this.recentPlates, dets, 3, (box) => this.p.gated && this.lostPlates.push(padRect(box, 1)));
    return dets;
  }

  private async scanFacesFull(frame: Frame, f: number): Promise<Detection[]> {
    const scanner = this.scanner;
    if (!this.p.gated) return this.timed('facesFull', scanner.scan(frame));
    const g = this.updateCells(frame, f, 'cells');
    const t = performance.now();
    const lost = this.lostFaces;
    const d = g.faces.select(f, lost);
    this.add('changeMap', performance.now() - t);
    this.lostFaces = [];
    const tiles = g.faceRegions.filter((_, i) => i > 0 && d.scan[i]);
    const areas = scanner.areasFor(tiles, frame.width, frame.height);
    const small = this.smallAreas(frame, f, lost, areas);
    // Known faces not wholly inside a scanned area keep their focused crop (never gated).
    const inArea = (b: Rect) => areas.some((r) => b.x >= r.x && b.y >= r.y && b.x + b.w <= r.x + r.w && b.y + b.h <= r.y + r.h);
    const crops = scanner.aroundRegions(this.recent.filter((r) => !inArea(r.box)).map((r) => r.box));
    this.add('gateFaceTilesScanned', tiles.length + (d.scan[0] ? 1 : 0));
    this.add('gateFaceTilesAll', g.faceRegions.length);
    this.add('gateFaceSafety', d.safety);
    if (d.global) this.add('gateFaceGlobal', 1);
    const dets = d.scan[0] || areas.length || crops.length || small.length ? await this.timed('facesFull', scanner.scanPlan(frame, { whole: !!d.scan[0], areas, crops, small })) : [];
    g.faces.commit(f, d.scan);
    return dets;
  }

  /**
   * Where the upsampled small-face pass runs on a gated full scan (motion.ts SmallPassPlanner): the
   * content that is not a moved copy of the previous full scan's — a camera pan, or people and
   * things moving rigidly, show content already searched — around faces that stopped being found,
   * and everywhere at least every `motion.safetyEvery` frames. Without `motion.compensate`: the
   * areas the change map selected, as the fine pass.
   */
  private smallAreas(frame: Frame, f: number, lost: readonly Rect[], selected: Rect[]): Rect[] {
    if (!this.p.motion.compensate) return selected;
    const g = this.gates!;
    const t = performance.now();
    g.small ??= new SmallPassPlanner(frame.width, frame.height, this.p.motion.safetyEvery, Math.floor(this.p.motion.safetyEvery / this.p.fullScanEvery));
    const plan = g.small.plan(frame, f, lost);
    this.add('smallMotion', performance.now() - t);
    this.add('smallUnitsScanned', plan.units);
    this.add('smallUnitsAll', plan.of);
    return plan.areas;
  }

  private async scanPlatesFull(frame: Frame, f: number): Promise<Detection[]> {
    const plates = this.plateScanner!;
    if (!this.p.gated) return this.timed('platesFull', plates.scan(frame));
    const g = this.updateCells(frame, f, 'plateCells');
    const t = performance.now();
    const d = g.plates!.select(f, this.lostPlates);
    this.add('changeMap', performance.now() - t);
    this.lostPlates = [];
    const crops = plateCropsFor(g.plateGrid!, d.scan, frame.width, frame.height);
    const area = crops.reduce((a, c) => a + c.w * c.h, 0) / (frame.width * frame.height);
    const around = async () => (this.recentPlates.length ? this.timed('platesAround', plates.scanAround(frame, this.recentPlates.map((r) => r.box))) : []);
    if (!crops.length) {
      g.plates!.commit(f, d.scan);
      return around();
    }
    if (d.global || area > 0.6 || !plates.scanCrops) {
      this.add('gatePlateArea', 1);
      g.plates!.commit(f, d.scan.map(() => true));
      return this.timed('platesFull', plates.scan(frame));
    }
    this.add('gatePlateArea', area);
    const found = await this.timed('platesFull', plates.scanCrops(frame, crops));
    g.plates!.commit(f, d.scan);
    return weightedNms([...found, ...(await around())], 0.3);
  }

  /** The change maps and gates, created at the first frame. */
  private gatesFor(frame: Frame) {
    if (!this.gates) {
      const { motion } = this.p;
      const cells = new LumaCells(frame.width, frame.height, motion.cell);
      const faceRegions = this.scanner.regionsFor(frame.width, frame.height);
      const faces = new ChangeGate(cells, faceRegions.map((r) => ({ x: r.x, y: r.y, w: r.size, h: r.size })), motion.threshold, motion.safetyEvery, motion.globalShare);
      const plateGrid = this.plateScanner ? plateCropGrid(frame.width, frame.height) : undefined;
      const plateCells = new LumaCells(frame.width, frame.height, motion.cell);
      const plates = plateGrid ? new ChangeGate(plateCells, plateGrid.crops, motion.threshold, motion.plateSafetyEvery, motion.globalShare) : undefined;
      this.gates = { cells, plateCells, faces, faceRegions, plates, plateGrid };
    }
    return this.gates;
  }

  private updateCells(frame: Frame, f: number, which: 'cells' | 'plateCells') {
    const g = this.gatesFor(frame);
    const t = performance.now();
    g[which].update(frame, f);
    this.add('changeMap', performance.now() - t);
    return g;
  }

  private async timed<T>(key: string, work: Promise<T>): Promise<T> {
    if (!this.prof) return work;
    const t = performance.now();
    const r = await work;
    this.add(key, performance.now() - t);
    return r;
  }

  private add(key: string, v: number): void {
    if (this.prof) this.prof[key] = (this.prof[key] ?? 0) + v;
  }
}

/**
 * The boxes focused scans look at next: this frame's detections, plus earlier ones not found again
 * for fewer than `maxAge` detection frames; older ones are given to `lost`.
 */
function stillRecent(recent: Recent[], dets: Detection[], maxAge: number, lost: (box: Rect) => unknown): Recent[] {
  const next = dets.map((d) => ({ box: d as Rect, age: 0 }));
  for (const r of recent) {
    if (dets.some((d) => coverage(r.box, d) > 0.3 || coverage(d, r.box) > 0.3)) continue;
    if (r.age + 1 < maxAge) next.push({ box: r.box, age: r.age + 1 });
    else lost(r.box);
  }
  return next;
}
