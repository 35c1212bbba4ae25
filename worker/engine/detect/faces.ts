import { coverage, type Frame, type Rect } from '../frame.js';
import { BlazeFace, type Device, type FaceDetection, type SquareRegion, weightedNms } from './blazeface.js';
import { type ContrastParams, DEFAULT_CONTRAST } from './contrast.js';

export interface FaceScanParams {
  /** Edge of the square tiles (frame pixels) scanned in addition to the whole frame; 0 disables tiling. */
  tileSize: number;
  /** Overlap between neighbouring tiles as a share of the tile edge. */
  tileOverlap: number;
  scoreThreshold: number;
  /** Focused crops around known faces: side = max(cropMin, cropScale × face side), resampled to cropInput². */
  cropScale?: number;
  cropMin?: number;
  cropInput?: number;
  /** Frame pixels per 128 px of model input in the upsampled small-face pass (areas in ScanPlan.small); 0 or absent: no such pass. */
  smallTile?: number;
  /** Local contrast normalisation of dark regions before the whole-frame and dense passes (detect/contrast.ts); off when absent. */
  contrast?: ContrastParams;
  /** Whether the upsampled small-face pass gets the contrast normalisation too. */
  smallContrast?: boolean;
}

/**
 * Chosen by measurement (eval/tune.ts): BlazeFace short-range needs a face of ≥ ~16 px in its
 * 128 px input; a fine scale of 160 frame px per 128 input px therefore finds 20–24 px faces
 * (0.96–1.0 recall) where 256 px finds none below 24 px. Crops (`npm run eval -- --crop s,min,in`):
 * 3× the face into 96² (a face is ~30 px in the input) keeps recall 1.0000 / run 0 like the former
 * 4× into 128² at 56 % of the pixels; 2.5× into 80² still passes, 2× into 64² does not (0.9618, run 15).
 * Small faces (`npx tsx eval/bands.ts`, real photos scaled down, clean / dim / motion-blurred): an
 * upsampled pass at 80 frame px per 128 input px (a 10 px face is 16 px in the input) on full-scan
 * frames, over the areas that changed (motion gating) or the whole frame, and contrast normalisation
 * of dark regions on every pass: face recall under 20 px 0.27 → 0.64, 20–40 px 0.77 → 0.90 on that
 * set, at ~5× the cost of a full scan (see worker/README.md "Small faces").
 */
export const DEFAULT_FACE_SCAN: FaceScanParams = {
  tileSize: 160,
  tileOverlap: 0.25,
  scoreThreshold: 0.4,
  cropScale: 3,
  cropMin: 64,
  cropInput: 96,
  smallTile: 80,
  contrast: DEFAULT_CONTRAST,
  smallContrast: true,
};

/** The square regions scanned for a frame: one letterboxed whole-frame pass plus a grid of tiles. */
export function scanRegions(width: number, height: number, p: Pick<FaceScanParams, 'tileSize' | 'tileOverlap'>): SquareRegion[] {
  const size = Math.max(width, height);
  const regions: SquareRegion[] = [{ x: (width - size) / 2, y: (height - size) / 2, size }];
  const t = p.tileSize;
  if (t <= 0 || size <= t * 1.25) return regions;
  const axis = (len: number): number[] => {
    if (len <= t) return [(len - t) / 2];
    const n = Math.ceil((len - t) / (t * (1 - p.tileOverlap))) + 1;
    const step = (len - t) / (n - 1);
    return Array.from({ length: n }, (_, i) => i * step);
  };
  for (const y of axis(height)) for (const x of axis(width)) regions.push({ x, y, size: t });
  return regions;
}

/**
 * Post-filter measured on the eval set: the low threshold is only needed for small faces (at the
 * detector's limit, scores of 0.4–0.5 are common); a large box with a low score is almost always a
 * head-plus-surroundings false positive. A box that contains a much smaller face is dropped too.
 */
export function plausibleFaces(dets: FaceDetection[], threshold: number, largeFace = 48, largeThreshold = 0.6): FaceDetection[] {
  const kept = dets.filter((d) => d.w >= 4 && d.h >= 4 && d.score >= (d.w < largeFace ? threshold : Math.max(threshold, largeThreshold)));
  // A face cannot contain a whole other face (the front one hides the back one): a box holding a
  // much smaller face, or a smaller face it scores no better than, is head-plus-surroundings.
  return kept.filter(
    (big) =>
      !kept.some((small) => {
        if (small === big || coverage(small, big) <= 0.9) return false;
        const ratio = (big.w * big.h) / (small.w * small.h);
        return ratio > 4 || (ratio > 2.5 && small.score >= big.score);
      }),
  );
}

/**
 * What an upsampled small-face pass may add: faces no larger than `maxSide` (larger ones are the
 * other passes' business), and none lying inside a much larger face the other passes found — at
 * 1.6× an eye or a nostril of a big face can look like a tiny face, and a tiny face inside a big box
 * would otherwise make plausibleFaces drop the big one. A big box that scores lower than the small
 * face inside it is left to plausibleFaces (it is more likely a head-plus-surroundings box).
 */
export function onlySmallFaces(small: readonly FaceDetection[], others: readonly FaceDetection[], maxSide: number): FaceDetection[] {
  return small.filter((d) => Math.max(d.w, d.h) <= maxSide && !others.some((o) => o.score >= d.score && o.w * o.h >= 4 * d.w * d.h && coverage(d, o) > 0.5));
}

/** What one scan runs: the whole-frame passes, dense areas at the fine scale, focused crops. */
export interface ScanPlan {
  /** The letterboxed whole-frame pass (and, on large frames, the coarse dense pass). */
  whole: boolean;
  /** Frame areas scanned densely at the fine scale (tileSize frame px per model input). */
  areas: Rect[];
  crops: SquareRegion[];
  /** Frame areas scanned upsampled (smallTile frame px per model input) for faces below the fine pass's reach. */
  small?: Rect[];
}

/**
 * BlazeFace scan of a frame, merged with weighted NMS. A full scan is one letterboxed whole-frame
 * pass (large faces), one dense pass over the frame at the fine scale (`tileSize` frame pixels per
 * 128 px of model input: small faces, what a grid of overlapping tiles used to do), and on large
 * frames a coarse dense pass at twice that scale for faces too big for the fine one but too small
 * for the whole-frame pass.
 */
export class FaceScanner {
  private constructor(
    readonly detector: BlazeFace,
    readonly params: FaceScanParams,
  ) {}

  static async create(params: FaceScanParams, device: Device = 'cpu', variant: 'front' | 'back' = 'front'): Promise<FaceScanner> {
    const detector = await BlazeFace.create({ variant, device, scoreThreshold: params.scoreThreshold });
    return new FaceScanner(detector, params);
  }

  /** Frame pixels per model input pixel in the fine dense pass. */
  get fineScale(): number {
    return this.params.tileSize / this.detector.inputSize;
  }

  /** Full scan: whole frame plus the dense pass (and the upsampled small-face pass, when configured) over all of it. */
  async scan(frame: Frame): Promise<FaceDetection[]> {
    const all = [{ x: 0, y: 0, w: frame.width, h: frame.height }];
    const tiled = scanRegions(frame.width, frame.height, this.params).length > 1;
    return this.scanPlan(frame, { whole: true, areas: tiled ? all : [], crops: [], small: all });
  }

  /** The regions motion gating tracks (index 0: the whole frame, then a grid of tiles). */
  regionsFor(width: number, height: number): SquareRegion[] {
    return scanRegions(width, height, this.params);
  }

  /**
   * The dense areas that cover the given tiles: the bounding box of each group of overlapping tiles;
   * when those cover most of the frame, the whole frame (one pass is cheaper than overlapping ones).
   */
  areasFor(tiles: readonly SquareRegion[], width: number, height: number): Rect[] {
    const groups: Rect[] = [];
    for (const t of tiles) {
      let box: Rect = { x: t.x, y: t.y, w: t.size, h: t.size };
      for (let i = groups.length - 1; i >= 0; i--) {
        const g = groups[i]!;
        if (g.x < box.x + box.w && box.x < g.x + g.w && g.y < box.y + box.h && box.y < g.y + g.h) {
          box = unionRect(box, g);
          groups.splice(i, 1);
          i = groups.length;
        }
      }
      groups.push(box);
    }
    const area = groups.reduce((a, g) => a + g.w * g.h, 0);
    if (area > 0.6 * width * height) return [{ x: 0, y: 0, w: width, h: height }];
    return groups;
  }

  /** Focused squares (see scanAround) for known faces. */
  aroundRegions(boxes: readonly Rect[]): SquareRegion[] {
    const { cropScale, cropMin } = this.crop;
    return boxes.map((b) => {
      const size = Math.max(cropMin, cropScale * Math.max(b.w, b.h));
      return { x: b.x + b.w / 2 - size / 2, y: b.y + b.h / 2 - size / 2, size };
    });
  }

  /** Crop geometry: a square of `cropScale`× the face (at least `cropMin` px) into a `cropInput`² dense input. */
  get crop(): { cropScale: number; cropMin: number; cropInput: number } {
    return { cropScale: this.params.cropScale ?? 4, cropMin: this.params.cropMin ?? 64, cropInput: this.params.cropInput ?? this.detector.inputSize };
  }

  /**
   * Focused scan around known faces (one inference each): a square of `cropScale`× the face, so even
   * a 20 px face is ~30 px in the model's input. Used between full scans.
   */
  async scanAround(frame: Frame, boxes: readonly Rect[]): Promise<FaceDetection[]> {
    return this.scanPlan(frame, { whole: false, areas: [], crops: this.aroundRegions(boxes) });
  }

  async scanPlan(frame: Frame, plan: ScanPlan): Promise<FaceDetection[]> {
    const d = this.detector;
    const found: FaceDetection[] = [];
    const contrast = this.params.contrast;
    const dense = async (area: Rect, scale: number, c: ContrastParams | undefined) => {
      const inW = Math.ceil(area.w / scale / d.align) * d.align;
      const inH = Math.ceil(area.h / scale / d.align) * d.align;
      found.push(...(await d.detectArea(frame, area.x, area.y, scale, inW, inH, c)));
    };
    if (plan.whole) {
      const size = Math.max(frame.width, frame.height);
      const s = d.inputSize;
      found.push(...(await d.detectArea(frame, (frame.width - size) / 2, (frame.height - size) / 2, size / s, s, s, contrast)));
      // Faces between the fine pass's reach (~its window) and the whole-frame pass's smallest.
      if (size / d.inputSize > 4 * this.fineScale) await dense({ x: 0, y: 0, w: frame.width, h: frame.height }, 2 * this.fineScale, contrast);
    }
    for (const area of plan.areas) await dense(area, this.fineScale, contrast);
    const input = this.crop.cropInput;
    for (const crop of plan.crops) found.push(...(await d.detectArea(frame, crop.x, crop.y, crop.size / input, input, input)));
    if (this.params.smallTile && plan.small?.length) {
      const others = weightedNms(found, 0.3);
      const before = found.length;
      for (const area of plan.small) await dense(area, this.params.smallTile / d.inputSize, this.params.smallContrast ? contrast : undefined);
      found.push(...onlySmallFaces(found.splice(before), others, this.params.tileSize / 2));
    }
    return plausibleFaces(weightedNms(found, 0.3), this.params.scoreThreshold);
  }

  release(): Promise<void> {
    return this.detector.release();
  }
}

function unionRect(a: Rect, b: Rect): Rect {
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return { x, y, w: Math.max(a.x + a.w, b.x + b.w) - x, h: Math.max(a.y + a.h, b.y + b.h) - y };
}

export type { Rect };
