/**
 * `npx tsx bench/knobs.ts <clip.mp4>` — how fast the redaction gets when its safety knobs are relaxed
 * (to the edge of the eval targets and beyond), against bare ffmpeg in the same process: evidence for
 * where the speed target can and cannot be met (worker/README.md "Performance"). Not a product mode.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ffmpegPath } from '../worker/engine/ffmpeg.js';
import { probeMedia } from '../worker/engine/probe.js';
import { type RedactOptions, redactMedia } from '../worker/engine/index.js';
import { h264OutputArgs } from '../worker/engine/video.js';

const clip = process.argv[2];
if (!clip) throw new Error('usage: bench/knobs.ts <clip.mp4>');
const info = await probeMedia(clip);
if (info.kind !== 'video') throw new Error('not a video');
const out = join(tmpdir(), 'bystander-knobs.mp4');
const base: RedactOptions = { targets: ['faces', 'plates'], style: 'pixelate', subjects: [], keepAudio: false };
const relaxed: Partial<RedactOptions> = { fullScanEvery: 24, plates: { fullScanEvery: 48 }, verifyParams: { sampleFps: 1 }, faceScan: { cropScale: 2.5, cropMin: 48, cropInput: 80 } };
const variants: [string, Partial<RedactOptions>][] = [
  ['defaults', {}],
  ['full scans /24, plate scans /48, verify 1 fps, crops 2.5×/80²', relaxed],
  ['the same without verification', { ...relaxed, verify: false }],
  ['faces only, defaults, without verification', { targets: ['faces'], verify: false }],
];
const bare = async () => {
  const t = performance.now();
  const p = spawn(ffmpegPath(), ['-nostdin', '-v', 'error', '-y', '-i', clip, '-map', '0:v:0', '-an', ...h264OutputArgs('veryfast', 20), out], { stdio: 'inherit' });
  if ((await once(p, 'close'))[0] !== 0) throw new Error('bare ffmpeg failed');
  return (performance.now() - t) / 1000;
};
const bareSecs = Math.min(await bare(), await bare());
console.log(`bare ffmpeg: ${(info.frames / bareSecs).toFixed(1)} fps`);
for (const [name, o] of variants) {
  const t = performance.now();
  await redactMedia(clip, out, { ...base, ...o });
  const secs = (performance.now() - t) / 1000;
  console.log(`${name.padEnd(64)} ${(info.frames / secs).toFixed(1).padStart(5)} fps   ratio ${(bareSecs / secs).toFixed(2)}`);
}
