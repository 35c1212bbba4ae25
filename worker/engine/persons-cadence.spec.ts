import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../cli.js';
import { ffmpegPath, run } from './ffmpeg.js';
import { redactMedia, type RedactOptions } from './index.js';
import { DEFAULT_PERSONS, personCadence } from './persons-track.js';

/**
 * The person scan interval is a time: a 10 fps export and a 25 fps one of the same scene are scanned
 * as often per second (real vtest frame, 768×576, made into 1 s still clips at both rates).
 */
const fixtures = fileURLToPath(new URL('../../test/fixtures/vtest/', import.meta.url));
const dir = join(process.cwd(), '.test-data', 'worker-persons-cadence');

async function stillClip(fps: number): Promise<string> {
  await mkdir(dir, { recursive: true });
  const out = join(dir, `vtest-160-${fps}fps.mp4`);
  await run(ffmpegPath(), ['-y', '-v', 'error', '-loop', '1', '-framerate', String(fps), '-i', join(fixtures, 'vtest-frame-160.jpg'), '-frames:v', String(fps), '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '18', '-pix_fmt', 'yuv420p', out]);
  return out;
}

const base: RedactOptions = { targets: ['faces'], style: 'pixelate', subjects: [], keepAudio: false, verify: false };

describe('person scans every so many seconds, whatever the frame rate', () => {
  const clips = new Map<number, string>();
  beforeAll(async () => {
    for (const fps of [10, 25]) clips.set(fps, await stillClip(fps));
  }, 60_000);

  it('personCadence: the largest whole number of frames not longer than the interval, at least 1', () => {
    expect(personCadence(0.3, 10)).toBe(3);
    expect(personCadence(0.3, 25)).toBe(7);
    expect(personCadence(0.3, 30)).toBe(9);
    expect(personCadence(0.3, 29.97)).toBe(8);
    expect(personCadence(0.2, 25)).toBe(5);
    expect(personCadence(0.01, 10)).toBe(1);
    expect(personCadence(0.3, 0)).toBe(1);
  });

  it('a 10 fps and a 25 fps clip are both scanned every 0.3 s by default (3 and 7 frames), and the report says so', async () => {
    expect(DEFAULT_PERSONS.everySeconds).toBe(0.3);
    for (const [fps, cadence] of [
      [10, 3],
      [25, 7],
    ] as const) {
      const profile: Record<string, number> = {};
      const report = await redactMedia(clips.get(fps)!, join(dir, `out-${fps}.mp4`), { ...base, profile });
      expect(report.parameters.detection.personEverySeconds).toBe(0.3);
      expect(report.parameters.detection.personCadence).toBe(cadence);
      // Frames 0, c, 2c, … of a 1 s clip.
      expect(profile.personFrames).toBe(Math.ceil(fps / cadence));
      // The people in the frame became person tracks.
      expect(report.tracks.filter((t) => t.class === 'person').length).toBeGreaterThanOrEqual(4);
    }
  }, 120_000);

  it('persons.everySeconds outside 0.02–2 s is refused with a clear error; the CLI checks --person-every', async () => {
    await expect(redactMedia(clips.get(10)!, join(dir, 'bad.mp4'), { ...base, persons: { everySeconds: 0 } })).rejects.toThrow(/everySeconds must be between 0.02 and 2 s/);
    await expect(redactMedia(clips.get(10)!, join(dir, 'bad.mp4'), { ...base, persons: { everySeconds: 5 } })).rejects.toThrow(/everySeconds/);
    let err = '';
    const io = { stdout: { write: () => true }, stderr: { write: (s: string) => ((err += s), true) } } as unknown as Parameters<typeof main>[1];
    expect(await main(['redact', clips.get(10)!, '-o', join(dir, 'cli.mp4'), '--person-every', 'often'], io)).toBe(2);
    expect(err).toMatch(/--person-every takes seconds between 0.02 and 2/);
  });

  it('a longer interval is honoured in seconds too (--person-every 0.5 at 10 fps: every 5th frame)', async () => {
    const profile: Record<string, number> = {};
    const report = await redactMedia(clips.get(10)!, join(dir, 'out-10-05.mp4'), { ...base, profile, persons: { everySeconds: 0.5 } });
    expect(report.parameters.detection.personCadence).toBe(5);
    expect(profile.personFrames).toBe(2);
  }, 60_000);
});
