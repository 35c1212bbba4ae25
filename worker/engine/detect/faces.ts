import type { Frame, Rect } from '../frame.js';
import { BlazeFace, type Device, type FaceDetection, type SquareRegion, weightedNms } from './blazeface.js';

export interface FaceScanParams {
  /** Edge of the square tiles (frame pixels) scanned in addition to the whole frame; 0 disables tiling. */
  tileSize: number;
  /** Overlap between neighbouring tiles as a share of the tile edge. */
  tileOverlap: number;
  scoreThreshold: number;
}

export const DEFAULT_FACE_SCAN: FaceScanParams = { tileSize: 256, tileOverlap: 0.25, scoreThreshold: 0.5 };

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

  async scan(frame: Frame): Promise<FaceDetection[]> {
    const found: FaceDetection[] = [];
    for (const region of scanRegions(frame.width, frame.height, this.params)) {
      for (const d of await this.detector.detect(frame, region)) {
        // A tile sees faces cut by its border as partial faces; keep them (a larger box is safer).
        found.push(d);
      }
    }
    return weightedNms(found, 0.3).filter((d) => d.w >= 4 && d.h >= 4);
  }

  release(): Promise<void> {
    return this.detector.release();
  }
}

export type { Rect };
