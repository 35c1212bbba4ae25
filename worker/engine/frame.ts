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
  const scale = region.size / size;
  // Sub-samples per axis: 1 (nearest) up to 1.5× downscale, else enough to average the skipped pixels.
  const k = scale <= 1.5 ? 1 : Math.min(4, Math.ceil(scale));
  const step = scale / k;
  const inv = 1 / (k * k);
  const { width: w, height: h, data } = frame;
  const yuv = frame.format === 'yuv420p';
  const cw = Math.ceil(w / 2);
  const uOff = w * h;
  const vOff = uOff + cw * Math.ceil(h / 2);
  let o = 0;
  for (let oy = 0; oy < size; oy++) {
    const by = region.y + oy * scale + step / 2;
    for (let ox = 0; ox < size; ox++) {
      const bx = region.x + ox * scale + step / 2;
      let r = 0;
      let g = 0;
      let b = 0;
      for (let sy = 0; sy < k; sy++) {
        const py = Math.floor(by + sy * step);
        if (py < 0 || py >= h) continue;
        for (let sx = 0; sx < k; sx++) {
          const px = Math.floor(bx + sx * step);
          if (px < 0 || px >= w) continue;
          if (yuv) {
            const Y = data[py * w + px]! - 16;
            const ci = (py >> 1) * cw + (px >> 1);
            const U = data[uOff + ci]! - 128;
            const V = data[vOff + ci]! - 128;
            r += 1.164 * Y + 1.596 * V;
            g += 1.164 * Y - 0.392 * U - 0.813 * V;
            b += 1.164 * Y + 2.017 * U;
          } else {
            const i = (py * w + px) * 3;
            r += data[i]!;
            g += data[i + 1]!;
            b += data[i + 2]!;
          }
        }
      }
      out[o++] = clampUnit(r * inv);
      out[o++] = clampUnit(g * inv);
      out[o++] = clampUnit(b * inv);
    }
  }
}

function clampUnit(v: number): number {
  const x = v / 127.5 - 1;
  return x < -1 ? -1 : x > 1 ? 1 : x;
}
