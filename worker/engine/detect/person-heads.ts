import { coverage, type Rect } from '../frame.js';
import { headFromBody } from './head-from-body.js';

/**
 * Faces and persons of one frame, put together (not wired into the pipeline yet; see issue 12):
 * - a person whose head region holds a detected face is covered by that face's own box;
 * - a person whose head region holds none gets the head region obscured ("head from body": the face
 *   is too small, dim, blurred, or turned away);
 * - a face box lying inside a person's box but below the head region (torso, hands, a carried item)
 *   is reported as `onBody`: a likely false alarm that would hide evidence;
 * - a face outside every person box stays a face (the person detector may have missed its owner).
 */
export interface PersonHeads {
  /** Head regions to obscure, one per person whose face was not found: index into `persons`. */
  heads: { person: number; region: Rect }[];
  /** Faces (indices) that lie on a person's head. */
  onHead: number[];
  /** Faces (indices) inside a person's box but off every head region. */
  onBody: number[];
  /** Faces (indices) outside every person box. */
  noPerson: number[];
}

/** A face is on a head when this share of it lies inside the head region. */
export const FACE_ON_HEAD = 0.5;

export function personHeads(persons: readonly Rect[], faces: readonly Rect[]): PersonHeads {
  const regions = persons.map((p) => headFromBody(p));
  const onHead: number[] = [];
  const onBody: number[] = [];
  const noPerson: number[] = [];
  const found = new Set<number>();
  faces.forEach((face, fi) => {
    let head = -1;
    let best = FACE_ON_HEAD;
    regions.forEach((r, pi) => {
      const c = coverage(face, r);
      if (c >= best) [head, best] = [pi, c];
    });
    if (head >= 0) {
      found.add(head);
      onHead.push(fi);
    } else if (persons.some((p) => coverage(face, p) >= FACE_ON_HEAD)) onBody.push(fi);
    else noPerson.push(fi);
  });
  const heads = regions.flatMap((region, person) => (found.has(person) ? [] : [{ person, region }]));
  return { heads, onHead, onBody, noPerson };
}
