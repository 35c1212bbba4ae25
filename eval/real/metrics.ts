/**
 * Scores the engine's obscured regions against the real-footage labels (eval/real/labels.ts).
 *
 * - A head (class face or head) of anyone but the subject counts obscured in a frame when ≥ 90 % of
 *   its in-frame box is covered (as on the generated set). Recall is reported per size band (the
 *   head box's longer side: < 10, 10–20, 20–40, 40–80, > 80 px), per class and per condition.
 * - Longest visible run: the most consecutive scored frames one person's head stays visible (an
 *   unscored frame ends a run: what happened there is not known; so does a frame where the head is
 *   wholly hidden behind something, the label's `hidden`, which is not scored for recall either).
 * - Subject body visible: share of scored frames in which at most 10 % of the subject's body box is
 *   covered.
 * - False-obscured: share of the frame obscured outside every labelled person (body box grown by
 *   10 %, head box by 60 %) and outside the label file's ignore regions, averaged over scored frames.
 */
import { coveredShare, obscuredOutside, type Rect } from '../metrics.js';
import { type Condition, expandTruth, type LabelFile } from './labels.js';

export const BANDS = [
  { name: '<10', min: 0, max: 10 },
  { name: '10-20', min: 10, max: 20 },
  { name: '20-40', min: 20, max: 40 },
  { name: '40-80', min: 40, max: 80 },
  { name: '>80', min: 80, max: Infinity },
] as const;
export type BandName = (typeof BANDS)[number]['name'];

export function bandOf(head: Rect): BandName {
  const s = Math.max(head.w, head.h);
  return BANDS.find((b) => s >= b.min && s < b.max)!.name;
}

export interface Tally {
  frames: number;
  obscured: number;
}

export interface RealScore {
  name: string;
  scoredFrames: number;
  /** Key: `${class}/${band}`, e.g. `face/10-20`. */
  byBand: Record<string, Tally>;
  byCondition: Partial<Record<Condition, Tally>>;
  longestVisibleRun: number;
  /** Person and first frame of that run. */
  longestRunAt?: { person: string; frame: number };
  subject?: { frames: number; visible: number };
  falseObscured: number;
  /** Heads not obscured, as `person@frame` (combine() prefixes the file name). */
  missed: string[];
}

const add = (t: Tally | undefined, hit: boolean): Tally => ({ frames: (t?.frames ?? 0) + 1, obscured: (t?.obscured ?? 0) + (hit ? 1 : 0) });

const grow = (r: Rect, by: number): Rect => ({ x: r.x - (r.w * by) / 2, y: r.y - (r.h * by) / 2, w: r.w * (1 + by), h: r.h * (1 + by) });

/** `obscured[f]` are the regions the engine obscured in frame f of the media (frame 0 for an image). */
export function scoreReal(labels: LabelFile, obscured: readonly (readonly Rect[])[]): RealScore {
  const { width: W, height: H } = labels;
  const s: RealScore = { name: labels.name, scoredFrames: 0, byBand: {}, byCondition: {}, longestVisibleRun: 0, falseObscured: 0, missed: [] };
  const runs = new Map<string, { length: number; start: number }>();
  let falseSum = 0;
  for (const ft of expandTruth(labels)) {
    if (!ft.scored) {
      runs.clear();
      continue;
    }
    s.scoredFrames++;
    const regions = obscured[ft.frame] ?? [];
    for (const p of ft.people) {
      if (p.subject) {
        const covered = coveredShare(p.body, regions, W, H);
        s.subject = { frames: (s.subject?.frames ?? 0) + 1, visible: (s.subject?.visible ?? 0) + (covered <= 0.1 ? 1 : 0) };
        continue;
      }
      // A head wholly hidden behind something is neither visible nor obscured; nothing of it shows, so a run of visible frames ends.
      if (p.hidden) {
        runs.delete(p.id);
        continue;
      }
      const hit = coveredShare(p.head, regions, W, H) >= 0.9;
      const key = `${p.class}/${bandOf(p.head)}`;
      s.byBand[key] = add(s.byBand[key], hit);
      for (const c of p.conditions) s.byCondition[c] = add(s.byCondition[c], hit);
      if (hit) {
        runs.delete(p.id);
        continue;
      }
      s.missed.push(`${p.id}@${ft.frame}`);
      const r = runs.get(p.id) ?? { length: 0, start: ft.frame };
      r.length++;
      runs.set(p.id, r);
      if (r.length > s.longestVisibleRun) {
        s.longestVisibleRun = r.length;
        s.longestRunAt = { person: p.id, frame: r.start };
      }
    }
    const labelled = ft.people.flatMap((p) => [grow(p.body, 0.1), grow(p.head, 0.6)]);
    falseSum += obscuredOutside(regions, [...labelled, ...labels.ignore], W, H);
  }
  s.falseObscured = s.scoredFrames ? falseSum / s.scoredFrames : 0;
  return s;
}

/** Sums the scores of several files (runs and false-obscured: the worst and the frame-weighted mean). */
export function combine(scores: readonly RealScore[]): RealScore {
  const out: RealScore = { name: 'ALL', scoredFrames: 0, byBand: {}, byCondition: {}, longestVisibleRun: 0, falseObscured: 0, missed: [] };
  let falseSum = 0;
  const sum = (a: Tally | undefined, b: Tally): Tally => ({ frames: (a?.frames ?? 0) + b.frames, obscured: (a?.obscured ?? 0) + b.obscured });
  for (const s of scores) {
    out.scoredFrames += s.scoredFrames;
    out.missed.push(...s.missed.map((m) => `${s.name}:${m}`));
    falseSum += s.falseObscured * s.scoredFrames;
    for (const [k, t] of Object.entries(s.byBand)) out.byBand[k] = sum(out.byBand[k], t);
    for (const [k, t] of Object.entries(s.byCondition) as [Condition, Tally][]) out.byCondition[k] = sum(out.byCondition[k], t);
    if (s.longestVisibleRun > out.longestVisibleRun) {
      out.longestVisibleRun = s.longestVisibleRun;
      out.longestRunAt = s.longestRunAt && { ...s.longestRunAt, person: `${s.name}:${s.longestRunAt.person}` };
    }
    if (s.subject) out.subject = { frames: (out.subject?.frames ?? 0) + s.subject.frames, visible: (out.subject?.visible ?? 0) + s.subject.visible };
  }
  out.falseObscured = out.scoredFrames ? falseSum / out.scoredFrames : 0;
  return out;
}
