/**
 * Raw frames as they travel between the ffmpeg decoder, the detectors, the obscuring code and the
 * encoder. Video frames are planar YUV 4:2:0 (what the decoder and x264 use natively: no colour
 * conversion in ffmpeg, half the pipe traffic of RGB); still images are packed RGB from sharp.
 */
export type PixelFormat = 'yuv420p' | 'rgb24';

export interface Frame {
  width: number;
  height: number;
  format: PixelFormat;
  data: Buffer;
}

/** An axis-aligned rectangle in pixels (x, y = top-left). */
export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export function frameByteLength(format: PixelFormat, width: number, height: number): number {
  if (format === 'rgb24') return width * height * 3;
  const cw = Math.ceil(width / 2);
  const ch = Math.ceil(height / 2);
  return width * height + 2 * cw * ch;
}

/** One channel-plane view of a frame; obscuring works plane by plane. */
export interface Plane {
  data: Buffer;
  offset: number;
  width: number;
  height: number;
  /** Bytes per row. */
  stride: number;
  /** Interleaved channels per pixel (3 for rgb24, 1 for YUV planes). */
  channels: number;
  /** Horizontal/vertical subsampling relative to the frame (1 or 2). */
  sub: number;
  /** Value used by the `solid` style for this plane (per channel). */
  fill: number;
}

export function planesOf(frame: Frame): Plane[] {
  const { width: w, height: h, data } = frame;
  if (frame.format === 'rgb24') {
    return [{ data, offset: 0, width: w, height: h, stride: w * 3, channels: 3, sub: 1, fill: 0 }];
  }
  const cw = Math.ceil(w / 2);
  const ch = Math.ceil(h / 2);
  return [
    { data, offset: 0, width: w, height: h, stride: w, channels: 1, sub: 1, fill: 16 },
    { data, offset: w * h, width: cw, height: ch, stride: cw, channels: 1, sub: 2, fill: 128 },
    { data, offset: w * h + cw * ch, width: cw, height: ch, stride: cw, channels: 1, sub: 2, fill: 128 },
  ];
}

export function clampRect(r: Rect, width: number, height: number): Rect | undefined {
  const x0 = Math.max(0, Math.floor(r.x));
  const y0 = Math.max(0, Math.floor(r.y));
  const x1 = Math.min(width, Math.ceil(r.x + r.w));
  const y1 = Math.min(height, Math.ceil(r.y + r.h));
  if (x1 <= x0 || y1 <= y0) return undefined;
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}

export function iou(a: Rect, b: Rect): number {
  const ix = Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x));
  const iy = Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y));
  const inter = ix * iy;
  const union = a.w * a.h + b.w * b.h - inter;
  return union > 0 ? inter / union : 0;
}

/** Share of `a`'s area covered by `b`. */
export function coverage(a: Rect, b: Rect): number {
  const ix = Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x));
  const iy = Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y));
  return a.w * a.h > 0 ? (ix * iy) / (a.w * a.h) : 0;
}

/** Distance (px) between the centres of two boxes. */
export function centreDistance(a: Rect, b: Rect): number {
  return Math.hypot(a.x + a.w / 2 - (b.x + b.w / 2), a.y + a.h / 2 - (b.y + b.h / 2));
}

export function padRect(r: Rect, margin: number): Rect {
  const mx = r.w * margin;
  const my = r.h * margin;
  return { x: r.x - mx, y: r.y - my, w: r.w + 2 * mx, h: r.h + 2 * my };
}

/**
 * Resamples a square region of the frame (which may extend past the frame; outside is black) into
 * an NHWC float tensor of size×size×3 with values in [-1, 1]. Area-averages up to 4×4 sub-samples per
 * output pixel so strong downscales (whole-frame passes) do not alias small faces away.
 */
export function regionToTensor(frame: Frame, region: { x: number; y: number; size: number }, size: number, out: Float32Array): void {
  resampleToTensor(frame, region.x, region.y, region.size / size, size, size, out);
}

/**
 * Resamples the frame area starting at (x0, y0), `scale` frame pixels per output pixel, into an
 * outW×outH NHWC tensor in [-1, 1] (see regionToTensor). Sample positions come from per-row and
 * per-column tables, and YUV is averaged before it is converted to RGB (the conversion is affine, so
 * this equals averaging converted samples, with one conversion per output pixel instead of k²).
 */
export function resampleToTensor(frame: Frame, x0: number, y0: number, scale: number, outW: number, outH: number, out: Float32Array): void {
  // Sub-samples per axis: 1 (nearest) up to 1.5× downscale, else enough to average the skipped pixels.
  const k = scale <= 1.5 ? 1 : Math.min(4, Math.ceil(scale));
  const step = scale / k;
  const inv = 1 / (k * k);
  const { width: w, height: h, data } = frame;
  const cols = sampleTable(x0, scale, step, k, outW, w);
  const rows = sampleTable(y0, scale, step, k, outH, h);
  const norm = inv / 127.5;
  let o = 0;
  if (frame.format === 'yuv420p') {
    const cw = Math.ceil(w / 2);
    const uOff = w * h;
    const vOff = uOff + cw * Math.ceil(h / 2);
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        let ys = 0;
        let us = 0;
        let vs = 0;
        for (let sy = 0; sy < k; sy++) {
          const py = rows[oy * k + sy]!;
          if (py < 0) continue;
          const yRow = py * w;
          const cRow = (py >> 1) * cw;
          for (let sx = 0; sx < k; sx++) {
            const px = cols[ox * k + sx]!;
            if (px < 0) continue;
            const ci = cRow + (px >> 1);
            ys += data[yRow + px]! - 16;
            us += data[uOff + ci]! - 128;
            vs += data[vOff + ci]! - 128;
          }
        }
        out[o++] = clampUnit((1.164 * ys + 1.596 * vs) * norm);
        out[o++] = clampUnit((1.164 * ys - 0.392 * us - 0.813 * vs) * norm);
        out[o++] = clampUnit((1.164 * ys + 2.017 * us) * norm);
      }
    }
    return;
  }
  for (let oy = 0; oy < outH; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let sy = 0; sy < k; sy++) {
        const py = rows[oy * k + sy]!;
        if (py < 0) continue;
        for (let sx = 0; sx < k; sx++) {
          const px = cols[ox * k + sx]!;
          if (px < 0) continue;
          const i = (py * w + px) * 3;
          r += data[i]!;
          g += data[i + 1]!;
          b += data[i + 2]!;
        }
      }
      out[o++] = clampUnit(r * norm);
      out[o++] = clampUnit(g * norm);
      out[o++] = clampUnit(b * norm);
    }
  }
}

/** Frame coordinate of every sub-sample along one axis (-1 outside the frame). */
function sampleTable(start: number, scale: number, step: number, k: number, n: number, limit: number): Int32Array {
  const t = new Int32Array(n * k);
  for (let i = 0; i < n; i++) {
    const base = start + i * scale + step / 2;
    for (let s = 0; s < k; s++) {
      const p = Math.floor(base + s * step);
      t[i * k + s] = p < 0 || p >= limit ? -1 : p;
    }
  }
  return t;
}

/** A value already divided by 127.5, shifted to [-1, 1]. */
function clampUnit(v: number): number {
  const x = v - 1;
  return x < -1 ? -1 : x > 1 ? 1 : x;
}
