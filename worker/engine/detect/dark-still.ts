import sharp from 'sharp';
import type { Frame } from '../frame.js';
import { type FaceDetection, weightedNms } from './blazeface.js';
import { type FaceScanner, plausibleFaces } from './faces.js';

/**
 * A dark still gets a second look. A video is scanned again every few frames, a photograph once; in
 * a dim, noisy photo BlazeFace loses faces to the sensor noise and the low contrast. When the
 * picture's mean luma is under `meanLuma` (of 255), the face scan runs again over a copy denoised by
 * a `median`×`median` median filter and taken to linear light (each channel v ↦ 255·(v/255)^`linear`,
 * darker): the scanner's own local contrast normalisation of dark regions (contrast.ts) then
 * stretches the faces out of the denoised shadows. The two scans' faces are merged.
 *
 * Measured on the real set (eval/real, `npm run eval -- --real --real-only '^(?!vtest)'`): mean luma
 * 20–61 for the simulated low-light copies and 34–38 for the dim bar photo of face-api sample 1,
 * 72–137 for every other still. Of three copies tried for the second scan, on the 10 low-light
 * items: median alone — recall unchanged (23/27 head-frames: sample 5's two faces in the shadows
 * stay missed); median and brightened (v^(1/2.2)) — ten noise "faces" of 13–29 px and both still
 * missed; median and linear light — both found (25/27; the 2 left are heads seen from behind, no
 * face to find), false-obscured 5.02 → 5.26 % on the degraded items, 5.93 → 5.94 % on the stills.
 */
export const DARK_STILL = { meanLuma: 64, median: 3, linear: 2.2 } as const;

/** Mean luma (BT.601, 0–255) of an rgb24 frame, over every 4th pixel of every 4th row. */
export function meanLuma(frame: Frame): number {
  if (frame.format !== 'rgb24') throw new Error('meanLuma takes rgb24 frames');
  const { width, height, data } = frame;
  let sum = 0;
  let n = 0;
  for (let y = 0; y < height; y += 4) {
    for (let x = 0; x < width; x += 4) {
      const i = (y * width + x) * 3;
      sum += 0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!;
      n++;
    }
  }
  return n ? sum / n : 0;
}

/** The frame median-filtered and taken to linear light (the lookup 255·(v/255)^linear per channel). */
export async function denoisedLinear(frame: Frame, p: typeof DARK_STILL = DARK_STILL): Promise<Frame> {
  if (frame.format !== 'rgb24') throw new Error('denoisedLinear takes rgb24 frames');
  const data = await sharp(frame.data, { raw: { width: frame.width, height: frame.height, channels: 3 } }).median(p.median).raw().toBuffer();
  const lut = new Uint8Array(256);
  for (let v = 0; v < 256; v++) lut[v] = Math.round(255 * (v / 255) ** p.linear);
  for (let i = 0; i < data.length; i++) data[i] = lut[data[i]!]!;
  return { width: frame.width, height: frame.height, format: 'rgb24', data };
}

/** Whether a still is dark enough for the second look. */
export function isDarkStill(frame: Frame, p: typeof DARK_STILL = DARK_STILL): boolean {
  return meanLuma(frame) < p.meanLuma;
}

/** The faces of a still: `found` (its scan) and, when it is dark, those of a second scan over the denoised copy in linear light. */
export async function darkStillFaces(scanner: FaceScanner, frame: Frame, found: readonly FaceDetection[], p: typeof DARK_STILL = DARK_STILL): Promise<FaceDetection[]> {
  if (!isDarkStill(frame, p)) return [...found];
  const more = await scanner.scan(await denoisedLinear(frame, p));
  return plausibleFaces(weightedNms([...found, ...more], 0.3), scanner.params.scoreThreshold);
}
