import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Frame } from './frame.js';
import { loadModelFile } from './models.js';
import { DEFAULT_VERIFY, Verifier, VerifierThread } from './verify.js';

const require = createRequire(import.meta.url);
const demo = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');

describe('VerifierThread (the verifier model in a worker thread)', () => {
  let local: Verifier;
  let thread: VerifierThread;
  const frames: Frame[] = [];
  beforeAll(async () => {
    local = await Verifier.create(DEFAULT_VERIFY, 'cpu');
    thread = await VerifierThread.create(DEFAULT_VERIFY, 'cpu', (await loadModelFile('blazeface-back-256')).info);
    for (const i of [1, 2, 3]) {
      const { data, info } = await sharp(join(demo, `sample${i}.jpg`)).resize(1280).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      frames.push({ width: info.width, height: info.height, format: 'rgb24', data });
    }
  }, 60_000);
  afterAll(async () => {
    await thread.release();
    await local.release();
  });

  it('finds exactly what the in-process verifier finds, with several frames in flight', async () => {
    const expected = [];
    for (const f of frames) expected.push(await local.scan(f));
    expect(expected.some((e) => e.length > 0)).toBe(true);
    const got = await Promise.all(frames.map((f) => thread.scan({ ...f, data: Buffer.from(f.data) })));
    expect(got).toEqual(expected);
  });
});
