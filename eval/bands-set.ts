/**
 * A small-face test set built from real photographs of real people (no face composites): the six
 * face-api demo photos (22 faces whose boxes were checked by eye, FACE_BOXES) are each scaled down
 * whole so that their faces are 10–64 px, placed on a real CCTV background (a frame of OpenCV's
 * vtest.avi when the opencv-doc sample is available, else mid grey), and degraded the way dim,
 * moving CCTV degrades them: under-exposure with sensor noise, horizontal motion blur, both. Labels
 * are the checked boxes under the same transform (no detector decides them). Frames are yuv420p, as
 * the engine's video path sees them.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { FACE_BOXES, mulberry32, type PhotoId } from '../test/fixtures/media/generate.js';
import { type Frame, iou, type Rect } from '../worker/engine/frame.js';

const require = createRequire(import.meta.url);

/**
 * The face path as it was before the small-face work (for side-by-side runs: eval/bands.ts,
 * `npx tsx bench/run.ts --faces-before`): no upsampled pass, no contrast normalisation, and the
 * verifier's former scan (BlazeFace full-range, 384 px tiles, threshold 0.75, nothing finer).
 */
export const FACES_BEFORE = {
  faceScan: { smallTile: 0, contrast: undefined },
  verifyParams: { tileSize: 384, scoreThreshold: 0.75, smallTile: undefined, contrast: undefined, small: undefined },
};

/** A face counts found by a box overlapping it with IoU ≥ 0.3, or centred on it at a plausible size (models draw boxes of different extent). */
export function found(d: Rect, face: Rect): boolean {
  if (iou(d, face) >= 0.3) return true;
  const cx = d.x + d.w / 2;
  const cy = d.y + d.h / 2;
  return cx >= face.x && cx <= face.x + face.w && cy >= face.y && cy <= face.y + face.h && d.w >= 0.5 * face.w && d.w <= 3 * face.w;
}

export type Condition = 'clean' | 'dark' | 'blur' | 'dark-blur';
export const CONDITIONS: Condition[] = ['clean', 'dark', 'blur', 'dark-blur'];
/** Median face side (px) each photo is scaled to. */
export const SIZES = [10, 11, 12, 13, 14, 16, 18, 20, 23, 26, 30, 35, 40, 48, 56, 64];

export interface BandFrame {
  name: string;
  condition: Condition;
  frame: Frame;
  faces: Rect[];
}

export const BAND_WIDTH = 1280;
export const BAND_HEIGHT = 720;

/** Where opencv-doc's sample data may be (Debian's package, or `dpkg -x` of it into $OPENCV_SAMPLES). */
export function vtestPath(): string | undefined {
  const dirs = [process.env.OPENCV_SAMPLES, '/usr/share/doc/opencv-doc/examples/data'].filter((d): d is string => !!d);
  return dirs.map((d) => join(d, 'vtest.avi')).find((p) => existsSync(p));
}

export async function buildBandSet(background: Buffer | undefined, conditions: readonly Condition[] = CONDITIONS, sizes: readonly number[] = SIZES, only?: readonly number[]): Promise<BandFrame[]> {
  const bg = background
    ? await sharp(background).resize(BAND_WIDTH, BAND_HEIGHT, { fit: 'fill' }).removeAlpha().raw().toBuffer()
    : Buffer.alloc(BAND_WIDTH * BAND_HEIGHT * 3, 128);
  const out: BandFrame[] = [];
  const photos = (Object.keys(FACE_BOXES).map(Number) as PhotoId[]).filter((p) => !only || only.includes(p));
  const dir = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');
  for (const condition of conditions) {
    const rnd = mulberry32(CONDITIONS.indexOf(condition) + 1);
    for (const size of sizes) {
      for (const photo of photos) {
        const boxes = FACE_BOXES[photo];
        const median = [...boxes.map((b) => b[2])].sort((a, b) => a - b)[Math.floor(boxes.length / 2)]!;
        const k = size / median;
        const src = sharp(join(dir, `sample${photo}.jpg`));
        const meta = await src.metadata();
        const w = Math.max(1, Math.round(meta.width! * k));
        const h = Math.max(1, Math.round(meta.height! * k));
        let img = sharp(join(dir, `sample${photo}.jpg`)).resize(w, h, { kernel: 'lanczos3' }).removeAlpha();
        const blur = condition === 'blur' || condition === 'dark-blur';
        if (blur) {
          // The person moves a fifth of a face width while the shutter is open (walking pace at 1/50 s).
          const len = Math.max(3, Math.round(size * 0.2) | 1);
          img = sharp(await img.raw().toBuffer(), { raw: { width: w, height: h, channels: 3 } }).convolve({ width: len, height: 3, kernel: [...Array(len).fill(0), ...Array(len).fill(1 / len), ...Array(len).fill(0)] });
        }
        const photoRaw = await img.raw().toBuffer();
        // The photo goes where it fits; on frames smaller than the photo, a random window of it.
        const ox = w <= BAND_WIDTH ? Math.floor(rnd() * (BAND_WIDTH - w + 1)) : -Math.floor(rnd() * (w - BAND_WIDTH + 1));
        const oy = h <= BAND_HEIGHT ? Math.floor(rnd() * (BAND_HEIGHT - h + 1)) : -Math.floor(rnd() * (h - BAND_HEIGHT + 1));
        const rgb = Buffer.from(bg);
        for (let y = 0; y < h; y++) {
          const fy = y + oy;
          if (fy < 0 || fy >= BAND_HEIGHT) continue;
          for (let x = 0; x < w; x++) {
            const fx = x + ox;
            if (fx < 0 || fx >= BAND_WIDTH) continue;
            photoRaw.copy(rgb, (fy * BAND_WIDTH + fx) * 3, (y * w + x) * 3, (y * w + x) * 3 + 3);
          }
        }
        if (condition === 'dark' || condition === 'dark-blur') {
          // Under-exposed by 2 stops, then sensor noise (σ ≈ 2.5 levels) on the dim signal.
          for (let i = 0; i < rgb.length; i++) {
            const noise = (rnd() + rnd() + rnd() - 1.5) * 2.5 * 2;
            rgb[i] = Math.max(0, Math.min(255, Math.round(rgb[i]! * 0.25 + 4 + noise)));
          }
        }
        // Compression as a camera would apply it.
        const jpeg = await sharp(rgb, { raw: { width: BAND_WIDTH, height: BAND_HEIGHT, channels: 3 } }).jpeg({ quality: 70 }).toBuffer();
        const decoded = await sharp(jpeg).removeAlpha().raw().toBuffer();
        const faces = boxes
          .map(([x, y, bw, bh]) => ({ x: x * k + ox, y: y * k + oy, w: bw * k, h: bh * k }))
          .filter((b) => b.x >= 0 && b.y >= 0 && b.x + b.w <= BAND_WIDTH && b.y + b.h <= BAND_HEIGHT);
        if (faces.length) out.push({ name: `p${photo}-s${size}-${condition}`, condition, frame: rgbToYuv420(decoded, BAND_WIDTH, BAND_HEIGHT), faces });
      }
    }
  }
  return out;
}

/** BT.601 limited-range conversion (what the decoders hand the engine). */
export function rgbToYuv420(rgb: Buffer, width: number, height: number): Frame {
  const cw = Math.ceil(width / 2);
  const ch = Math.ceil(height / 2);
  const data = Buffer.alloc(width * height + 2 * cw * ch);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      data[y * width + x] = Math.round(16 + 0.257 * rgb[i]! + 0.504 * rgb[i + 1]! + 0.098 * rgb[i + 2]!);
    }
  }
  for (let y = 0; y < ch; y++) {
    for (let x = 0; x < cw; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let n = 0;
      for (let dy = 0; dy < 2; dy++) {
        for (let dx = 0; dx < 2; dx++) {
          const px = 2 * x + dx;
          const py = 2 * y + dy;
          if (px >= width || py >= height) continue;
          const i = (py * width + px) * 3;
          r += rgb[i]!;
          g += rgb[i + 1]!;
          b += rgb[i + 2]!;
          n++;
        }
      }
      r /= n;
      g /= n;
      b /= n;
      data[width * height + y * cw + x] = Math.round(128 - 0.148 * r - 0.291 * g + 0.439 * b);
      data[width * height + cw * ch + y * cw + x] = Math.round(128 + 0.439 * r - 0.368 * g - 0.071 * b);
    }
  }
  return { width, height, format: 'yuv420p', data };
}
