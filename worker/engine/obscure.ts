import type { ObscureStyle } from '../../shared/domain/redaction.js';
import { clampRect, type Frame, type Plane, planesOf, type Rect } from './frame.js';

export interface ObscureParams {
  style: ObscureStyle;
  /** Pixelation: number of blocks across the region's longer side (fewer = less recoverable). */
  pixelateBlocks: number;
  /** Pixelation: smallest block edge in pixels. */
  minBlock: number;
}

export const DEFAULT_OBSCURE: Omit<ObscureParams, 'style'> = { pixelateBlocks: 6, minBlock: 4 };

/** Obscures each (already padded) region of the frame in place. */
export function obscureFrame(frame: Frame, regions: readonly Rect[], params: ObscureParams): void {
  if (regions.length === 0) return;
  const planes = planesOf(frame);
  for (const region of regions) {
    const r = clampRect(region, frame.width, frame.height);
    if (!r) continue;
    const longer = Math.max(region.w, region.h);
    const block = Math.max(params.minBlock, Math.ceil(longer / params.pixelateBlocks));
    for (const p of planes) {
      // Chroma planes are subsampled: scale the rectangle outwards so it covers the luma rectangle.
      const x0 = Math.floor(r.x / p.sub);
      const y0 = Math.floor(r.y / p.sub);
      const x1 = Math.min(p.width, Math.ceil((r.x + r.w) / p.sub));
      const y1 = Math.min(p.height, Math.ceil((r.y + r.h) / p.sub));
      const pr = { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
      if (params.style === 'solid') fillRect(p, pr);
      else if (params.style === 'blur') blurRect(p, pr, Math.max(2, Math.round(longer / 6 / p.sub)));
      else pixelateRect(p, pr, Math.max(1, Math.round(block / p.sub)));
    }
  }
}

function fillRect(p: Plane, r: Rect): void {
  for (let y = r.y; y < r.y + r.h; y++) {
    const row = p.offset + y * p.stride;
    p.data.fill(p.fill, row + r.x * p.channels, row + (r.x + r.w) * p.channels);
  }
}

/** Replaces each block by its mean (per channel): the detail inside a block is gone for good. */
function pixelateRect(p: Plane, r: Rect, block: number): void {
  const c = p.channels;
  const sums = new Float64Array(c);
  for (let by = r.y; by < r.y + r.h; by += block) {
    const bh = Math.min(block, r.y + r.h - by);
    for (let bx = r.x; bx < r.x + r.w; bx += block) {
      const bw = Math.min(block, r.x + r.w - bx);
      sums.fill(0);
      for (let y = by; y < by + bh; y++) {
        let i = p.offset + y * p.stride + bx * c;
        for (let x = 0; x < bw; x++) for (let k = 0; k < c; k++) sums[k]! += p.data[i++]!;
      }
      const n = bw * bh;
      for (let y = by; y < by + bh; y++) {
        let i = p.offset + y * p.stride + bx * c;
        for (let x = 0; x < bw; x++) for (let k = 0; k < c; k++) p.data[i++] = Math.round(sums[k]! / n);
      }
    }
  }
}

/** Three passes of a box blur (≈ gaussian) inside the rectangle, edges clamped to the rectangle. */
function blurRect(p: Plane, r: Rect, radius: number): void {
  const c = p.channels;
  const w = r.w;
  const h = r.h;
  const buf = new Float32Array(w * h * c);
  for (let y = 0; y < h; y++) {
    const row = p.offset + (r.y + y) * p.stride + r.x * c;
    for (let i = 0; i < w * c; i++) buf[y * w * c + i] = p.data[row + i]!;
  }
  const tmp = new Float32Array(Math.max(w, h) * c);
  for (let pass = 0; pass < 3; pass++) {
    for (let y = 0; y < h; y++) boxLine(buf, y * w * c, c, w, c, radius, tmp);
    for (let x = 0; x < w; x++) boxLine(buf, x * c, w * c, h, c, radius, tmp);
  }
  for (let y = 0; y < h; y++) {
    const row = p.offset + (r.y + y) * p.stride + r.x * c;
    for (let i = 0; i < w * c; i++) p.data[row + i] = Math.round(buf[y * w * c + i]!);
  }
}

function boxLine(buf: Float32Array, start: number, step: number, n: number, c: number, radius: number, tmp: Float32Array): void {
  for (let k = 0; k < c; k++) {
    for (let i = 0; i < n; i++) tmp[i] = buf[start + i * step + k]!;
    let acc = 0;
    const at = (i: number) => tmp[i < 0 ? 0 : i >= n ? n - 1 : i]!;
    for (let i = -radius; i <= radius; i++) acc += at(i);
    const inv = 1 / (2 * radius + 1);
    for (let i = 0; i < n; i++) {
      buf[start + i * step + k] = acc * inv;
      acc += at(i + radius + 1) - at(i - radius);
    }
  }
}
