import { coverage, type Frame, type Rect } from '../frame.js';
import { BlazeFace, type Device, type FaceDetection, type SquareRegion, weightedNms } from './blazeface.js';

export interface FaceScanParams {
  /** Edge of the square tiles (frame pixels) scanned in addition to the whole frame; 0 disables tiling. */
  tileSize: number;
  /** Overlap between neighbouring tiles as a share of the tile edge. */
  tileOverlap: number;
  scoreThreshold: number;
}

/**
 * Chosen by measurement (eval/tune.ts): BlazeFace short-range needs a face of ≥ ~16 px in its
 * 128 px input; 160 px tiles therefore find 20–24 px faces (0.96–1.0 recall) where 256 px tiles
 * find none below 24 px.
 */
export const DEFAULT_FACE_SCAN: FaceScanParams = { tileSize: 160, tileOverlap: 0.25, scoreThreshold: 0.4 };

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

/** Whole-frame + tiled BlazeFace scan, merged with weighted NMS. */
export class FaceScanner {
  private constructor(
    readonly detector: BlazeFace,
    readonly params: FaceScanParams,
  ) {}

  static async create(params: FaceScanParams, device: Device = 'cpu', variant: 'front' | 'back' = 'front'): Promise<FaceScanner> {
    const detector = await BlazeFace.create({ variant, device, scoreThreshold: params.scoreThreshold });
    return new FaceScanner(detector, params);
  }

  /** Full scan: whole frame plus every tile. */
  async scan(frame: Frame): Promise<FaceDetection[]> {
    return this.scanRegions(frame, this.regionsFor(frame.width, frame.height));
  }

  /** The regions a full scan covers (index 0: the whole frame, then the tiles). */
  regionsFor(width: number, height: number): SquareRegion[] {
    return scanRegions(width, height, this.params);
  }

  /** Focused squares (see scanAround) for known faces. */
  aroundRegions(boxes: readonly Rect[]): SquareRegion[] {
    return boxes.map((b) => {
      const size = Math.max(64, 4 * Math.max(b.w, b.h));
      return { x: b.x + b.w / 2 - size / 2, y: b.y + b.h / 2 - size / 2, size };
    });
  }

  /**
   * Focused scan around known faces (one inference each): a square of 4× the face, so even a 20 px
   * face is 32 px in the model's input. Used between full scans.
   */
  async scanAround(frame: Frame, boxes: readonly Rect[]): Promise<FaceDetection[]> {
    return this.scanRegions(frame, this.aroundRegions(boxes));
  }

  /** Scans the given squares (tiles, focused crops) and merges what they find. */
  async scanRegions(frame: Frame, regions: SquareRegion[]): Promise<FaceDetection[]> {
    const found: FaceDetection[] = [];
    for (const region of regions) found.push(...(await this.detector.detect(frame, region)));
    return plausibleFaces(weightedNms(found, 0.3), this.params.scoreThreshold);
  }

  release(): Promise<void> {
    return this.detector.release();
  }
}

export type { Rect };
