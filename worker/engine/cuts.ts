/**
 * Shot cuts: where a video jumps to another scene (a VMS export joining segments of different
 * cameras, an edit). A track must not be carried across a cut — the person at the same place after
 * it is someone else — and above all the subject must not be: a kept track that continued onto a
 * bystander would publish their face. The tracker ends every track at a cut (TrackBuilder.cut).
 *
 * Detector: each frame is reduced to a grid of mean luma cells (about 48 across). Two consecutive
 * frames are compared cell by cell after standardising each grid (brightness and contrast: an
 * exposure jump or lights switching on is not a cut) and at the best small shift of the grid (a pan
 * or a shaking camera is not a cut): the change is the mean absolute difference of the standardised
 * cells (0 the same picture, about 1.1 two unrelated ones). A cut is
 * a change above `threshold` that is also `ratio` times the largest change of the frames just before
 * (people walking, even close to the lens, change a few cells gradually). Two cameras of the same
 * aisle still differ in where every shelf edge and product lies, which is what the cells see; the
 * same camera's clip restarting (a segment joined to itself) is not a cut by this measure — the
 * tracker's own gap rules handle the people jumping there.
 */
import type { Frame } from './frame.js';

export interface CutParams {
  /** Change of the standardised cells (gridChange: 0 same picture, ~1.1 unrelated) above which a frame may be a cut. */
  threshold: number;
  /** …and at least this multiple of the largest change of the `window` frames before. */
  ratio: number;
  window: number;
  /** Cells across the frame (the grid keeps the frame's aspect). */
  cellsAcross: number;
  /** Largest grid shift tried (cells), for pans and shake. */
  maxShift: number;
}

export const DEFAULT_CUTS: CutParams = { threshold: 0.5, ratio: 3, window: 8, cellsAcross: 48, maxShift: 2 };

export interface CellGrid {
  cols: number;
  rows: number;
  /** Mean luma per cell, row by row. */
  cells: Float32Array;
}

/** Mean luma per cell of a yuv420p frame (Y plane) or an rgb24 frame. */
export function lumaGrid(frame: Frame, cellsAcross: number): CellGrid {
  const { width, height, data } = frame;
  const cell = Math.max(1, Math.floor(width / cellsAcross));
  const cols = Math.max(1, Math.floor(width / cell));
  const rows = Math.max(1, Math.floor(height / cell));
  const cells = new Float32Array(cols * rows);
  // Sample a 4×4 lattice inside each cell: enough for a mean, 16 reads a cell.
  const stepIn = Math.max(1, Math.floor(cell / 4));
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      let sum = 0;
      let n = 0;
      for (let y = r * cell; y < (r + 1) * cell; y += stepIn) {
        for (let x = c * cell; x < (c + 1) * cell; x += stepIn) {
          if (frame.format === 'yuv420p') sum += data[y * width + x]!;
          else {
            const i = (y * width + x) * 3;
            sum += (77 * data[i]! + 150 * data[i + 1]! + 29 * data[i + 2]!) >> 8;
          }
          n++;
        }
      }
      cells[r * cols + c] = sum / n;
    }
  }
  return { cols, rows, cells };
}

/**
 * Mean absolute difference of the two grids' standardised cells (each grid minus its mean, over its
 * standard deviation: brightness and contrast changes cancel), at the best shift within ±maxShift
 * cells. 0 = the same picture; about 1.1 for two unrelated pictures.
 */
export function gridChange(a: CellGrid, b: CellGrid, maxShift: number): number {
  if (a.cols !== b.cols || a.rows !== b.rows) return 2;
  let best = Infinity;
  for (let dy = -maxShift; dy <= maxShift; dy++) {
    for (let dx = -maxShift; dx <= maxShift; dx++) {
      const r0 = Math.max(0, -dy);
      const r1 = Math.min(a.rows, a.rows - dy);
      const c0 = Math.max(0, -dx);
      const c1 = Math.min(a.cols, a.cols - dx);
      const n = (r1 - r0) * (c1 - c0);
      if (n < (a.cols * a.rows) / 2) continue;
      let sa = 0;
      let sb = 0;
      let qa = 0;
      let qb = 0;
      for (let r = r0; r < r1; r++) {
        for (let c = c0; c < c1; c++) {
          const va = a.cells[r * a.cols + c]!;
          const vb = b.cells[(r + dy) * b.cols + c + dx]!;
          sa += va;
          sb += vb;
          qa += va * va;
          qb += vb * vb;
        }
      }
      const ma = sa / n;
      const mb = sb / n;
      // A flat picture (lens covered, black frame) has no structure to compare: floor its spread.
      const da = Math.sqrt(Math.max(qa / n - ma * ma, 4));
      const db = Math.sqrt(Math.max(qb / n - mb * mb, 4));
      let d = 0;
      for (let r = r0; r < r1; r++) {
        for (let c = c0; c < c1; c++) d += Math.abs((b.cells[(r + dy) * b.cols + c + dx]! - mb) / db - (a.cells[r * a.cols + c]! - ma) / da);
      }
      best = Math.min(best, d / n);
    }
  }
  return best;
}

/** Feeds frames in order; `push` says whether frame f starts a new shot (decided when f arrives). */
export class ShotCuts {
  private prev: CellGrid | undefined;
  private readonly recent: number[] = [];
  /** Frames found to start a shot, in order. */
  readonly cuts: number[] = [];
  /** The change measured at each pushed frame (for tests and tuning). */
  readonly changes: number[] = [];

  constructor(private readonly p: CutParams = DEFAULT_CUTS) {}

  push(f: number, frame: Frame): boolean {
    const grid = lumaGrid(frame, this.p.cellsAcross);
    let cut = false;
    if (this.prev) {
      const change = gridChange(this.prev, grid, this.p.maxShift);
      this.changes.push(change);
      const before = this.recent.length ? Math.max(...this.recent) : 0;
      cut = change > this.p.threshold && change > this.p.ratio * before;
      this.recent.push(change);
      if (this.recent.length > this.p.window) this.recent.shift();
      if (cut) {
        this.cuts.push(f);
        this.recent.length = 0;
      }
    } else this.changes.push(0);
    this.prev = grid;
    return cut;
  }
}
