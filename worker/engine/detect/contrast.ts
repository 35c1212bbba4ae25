/**
 * Local contrast normalisation of dark regions (CLAHE on luma) applied to a detector's input tensor
 * (NHWC, RGB in [-1, 1]) before inference. Faces in a dim corner of a CCTV frame sit in a handful of
 * luma levels where BlazeFace sees no structure; equalising the histogram of each dark cell (with a
 * clip limit that bounds how much noise is amplified) spreads them out again. Cells whose mean luma
 * is above `darkBelow` keep an identity mapping, so well-lit content reaches the model unchanged
 * (bilinear blending between cell mappings softens the border between the two).
 */
export interface ContrastParams {
  /** Cell edge in input pixels. */
  cell: number;
  /** Histogram clip limit as a multiple of the mean bin count (CLAHE's contrast limit). */
  clip: number;
  /** Cells with a mean luma (0–1) below this are equalised; brighter cells are left as they are. */
  darkBelow: number;
}

export const DEFAULT_CONTRAST: ContrastParams = { cell: 32, clip: 3, darkBelow: 0.3 };

const BINS = 256;

/**
 * Equalises the dark cells of `t` (w×h×3, values in [-1, 1]) in place; returns the number of cells
 * equalised (0: the tensor was not touched).
 */
export function normaliseDarkRegions(t: Float32Array, w: number, h: number, p: ContrastParams = DEFAULT_CONTRAST): number {
  const gx = Math.max(1, Math.ceil(w / p.cell));
  const gy = Math.max(1, Math.ceil(h / p.cell));
  const cw = w / gx;
  const ch = h / gy;
  const n = w * h;
  // Luma per pixel as a bin index 0..255.
  const luma = new Uint8Array(n);
  for (let i = 0, o = 0; i < n; i++, o += 3) {
    const l = (0.299 * t[o]! + 0.587 * t[o + 1]! + 0.114 * t[o + 2]! + 1) * 127.5;
    luma[i] = l <= 0 ? 0 : l >= 255 ? 255 : l;
  }
  const luts = new Float32Array(gx * gy * BINS);
  const hist = new Float64Array(BINS);
  let dark = 0;
  for (let cy = 0; cy < gy; cy++) {
    const y0 = Math.round(cy * ch);
    const y1 = Math.round((cy + 1) * ch);
    for (let cx = 0; cx < gx; cx++) {
      const x0 = Math.round(cx * cw);
      const x1 = Math.round((cx + 1) * cw);
      hist.fill(0);
      let sum = 0;
      for (let y = y0; y < y1; y++) {
        for (let x = x0; x < x1; x++) {
          const v = luma[y * w + x]!;
          hist[v]!++;
          sum += v;
        }
      }
      const count = (y1 - y0) * (x1 - x0);
      const lut = luts.subarray((cy * gx + cx) * BINS, (cy * gx + cx + 1) * BINS);
      if (!count || sum / count / 255 >= p.darkBelow) {
        for (let v = 0; v < BINS; v++) lut[v] = v;
        continue;
      }
      dark++;
      // Clip the histogram and hand the excess out evenly (one pass, as CLAHE implementations do).
      const limit = Math.max(1, (p.clip * count) / BINS);
      let excess = 0;
      for (let v = 0; v < BINS; v++) {
        if (hist[v]! > limit) {
          excess += hist[v]! - limit;
          hist[v] = limit;
        }
      }
      const add = excess / BINS;
      let cdf = 0;
      for (let v = 0; v < BINS; v++) {
        cdf += hist[v]! + add;
        lut[v] = (cdf / count) * 255;
      }
    }
  }
  if (!dark) return 0;
  // Each pixel's new luma: bilinear blend of the mappings of the four nearest cell centres.
  for (let y = 0; y < h; y++) {
    const fy = Math.min(gy - 1, Math.max(0, (y + 0.5) / ch - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(gy - 1, y0 + 1);
    const wy = fy - y0;
    for (let x = 0; x < w; x++) {
      const fx = Math.min(gx - 1, Math.max(0, (x + 0.5) / cw - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(gx - 1, x0 + 1);
      const wx = fx - x0;
      const i = y * w + x;
      const v = luma[i]!;
      const a = luts[(y0 * gx + x0) * BINS + v]!;
      const b = luts[(y0 * gx + x1) * BINS + v]!;
      const c = luts[(y1 * gx + x0) * BINS + v]!;
      const d = luts[(y1 * gx + x1) * BINS + v]!;
      const nv = (a * (1 - wx) + b * wx) * (1 - wy) + (c * (1 - wx) + d * wx) * wy;
      if (nv === v) continue;
      // Scale RGB by the luma gain (keeps hue); a black pixel is lifted to grey.
      const o = i * 3;
      if (v < 1) {
        const g = nv / 127.5 - 1;
        t[o] = g;
        t[o + 1] = g;
        t[o + 2] = g;
        continue;
      }
      const gain = nv / v;
      for (let k = 0; k < 3; k++) {
        const c01 = ((t[o + k]! + 1) / 2) * gain;
        t[o + k] = (c01 >= 1 ? 1 : c01) * 2 - 1;
      }
    }
  }
  return dark;
}
