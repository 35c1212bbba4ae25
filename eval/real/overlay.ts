/**
 * `npm run eval -- --real --overlays <dir>`: pictures of what the engine left visible, to look at by
 * eye (how the real set's misses were studied): for every missed head-frame, and every frame where
 * more than 10 % of the subject's body was covered, a crop of the *original* frame around that
 * person, 3× with square pixels, with the hand labels and the engine's regions drawn on it:
 *
 * - green: a labelled head (yellow: the subject's); blue: labelled bodies;
 * - red: regions the engine obscured (padded, as rendered); orange: regions it kept visible.
 *
 * The original is drawn on, not the redacted output, so the label can be checked against what is
 * there; the pictures stay on the machine that ran the eval (the media is not in the repository).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ffmpegPath, run } from '../../worker/engine/ffmpeg.js';
import { coveredShare, type Rect } from '../metrics.js';
import { expandTruth, type LabelFile } from './labels.js';

export interface OverlayFrame {
  frame: number;
  /** Whom the picture is about, e.g. `B missed` or `I subject covered 28%`. */
  why: string;
  focus: Rect;
}

const ZOOM = 3;
/** Smallest crop (frame px) around the person the picture is about. */
const MIN_CROP = { w: 200, h: 160 };

/** The frames to draw: missed heads (as listed by scoreReal, `person@frame`) and covered subjects. */
export function overlayFrames(labels: LabelFile, missed: readonly string[], obscured: readonly (readonly Rect[])[]): OverlayFrame[] {
  const want = new Set(missed);
  const out: OverlayFrame[] = [];
  for (const ft of expandTruth(labels)) {
    if (!ft.scored) continue;
    for (const p of ft.people) {
      if (p.subject) {
        const covered = coveredShare(p.body, obscured[ft.frame] ?? [], labels.width, labels.height);
        if (covered > 0.1) out.push({ frame: ft.frame, why: `${p.id} subject covered ${Math.round(covered * 100)}%`, focus: p.body });
      } else if (want.has(`${p.id}@${ft.frame}`)) out.push({ frame: ft.frame, why: `${p.id} missed`, focus: p.body });
    }
  }
  return out;
}

/** The crop (frame px, whole pixels, inside the frame) around a person: the body grown 2×, at least MIN_CROP. */
export function cropAround(focus: Rect, width: number, height: number): Rect {
  const w = Math.min(width, Math.max(MIN_CROP.w, Math.round(focus.w * 2)));
  const h = Math.min(height, Math.max(MIN_CROP.h, Math.round(focus.h * 2)));
  const x = Math.max(0, Math.min(width - w, Math.round(focus.x + focus.w / 2 - w / 2)));
  const y = Math.max(0, Math.min(height - h, Math.round(focus.y + focus.h / 2 - h / 2)));
  return { x, y, w, h };
}

/** The ffmpeg filter drawing one frame's labels and regions, cropped around `focus` and zoomed. */
export function overlayFilter(
  o: { kind: LabelFile['kind']; frame: number; width: number; height: number; focus: Rect },
  draw: { heads: Rect[]; subjectHeads: Rect[]; bodies: Rect[]; obscured: readonly Rect[]; kept: readonly Rect[] },
): string {
  const box = (r: Rect, color: string) => `drawbox=x=${Math.round(r.x)}:y=${Math.round(r.y)}:w=${Math.max(1, Math.round(r.w))}:h=${Math.max(1, Math.round(r.h))}:color=${color}:t=1`;
  const c = cropAround(o.focus, o.width, o.height);
  return [
    ...(o.kind === 'video' ? [`select='eq(n\\,${o.frame})'`] : []),
    ...draw.bodies.map((r) => box(r, 'blue')),
    ...draw.obscured.map((r) => box(r, 'red')),
    ...draw.kept.map((r) => box(r, 'orange')),
    ...draw.heads.map((r) => box(r, 'lime')),
    ...draw.subjectHeads.map((r) => box(r, 'yellow')),
    `crop=${c.w}:${c.h}:${c.x}:${c.y}`,
    `scale=${c.w * ZOOM}:${c.h * ZOOM}:flags=neighbor`,
  ].join(',');
}

/** Writes the pictures of one labelled file into `dir` (one PNG each, named after the file, frame and person); returns their paths. */
export async function writeOverlays(input: string, labels: LabelFile, missed: readonly string[], plan: { obscured: readonly (readonly Rect[])[]; kept: readonly (readonly Rect[])[] }, dir: string, limit = 200): Promise<string[]> {
  const frames = overlayFrames(labels, missed, plan.obscured).slice(0, limit);
  if (!frames.length) return [];
  await mkdir(dir, { recursive: true });
  const truth = new Map(expandTruth(labels).map((t) => [t.frame, t]));
  const written: string[] = [];
  for (const f of frames) {
    const people = truth.get(f.frame)?.people ?? [];
    const vf = overlayFilter(
      { kind: labels.kind, frame: f.frame, width: labels.width, height: labels.height, focus: f.focus },
      { heads: people.filter((p) => !p.subject).map((p) => p.head), subjectHeads: people.filter((p) => p.subject).map((p) => p.head), bodies: people.map((p) => p.body), obscured: plan.obscured[f.frame] ?? [], kept: plan.kept[f.frame] ?? [] },
    );
    const out = join(dir, `${labels.name}-f${String(f.frame).padStart(5, '0')}-${f.why.split(' ')[0]}.png`);
    await run(ffmpegPath(), ['-v', 'error', '-y', '-i', input, '-vf', vf, '-frames:v', '1', ...(labels.kind === 'video' ? ['-vsync', '0'] : []), out]);
    written.push(out);
  }
  return written;
}
