import type { Rect } from '../frame.js';

/**
 * Where the head of a detected person is, from the person's box alone ("head from body"): used
 * when the face detector cannot see the face (too small, dim, blurred, seen from behind or above).
 *
 * A standing adult's head is ~1/7.5 of the body height and sits at the top of the box, anywhere
 * across its width (walkers lean, arms swing, the box is as wide as the stride). Detector boxes
 * jitter by a few pixels and sometimes start below the top of the hair, so the region reaches a
 * little above the box. The body height is taken as max(h, 2.8·w): a box much less than ~3× as
 * tall as wide is a truncated body (cut by the frame edge or an obstacle, or a head-and-shoulders
 * view), whose head is as large as its width says, not as small as its height says.
 *
 * Measured on hand-labelled vtest frames (worker/engine/detect/persons.spec.ts): every labelled
 * head (6–25 px wide, seen from the front, side and behind) lies inside the region of its person's
 * box, and the region is ~30 % of the box's area.
 */
export const HEAD_FROM_BODY = {
  /** Body height from the box: max(h, aspect·w). */
  aspect: 2.8,
  /** The region starts this share of the body height above the box... */
  above: 0.07,
  /** ...and ends this share of the body height below the box's top. */
  below: 0.22,
  /** Horizontal margin on each side, as a share of the box width. */
  side: 0.05,
} as const;

export function headFromBody(person: Rect, p: typeof HEAD_FROM_BODY = HEAD_FROM_BODY): Rect {
  const body = Math.max(person.h, p.aspect * person.w);
  const top = person.y - p.above * body;
  const bottom = Math.min(person.y + person.h, person.y + p.below * body);
  const margin = p.side * person.w;
  return { x: person.x - margin, y: top, w: person.w + 2 * margin, h: bottom - top };
}

/** A standing adult's head height as a share of the body height (the canon's 1/7.5, as above). */
export const HEAD_SHARE = 1 / 7.5;

/** The head size (px) a person of this box has, by the same body-height model as headFromBody. */
export function headSize(person: Rect, p: typeof HEAD_FROM_BODY = HEAD_FROM_BODY): number {
  return Math.max(person.h, p.aspect * person.w) * HEAD_SHARE;
}
