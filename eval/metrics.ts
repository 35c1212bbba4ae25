import type { GroundTruth } from '../test/fixtures/media/generate.js';

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Share of `box` (clipped to the frame) covered by the union of `regions`, on a 24×24 sample grid. */
export function coveredShare(box: Rect, regions: readonly Rect[], width: number, height: number): number {
  const x0 = Math.max(0, box.x);
  const y0 = Math.max(0, box.y);
  const x1 = Math.min(width, box.x + box.w);
  const y1 = Math.min(height, box.y + box.h);
  if (x1 <= x0 || y1 <= y0) return 1;
  const N = 24;
  let hit = 0;
  for (let j = 0; j < N; j++) {
    const y = y0 + ((j + 0.5) / N) * (y1 - y0);
    for (let i = 0; i < N; i++) {
      const x = x0 + ((i + 0.5) / N) * (x1 - x0);
      if (regions.some((r) => x >= r.x && x < r.x + r.w && y >= r.y && y < r.y + r.h)) hit++;
    }
  }
  return hit / (N * N);
}

const inAny = (x: number, y: number, rs: readonly Rect[]) => rs.some((r) => x >= r.x && x < r.x + r.w && y >= r.y && y < r.y + r.h);

/** Share of the frame (a 64×64 sample grid) inside some of `regions` and outside all of `excluded`. */
export function obscuredOutside(regions: readonly Rect[], excluded: readonly Rect[], width: number, height: number): number {
  const N = 64;
  let hit = 0;
  for (let j = 0; j < N; j++) {
    const y = ((j + 0.5) / N) * height;
    for (let i = 0; i < N; i++) {
      const x = ((i + 0.5) / N) * width;
      if (inAny(x, y, regions) && !inAny(x, y, excluded)) hit++;
    }
  }
  return hit / (N * N);
}

export interface ClipScore {
  bystanderFaceFrames: number;
  bystanderObscured: number;
  longestVisibleRun: number;
  subjectFrames: number;
  subjectVisible: number;
  plateFrames: number;
  platesObscured: number;
  /** Obscured share of the frame outside every labelled object (averaged over frames). */
  falseObscured: number;
}

/** A target counts obscured when ≥ 90% of its in-frame box is covered; the subject counts visible when ≤ 10% is. */
export function scoreClip(truth: GroundTruth, obscured: Rect[][], minVisible = 0.25): ClipScore {
  const s: ClipScore = { bystanderFaceFrames: 0, bystanderObscured: 0, longestVisibleRun: 0, subjectFrames: 0, subjectVisible: 0, plateFrames: 0, platesObscured: 0, falseObscured: 0 };
  const run = new Map<number, number>();
  const { width: W, height: H } = truth;
  let falseSum = 0;
  truth.frames.forEach((ft, f) => {
    const regions = obscured[f] ?? [];
    for (const face of ft.faces) {
      if (face.visible < minVisible) {
        run.set(face.id, 0);
        continue;
      }
      const cov = coveredShare(face.box, regions, W, H);
      if (face.subject) {
        s.subjectFrames++;
        if (cov <= 0.1) s.subjectVisible++;
        continue;
      }
      s.bystanderFaceFrames++;
      if (cov >= 0.9) {
        s.bystanderObscured++;
        run.set(face.id, 0);
      } else {
        const r = (run.get(face.id) ?? 0) + 1;
        run.set(face.id, r);
        s.longestVisibleRun = Math.max(s.longestVisibleRun, r);
      }
    }
    for (const plate of ft.plates) {
      if (plate.visible < minVisible) continue;
      s.plateFrames++;
      if (coveredShare(plate.box, regions, W, H) >= 0.9) s.platesObscured++;
    }
    // False-obscured: sample the frame; a point counts when obscured and outside every labelled
    // object grown by 60% (padding and head/hair around the face box are expected).
    const labelled = [...ft.faces.map((x) => x.box), ...ft.plates.map((x) => x.box)].map((b) => ({ x: b.x - b.w * 0.3, y: b.y - b.h * 0.3, w: b.w * 1.6, h: b.h * 1.6 }));
    falseSum += obscuredOutside(regions, labelled, W, H);
  });
  s.falseObscured = truth.frames.length ? falseSum / truth.frames.length : 0;
  return s;
}
