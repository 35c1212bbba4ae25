import type { Frame, Rect } from './frame.js';

/**
 * Motion gating of the expensive whole-frame detector scans, for fixed cameras (retail CCTV).
 *
 * On each scheduled scan frame the frame's luma is reduced to a grid of cell means (`LumaCells`),
 * and every scan region (face tile, plate crop) is compared with what that region looked like when
 * it was last scanned. A region none of whose cells changed by more than `threshold` luma levels
 * since its last scan is skipped: the detector would see the same pixels it already searched. The
 * safety nets:
 * - every region is scanned at least every `safetyEvery` frames whatever the change map says;
 * - when `globalShare` of the frame's cells changed at once (camera pan, exposure jump, scene cut) every
 *   region is scanned (a plain full scan);
 * - the caller can force regions (around faces/plates it stopped finding), and known tracks keep
 *   their focused crop scans, which are never gated.
 * Comparing against the region's last *scanned* content (not the previous frame) means slow changes
 * accumulate until they count, and a person who walks in and stands still is scanned at least once
 * in the pose they stand in.
 */
export interface MotionParams {
  /** Gate the tiled face scans and whole-frame plate scans by the change map (video only). */
  enabled: boolean;
  /** Cell edge in frame pixels (luma averaged over cell × cell, sampled every 2nd pixel). */
  cell: number;
  /** Change of a cell's mean luma (0–255) since the region's last scan that counts as change. */
  threshold: number;
  /**
   * Share of the frame's cells changed at once that is treated as a global change (all regions
   * scanned): a pan, an exposure jump or a scene cut changes most of the picture, people rarely do
   * (counting changed regions instead would call every crowd global: tiles overlap and a walking
   * person dirties several).
   */
  globalShare: number;
  /** Every face tile is scanned at least every n frames. */
  safetyEvery: number;
  /** Every plate crop is scanned at least every n frames. */
  plateSafetyEvery: number;
}

export const DEFAULT_MOTION: MotionParams = { enabled: true, cell: 8, threshold: 10, globalShare: 0.5, safetyEvery: 64, plateSafetyEvery: 96 };

/** Mean luma per cell of one frame (computed at most once per frame, shared by the gates). */
export class LumaCells {
  readonly cols: number;
  readonly rows: number;
  readonly values: Float32Array;
  frameIndex = -1;

  constructor(
    readonly width: number,
    readonly height: number,
    readonly cell: number,
  ) {
    this.cols = Math.ceil(width / cell);
    this.rows = Math.ceil(height / cell);
    this.values = new Float32Array(this.cols * this.rows);
  }

  /** Luma cell means of `frame` (yuv420p: the Y plane; rgb24: Rec.601 luma). */
  update(frame: Frame, f: number): void {
    if (this.frameIndex === f) return;
    this.frameIndex = f;
    const { width: w, height: h, data } = frame;
    const c = this.cell;
    const rgb = frame.format === 'rgb24';
    const v = this.values;
    for (let r = 0; r < this.rows; r++) {
      const y0 = r * c;
      const y1 = Math.min(h, y0 + c);
      for (let q = 0; q < this.cols; q++) {
        const x0 = q * c;
        const x1 = Math.min(w, x0 + c);
        let sum = 0;
        let n = 0;
        for (let y = y0; y < y1; y += 2) {
          const row = y * w;
          for (let x = x0; x < x1; x += 2) {
            if (rgb) {
              const i = (row + x) * 3;
              sum += 0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!;
            } else sum += data[row + x]!;
            n++;
          }
        }
        v[r * this.cols + q] = sum / n;
      }
    }
  }
}

export interface GateDecision {
  /** Per region: scan it on this frame. */
  scan: boolean[];
  /** Regions with changed cells since their last scan. */
  changed: number;
  /** Regions scanned only because their safety-net deadline came. */
  safety: number;
  /** Regions scanned only because the caller forced them. */
  forced: number;
  /** Global change: every region scanned. */
  global: boolean;
}

/**
 * One set of fixed scan regions (the face tiles, or the plate crops) with a reference copy of the
 * cells as they were when each region was last scanned.
 */
export class ChangeGate {
  private readonly ref: Float32Array;
  private readonly lastScan: Float64Array;
  private readonly ranges: Int32Array;
  private readonly changedCell: Uint8Array;

  constructor(
    private readonly cells: LumaCells,
    readonly regions: readonly Rect[],
    private readonly threshold: number,
    private readonly safetyEvery: number,
    private readonly globalShare: number,
  ) {
    this.ref = new Float32Array(cells.values.length).fill(Number.NaN);
    this.lastScan = new Float64Array(regions.length).fill(Number.NEGATIVE_INFINITY);
    this.changedCell = new Uint8Array(cells.values.length);
    // Cell ranges [c0, c1) × [r0, r1) each region touches (clipped to the frame).
    this.ranges = new Int32Array(regions.length * 4);
    regions.forEach((r, i) => {
      const c = cells.cell;
      this.ranges[i * 4] = Math.max(0, Math.floor(r.x / c));
      this.ranges[i * 4 + 1] = Math.min(cells.cols, Math.ceil((r.x + r.w) / c));
      this.ranges[i * 4 + 2] = Math.max(0, Math.floor(r.y / c));
      this.ranges[i * 4 + 3] = Math.min(cells.rows, Math.ceil((r.y + r.h) / c));
    });
  }

  /** Which regions to scan at frame `f` (the cells must be up to date for `f`). */
  select(f: number, force: readonly Rect[] = []): GateDecision {
    const v = this.cells.values;
    const ref = this.ref;
    const thr = this.threshold;
    const ch = this.changedCell;
    let changedCells = 0;
    for (let i = 0; i < v.length; i++) {
      const d = v[i]! - ref[i]!;
      // NaN (never scanned) counts as changed.
      const c = d > thr || d < -thr || d !== d ? 1 : 0;
      ch[i] = c;
      changedCells += c;
    }
    const cols = this.cells.cols;
    const n = this.regions.length;
    const dirty = this.regions.map((_, i) => {
      const [c0, c1, r0, r1] = [this.ranges[i * 4]!, this.ranges[i * 4 + 1]!, this.ranges[i * 4 + 2]!, this.ranges[i * 4 + 3]!];
      for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) if (ch[r * cols + c]) return true;
      return false;
    });
    const changed = dirty.filter(Boolean).length;
    const global = changedCells >= this.globalShare * v.length;
    let safety = 0;
    let forced = 0;
    const scan = dirty.map((d, i) => {
      if (d || global) return true;
      if (f - this.lastScan[i]! >= this.safetyEvery) {
        safety++;
        return true;
      }
      const r = this.regions[i]!;
      if (force.some((b) => b.x < r.x + r.w && r.x < b.x + b.w && b.y < r.y + r.h && r.y < b.y + b.h)) {
        forced++;
        return true;
      }
      return false;
    });
    return { scan, changed, safety, forced, global };
  }

  /** Records that the regions marked in `scan` were scanned at frame `f`: their cells become the reference. */
  commit(f: number, scan: readonly boolean[]): void {
    const cols = this.cells.cols;
    const v = this.cells.values;
    scan.forEach((s, i) => {
      if (!s) return;
      this.lastScan[i] = f;
      const [c0, c1, r0, r1] = [this.ranges[i * 4]!, this.ranges[i * 4 + 1]!, this.ranges[i * 4 + 2]!, this.ranges[i * 4 + 3]!];
      for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) this.ref[r * cols + c] = v[r * cols + c]!;
    });
  }
}

/**
 * Plate crop regions: a grid of cores (about a fifth of the frame's longer side), each grown by a
 * margin so a plate on a core's border is whole in the crop of one of them.
 */
export function plateCropGrid(width: number, height: number): { cores: Rect[]; crops: Rect[]; cols: number; rows: number } {
  const side = Math.max(96, Math.round(Math.max(width, height) / 8));
  const cols = Math.max(1, Math.round(width / side));
  const rows = Math.max(1, Math.round(height / side));
  const cw = width / cols;
  const chh = height / rows;
  const margin = Math.round(Math.min(cw, chh) / 3);
  const cores: Rect[] = [];
  const crops: Rect[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const core = { x: c * cw, y: r * chh, w: cw, h: chh };
      cores.push(core);
      const x = Math.max(0, core.x - margin);
      const y = Math.max(0, core.y - margin);
      crops.push({ x, y, w: Math.min(width, core.x + core.w + margin) - x, h: Math.min(height, core.y + core.h + margin) - y });
    }
  }
  return { cores, crops, cols, rows };
}

/**
 * The crops to scan for the selected plate grid cells: horizontal runs of selected cores per row,
 * each grown by the margin (one detector run per run instead of one per core).
 */
export function plateCropsFor(grid: ReturnType<typeof plateCropGrid>, scan: readonly boolean[], width: number, height: number): Rect[] {
  const out: Rect[] = [];
  for (let r = 0; r < grid.rows; r++) {
    let c = 0;
    while (c < grid.cols) {
      if (!scan[r * grid.cols + c]) {
        c++;
        continue;
      }
      const start = c;
      while (c < grid.cols && scan[r * grid.cols + c]) c++;
      const a = grid.crops[r * grid.cols + start]!;
      const b = grid.crops[r * grid.cols + c - 1]!;
      out.push({ x: a.x, y: a.y, w: Math.min(width, b.x + b.w) - a.x, h: Math.min(height, a.y + a.h) - a.y });
    }
  }
  return out;
}
