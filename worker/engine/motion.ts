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
  /**
   * The upsampled small-face pass skips changed content that is a moved copy of the previous full
   * scan's (MotionCompensation); off: it runs wherever the change map says (measurement, bench).
   */
  compensate: boolean;
}

export const DEFAULT_MOTION: MotionParams = { enabled: true, cell: 8, threshold: 10, globalShare: 0.5, safetyEvery: 64, plateSafetyEvery: 96, compensate: true };

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
    reduce(frame, this.cell, this.cols, this.rows, this.values);
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

/**
 * Moved content, for the upsampled small-face passes: when most of the picture changed because the
 * camera moved (a pan, a tilt, shake) or things in it moved rigidly, what a frame shows is mostly
 * the previous checked frame moved — content already searched. `MotionCompensation` matches each
 * 32×32 px block of a frame with the previous call's frame (luma reduced 4×; the neighbours' and
 * no motion as candidates, else a search within ±`range` px, to a half reduced pixel) and reports
 * the regions holding a block no displacement explains: content entering at the edges, people
 * changing shape as they walk, anything when nothing matches (a cut, an exposure jump, a zoom: then
 * everything is unexplained — a full scan, as before).
 *
 * Why frame-to-frame is enough: after every call each part of the frame was either scanned or is a
 * moved copy of part of the previous call's frame, which was covered the same way (the first call
 * covers everything) — so every part of every checked frame was searched, here or where it was
 * before. The detector does not see moved pixels exactly as before (resampling phase), and changes
 * too slow to exceed the threshold between two calls add up: both are left to the caller's safety
 * net (every region scanned at least every n frames).
 */
export class MotionCompensation {
  private prev: Float32Array | undefined;
  private cur: Float32Array;
  private readonly w: number;
  private readonly h: number;
  /** Frame px per reduced px, reduced px per block side. */
  static readonly FACTOR = 4;
  static readonly BLOCK = 8;

  constructor(
    readonly width: number,
    readonly height: number,
    /** Largest displacement searched, in frame px. */
    private readonly range = 64,
    /** Mean absolute luma difference (0–255) of an 8×8 frame-px cell, after the block's displacement, that counts as unexplained. */
    private readonly threshold = 10,
  ) {
    this.w = Math.ceil(width / MotionCompensation.FACTOR);
    this.h = Math.ceil(height / MotionCompensation.FACTOR);
    this.cur = new Float32Array(this.w * this.h);
  }

  /**
   * This frame against the previous call's: per region, whether it holds an unexplained 8×8 px
   * cell; `share`: the unexplained share of the frame. The first call explains nothing. Frames must
   * come in order.
   */
  update(frame: Frame, regions: readonly Rect[]): { unexplained: boolean[]; share: number; cells?: { mask: Uint8Array; cols: number; rows: number; size: number } } {
    reduce(frame, MotionCompensation.FACTOR, this.w, this.h, this.cur);
    const prev = this.prev;
    const cur = this.cur;
    this.prev = cur;
    this.cur = prev ?? new Float32Array(cur.length);
    if (!prev) return { unexplained: regions.map(() => true), share: 1 };
    const { w, h } = this;
    const B = MotionCompensation.BLOCK;
    const bw = Math.ceil(w / B);
    const bh = Math.ceil(h / B);
    // Unexplained 2×2 reduced-px cells (8×8 frame px).
    const cw = Math.ceil(w / 2);
    const chh = Math.ceil(h / 2);
    const bad = new Uint8Array(cw * chh);
    const mvx = new Float32Array(bw * bh);
    const mvy = new Float32Array(bw * bh);
    const reliable = new Uint8Array(bw * bh);
    const r = Math.max(1, Math.round(this.range / MotionCompensation.FACTOR));
    const thr = this.threshold;
    let nBad = 0;
    for (let by = 0; by < bh; by++) {
      for (let bx = 0; bx < bw; bx++) {
        const x0 = bx * B;
        const y0 = by * B;
        const x1 = Math.min(w, x0 + B);
        const y1 = Math.min(h, y0 + B);
        // Sum of absolute differences of the block displaced by (dx, dy) (bilinear for fractions); Infinity past the frame.
        const cost = (dx: number, dy: number): number => blockSad(prev, cur, w, h, x0, y0, x1, y1, dx, dy);
        let best = { dx: 0, dy: 0, e: cost(0, 0) };
        const tryAt = (dx: number, dy: number) => {
          const e = cost(dx, dy);
          if (e < best.e) best = { dx, dy, e };
        };
        const bi = by * bw + bx;
        if (bx > 0) tryAt(mvx[bi - 1]!, mvy[bi - 1]!);
        if (by > 0) tryAt(mvx[bi - bw]!, mvy[bi - bw]!);
        if (by > 0 && bx + 1 < bw) tryAt(mvx[bi - bw + 1]!, mvy[bi - bw + 1]!);
        const n = (x1 - x0) * (y1 - y0);
        // A candidate that already explains the block well is kept; otherwise search.
        if (best.e / n > thr / 2) {
          const c = best;
          for (let dy = -r; dy <= r; dy += 2) for (let dx = -r; dx <= r; dx += 2) tryAt(dx, dy);
          const g = best;
          for (let dy = g.dy - 1; dy <= g.dy + 1; dy++) for (let dx = g.dx - 1; dx <= g.dx + 1; dx++) tryAt(dx, dy);
          if (best === c && c.dx === 0 && c.dy === 0) best = c;
        }
        for (const step of [0.5, 0.25]) {
          const g = best;
          for (const [hx, hy] of [[-step, 0], [step, 0], [0, -step], [0, step]] as const) tryAt(g.dx + hx, g.dy + hy);
        }
        mvx[bi] = best.dx;
        mvy[bi] = best.dy;
        // A displacement that does not explain its own block as a whole (half of it new content, a
        // face appearing) is a chance match: its cells must be explained by a neighbour's.
        reliable[bi] = best.e / n <= thr ? 1 : 0;
      }
    }
    // Which 8×8 px cells no reliable displacement explains: neither their block's nor a neighbouring block's
    // (a cell on the border between two motions), allowing for the sub-pixel error of the match at
    // edges (after the quarter-pixel refinement a match is misplaced by at most ⅛ of a reduced pixel, which moves an edge's luma by up to ⅛ of its step: ⅕ is allowed).
    for (let y = 0; y < h; y += 2) {
      const by = Math.floor(y / B);
      for (let x = 0; x < w; x += 2) {
        const bx = Math.floor(x / B);
        const xe = Math.min(w, x + 2);
        const ye = Math.min(h, y + 2);
        const cells = (xe - x) * (ye - y);
        let grad = 0;
        for (let yy = y; yy < ye; yy++) {
          for (let xx = x; xx < xe; xx++) {
            const o = yy * w + xx;
            const gx = xx + 1 < w ? Math.abs(cur[o + 1]! - cur[o]!) : 0;
            const gy = yy + 1 < h ? Math.abs(cur[o + w]! - cur[o]!) : 0;
            grad = Math.max(grad, gx + gy);
          }
        }
        const tol = (thr + 0.2 * grad) * cells;
        const own = by * bw + bx;
        let ok = !!reliable[own] && blockSad(prev, cur, w, h, x, y, xe, ye, mvx[own]!, mvy[own]!) <= tol;
        for (let ny = Math.max(0, by - 1); ny <= Math.min(bh - 1, by + 1) && !ok; ny++) {
          for (let nx = Math.max(0, bx - 1); nx <= Math.min(bw - 1, bx + 1) && !ok; nx++) {
            const k = ny * bw + nx;
            if (k !== own && reliable[k] && blockSad(prev, cur, w, h, x, y, xe, ye, mvx[k]!, mvy[k]!) <= tol) ok = true;
          }
        }
        if (!ok) {
          bad[(y >> 1) * cw + (x >> 1)] = 1;
          nBad++;
        }
      }
    }
    const cell = 2 * MotionCompensation.FACTOR;
    const unexplained = regions.map((rg) => {
      const c0 = Math.max(0, Math.floor(rg.x / cell));
      const c1 = Math.min(cw, Math.ceil((rg.x + rg.w) / cell));
      const r0 = Math.max(0, Math.floor(rg.y / cell));
      const r1 = Math.min(chh, Math.ceil((rg.y + rg.h) / cell));
      for (let y = r0; y < r1; y++) for (let x = c0; x < c1; x++) if (bad[y * cw + x]) return true;
      return false;
    });
    return { unexplained, share: nBad / (cw * chh), cells: { mask: bad, cols: cw, rows: chh, size: cell } };
  }
}

/** SAD between cur over [x0, x1) × [y0, y1) and prev displaced by (dx, dy) (bilinear); Infinity when that reaches past prev. */
function blockSad(prev: Float32Array, cur: Float32Array, w: number, h: number, x0: number, y0: number, x1: number, y1: number, dx: number, dy: number): number {
  const ix = Math.floor(dx);
  const iy = Math.floor(dy);
  const fx = dx - ix;
  const fy = dy - iy;
  if (x0 + ix < 0 || y0 + iy < 0 || x1 - 1 + ix + (fx ? 1 : 0) >= w || y1 - 1 + iy + (fy ? 1 : 0) >= h) return Infinity;
  let sum = 0;
  if (!fx && !fy) {
    for (let y = y0; y < y1; y++) {
      const a = y * w;
      const b = (y + iy) * w + ix;
      for (let x = x0; x < x1; x++) sum += Math.abs(cur[a + x]! - prev[b + x]!);
    }
    return sum;
  }
  for (let y = y0; y < y1; y++) {
    const a = y * w;
    const b = (y + iy) * w + ix;
    for (let x = x0; x < x1; x++) {
      const o = b + x;
      const p = (prev[o]! * (1 - fx) + prev[o + 1]! * fx) * (1 - fy) + (prev[o + w]! * (1 - fx) + prev[o + w + 1]! * fx) * fy;
      sum += Math.abs(cur[a + x]! - p);
    }
  }
  return sum;
}

/** Luma of `frame` (yuv420p: the Y plane; rgb24: Rec.601 luma) averaged over factor×factor blocks (sampled every 2nd pixel) into out (w×h). */
function reduce(frame: Frame, factor: number, w: number, h: number, out: Float32Array): void {
  const { width, height, data } = frame;
  const rgb = frame.format === 'rgb24';
  for (let r = 0; r < h; r++) {
    const y0 = r * factor;
    const y1 = Math.min(height, y0 + factor);
    for (let q = 0; q < w; q++) {
      const x0 = q * factor;
      const x1 = Math.min(width, x0 + factor);
      let sum = 0;
      let n = 0;
      for (let y = y0; y < y1; y += 2) {
        const row = y * width;
        for (let x = x0; x < x1; x += 2) {
          if (rgb) {
            const i = (row + x) * 3;
            sum += 0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!;
          } else sum += data[row + x]!;
          n++;
        }
      }
      out[r * w + q] = sum / n;
    }
  }
}

/**
 * Where an upsampled small-face pass runs on a frame, at the granularity of `unit`-px squares: the
 * squares holding content that is not a moved copy of the previous call's frame (MotionCompensation),
 * the squares a caller forces (faces that stopped being found), and every square at least every
 * `safetyEvery` (in the caller's time: frames or samples; the deadlines staggered over `stagger`
 * calls, so a moving camera does not bring every square due at once). The squares become rectangles
 * (runs per row, merged with the same run in the rows below), each grown by `margin` px so a small
 * face touching a square lies whole inside; when they would cover most of the frame, the whole frame.
 */
export class SmallPassPlanner {
  private readonly moved: MotionCompensation;
  private readonly units: Rect[];
  private readonly lastScan: Float64Array;
  private readonly cols: number;
  private readonly rows: number;
  private calls = 0;

  constructor(
    readonly width: number,
    readonly height: number,
    private readonly safetyEvery: number,
    private readonly stagger: number,
    private readonly unit = 32,
    /** Unexplained content counts for the squares within this many px (a small face around it). */
    private readonly reach = 16,
    /** Context around each area (px) for the model. */
    private readonly margin = 8,
  ) {
    this.moved = new MotionCompensation(width, height);
    this.cols = Math.ceil(width / unit);
    this.rows = Math.ceil(height / unit);
    this.units = [];
    for (let r = 0; r < this.rows; r++) for (let c = 0; c < this.cols; c++) this.units.push({ x: c * unit, y: r * unit, w: unit, h: unit });
    this.lastScan = new Float64Array(this.units.length);
  }

  /** The areas to scan at time `t` (calls in order); `units`: squares chosen of `of`. */
  plan(frame: Frame, t: number, force: readonly Rect[] = []): { areas: Rect[]; units: number; of: number } {
    const { cells } = this.moved.update(frame, []);
    const first = this.calls++ === 0;
    // Squares within `reach` of an unexplained cell.
    const near = new Uint8Array(this.units.length);
    if (cells) {
      const { mask, cols, rows, size } = cells;
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++) {
          if (!mask[r * cols + c]) continue;
          const u0 = Math.max(0, Math.floor((c * size - this.reach) / this.unit));
          const u1 = Math.min(this.cols - 1, Math.floor(((c + 1) * size + this.reach - 1) / this.unit));
          const v0 = Math.max(0, Math.floor((r * size - this.reach) / this.unit));
          const v1 = Math.min(this.rows - 1, Math.floor(((r + 1) * size + this.reach - 1) / this.unit));
          for (let v = v0; v <= v1; v++) for (let u = u0; u <= u1; u++) near[v * this.cols + u] = 1;
        }
      }
    }
    const period = this.safetyEvery / Math.max(1, this.stagger);
    const mark = this.units.map((u, i) => {
      if (first) {
        this.lastScan[i] = t - Math.floor((Math.floor(i / this.cols) * Math.max(1, this.stagger)) / this.rows) * period;
        return true;
      }
      const hit = !!near[i] || t - this.lastScan[i]! >= this.safetyEvery || force.some((b) => b.x < u.x + u.w && u.x < b.x + b.w && b.y < u.y + u.h && u.y < b.y + b.h);
      if (hit) this.lastScan[i] = t;
      return hit;
    });
    const units = mark.filter(Boolean).length;
    const of = mark.length;
    // Runs per row; a run continues downwards while the next row has the same run.
    const runs: { c0: number; c1: number; r0: number; r1: number }[] = [];
    const open = new Map<string, (typeof runs)[number]>();
    for (let r = 0; r < this.rows; r++) {
      const next = new Map<string, (typeof runs)[number]>();
      let c = 0;
      while (c < this.cols) {
        if (!mark[r * this.cols + c]) {
          c++;
          continue;
        }
        const c0 = c;
        while (c < this.cols && mark[r * this.cols + c]) c++;
        const key = `${c0}:${c}`;
        const run = open.get(key);
        if (run) run.r1 = r + 1;
        else runs.push({ c0, c1: c, r0: r, r1: r + 1 });
        next.set(key, run ?? runs.at(-1)!);
      }
      open.clear();
      for (const [k, v] of next) open.set(k, v);
    }
    const m = this.margin;
    const areas = runs.map(({ c0, c1, r0, r1 }) => {
      const x = Math.max(0, c0 * this.unit - m);
      const y = Math.max(0, r0 * this.unit - m);
      return { x, y, w: Math.min(this.width, c1 * this.unit + m) - x, h: Math.min(this.height, r1 * this.unit + m) - y };
    });
    const area = areas.reduce((a, r) => a + r.w * r.h, 0);
    if (area > 0.6 * this.width * this.height) return { areas: [{ x: 0, y: 0, w: this.width, h: this.height }], units, of };
    return { areas, units, of };
  }
}
