/**
 * The real-footage evaluation set: hand labels (eval/real/labels/*.json) for real photographs and
 * videos of real people that ship in Debian packages or an installed npm package (eval/real/README.md).
 * The media is not in the repository: `eval/real/fetch.sh` extracts or copies it and checks its
 * SHA-256. `labels/derived.json` lists derived items (derive.ts): pictures made from a labelled photo
 * whose labels follow from the original's.
 *
 * A label file lists people; each person has keys (frames) with a head box — class `face` when the
 * face is visible at all (frontal, profile, looking down), `head` when it is seen from behind — a body
 * box and the conditions seen. Between a person's consecutive keys the boxes are interpolated
 * linearly (the labeller keys every 10 frames and adds keys where motion is not smooth).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { SubjectHintSchema } from '../../shared/domain/redaction.js';
import type { Rect } from '../metrics.js';
import { type Derivation, DerivedSetSchema, expandDerived } from './derive.js';

export const CONDITIONS = ['frontal', 'profile', 'down', 'back', 'occluded', 'edge', 'low-light', 'motion-blur'] as const;
export type Condition = (typeof CONDITIONS)[number];

const Box = z.tuple([z.number(), z.number(), z.number().positive(), z.number().positive()]);
const RectSchema = z.object({ x: z.number(), y: z.number(), w: z.number().positive(), h: z.number().positive() }).strict();

const KeySchema = z
  .object({
    frame: z.number().int().min(0),
    class: z.enum(['face', 'head']),
    head: Box,
    body: Box,
    conditions: z.array(z.enum(CONDITIONS)),
  })
  .strict();

const FrameRange = z.tuple([z.number().int().min(0), z.number().int().min(0)]).refine(([a, b]) => a <= b, 'a range is [first, last] with first ≤ last');

const PersonSchema = z
  .object({
    id: z.string().min(1),
    keys: z.array(KeySchema).min(1),
    /**
     * Frames (inclusive ranges) in which the head is wholly hidden behind something in front (a sign,
     * another person): nothing of it can be seen, so it is neither visible nor obscured there.
     */
    hidden: z.array(FrameRange).optional(),
  })
  .strict()
  .refine((p) => p.keys.every((k, i) => i === 0 || k.frame > p.keys[i - 1]!.frame), 'keys must be in increasing frame order')
  .refine((p) => (p.hidden ?? []).every(([a, b]) => a >= p.keys[0]!.frame && b <= p.keys.at(-1)!.frame), 'hidden frames must lie between the first and last key');

export const LabelFileSchema = z
  .object({
    name: z.string().min(1),
    kind: z.enum(['video', 'image']),
    /** Folder of the source under the media root: the Debian package or the npm package name (eval/real/fetch.sh). */
    source: z.string().min(1),
    /** Path of the media inside the extracted package. */
    file: z.string().min(1),
    /** The file is not a picture format: `python-pickle-grey` — a pickled list of rows of 8-bit grey values, written as PNG before redacting (decode.ts). */
    decode: z.literal('python-pickle-grey').optional(),
    width: z.number().int().positive(),
    height: z.number().int().positive(),
    fps: z.number().positive().optional(),
    /** First and last labelled frame (inclusive). */
    frames: z.tuple([z.number().int().min(0), z.number().int().min(0)]),
    labelling: z.string().min(1),
    subject: z.object({ person: z.string(), hint: SubjectHintSchema }).strict().optional(),
    /** Areas not scored for false obscuring (e.g. a defocused crowd whose faces cannot be separated by eye). */
    ignore: z.array(RectSchema),
    people: z.array(PersonSchema),
  })
  .strict()
  .refine((l) => !l.subject || l.people.some((p) => p.id === l.subject!.person), 'the subject must be one of the people');
export type LabelFile = z.infer<typeof LabelFileSchema>;

export interface PersonTruth {
  id: string;
  subject: boolean;
  class: 'face' | 'head';
  head: Rect;
  body: Rect;
  conditions: Condition[];
  /** The head is wholly hidden behind something in front in this frame (the label's `hidden`). */
  hidden: boolean;
}

export interface FrameTruth {
  frame: number;
  /** False where someone may be in the picture unlabelled (entering or leaving between keyframes). */
  scored: boolean;
  people: PersonTruth[];
}

const rect = ([x, y, w, h]: readonly number[]): Rect => ({ x: x!, y: y!, w: w!, h: h! });
const lerp = (a: readonly number[], b: readonly number[], t: number) => a.map((v, i) => v + (b[i]! - v) * t);

/**
 * Per-frame truth over the labelled range. A person is present from their first key to their last;
 * between two of their keys the boxes are interpolated and the class and conditions are the nearer
 * key's. Between a person's first key and the clip's keyframe before it (they may have entered
 * unseen), and between their last key and the next keyframe, the frame is not scored.
 */
export function expandTruth(l: LabelFile): FrameTruth[] {
  const [first, last] = l.frames;
  const keyframes = [...new Set(l.people.flatMap((p) => p.keys.map((k) => k.frame)))].sort((a, b) => a - b);
  const out: FrameTruth[] = [];
  for (let f = first; f <= last; f++) {
    const people: PersonTruth[] = [];
    let scored = true;
    for (const p of l.people) {
      const k0 = p.keys[0]!.frame;
      const k1 = p.keys.at(-1)!.frame;
      if (f < k0 || f > k1) {
        const before = keyframes.filter((k) => k < k0).at(-1);
        const after = keyframes.find((k) => k > k1);
        if ((f < k0 && before !== undefined && f > before) || (f > k1 && after !== undefined && f < after)) scored = false;
        continue;
      }
      const i = p.keys.findIndex((k) => k.frame >= f);
      const b = p.keys[i]!;
      const a = b.frame === f ? b : p.keys[i - 1]!;
      const t = b.frame === a.frame ? 0 : (f - a.frame) / (b.frame - a.frame);
      const near = t <= 0.5 ? a : b;
      people.push({
        id: p.id,
        subject: l.subject?.person === p.id,
        class: near.class,
        head: rect(lerp(a.head, b.head, t)),
        body: rect(lerp(a.body, b.body, t)),
        conditions: near.conditions,
        hidden: (p.hidden ?? []).some(([from, to]) => f >= from && f <= to),
      });
    }
    out.push({ frame: f, scored, people });
  }
  return out;
}

export const LABELS_DIR = join(import.meta.dirname, 'labels');

/** The file of derived items (derive.ts); every other `*.json` in the folder is a label file. */
export const DERIVED_FILE = 'derived.json';

/** The label files of untouched media. */
export async function loadLabelFiles(dir = LABELS_DIR): Promise<LabelFile[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json') && f !== DERIVED_FILE).sort();
  return Promise.all(
    files.map(async (f) => {
      const parsed = LabelFileSchema.safeParse(JSON.parse(await readFile(join(dir, f), 'utf8')));
      if (!parsed.success) throw new Error(`${f}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      return parsed.data;
    }),
  );
}

/** A label file of the set: untouched media, or an item derived from one (derive.ts). */
export type RealItem = LabelFile & { derived?: Derivation };

/** Every item of the set: the untouched label files, then the derived items expanded from them. */
export async function loadRealItems(dir = LABELS_DIR): Promise<RealItem[]> {
  const untouched = await loadLabelFiles(dir);
  const path = join(dir, DERIVED_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return untouched;
    throw err;
  }
  const parsed = DerivedSetSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${DERIVED_FILE}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return [...untouched, ...expandDerived(untouched, parsed.data.items)];
}
