import type { Rect } from './frame.js';

/**
 * Phase-1 plan: each frame obscures the detections of its neighbours within `roll` frames (so a face
 * is covered a few frames before it is first detected and after it is last seen, and through short
 * detection gaps). The tracker replaces this with per-track decisions.
 */
export function dilatedPlan(detections: readonly (readonly Rect[])[], roll: number): Rect[][] {
  return detections.map((_, i) => {
    const out: Rect[] = [];
    for (let j = Math.max(0, i - roll); j <= Math.min(detections.length - 1, i + roll); j++) out.push(...detections[j]!);
    return out;
  });
}
