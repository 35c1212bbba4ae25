import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { densify } from './make-dense.js';

const here = dirname(fileURLToPath(import.meta.url));
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const opts: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 1, graphOptimizationLevel: 'all', logSeverityLevel: 3 };

describe.each([
  ['face_detection_front_128x128_barracuda', 128, 'd388b1cf8a5f6f1af2b3f4c14f6d0f138bab970cd618cccd12dddb7484e82e51', 'c10e1f83ab7f2e0e9b5a45e5568ba5d0c42ef54e0c938acf24c556d5745ce963'],
  ['face_detection_back_256x256_barracuda', 256, '427cbbe0fc41448d09e1dc9cfabe2423d997cf2faaeab91fadd09a510b63b8e2', 'c5841f90d99ff1db9fb92e21819189d577c88768c60d1a36bd4e1488176f992c'],
] as const)('dense derivative of %s', (name, size, originalSha, denseSha) => {
  const original = readFileSync(join(here, `${name}.onnx`));
  const dense = readFileSync(join(here, `${name}_dense.onnx`));

  it('is what make-dense.ts derives from the pinned original (reproducible)', () => {
    expect(sha(original)).toBe(originalSha);
    expect(sha(dense)).toBe(denseSha);
    expect(sha(densify(original))).toBe(denseSha);
  });

  it(`computes the original's outputs on its ${size}² input`, async () => {
    const a = await ort.InferenceSession.create(original, opts);
    const b = await ort.InferenceSession.create(dense, opts);
    let seed = 7;
    const x = new Float32Array(size * size * 3).map(() => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1);
    const feed = (s: ort.InferenceSession) => ({ [s.inputNames[0]!]: new ort.Tensor('float32', x, [1, size, size, 3]) });
    const [ra, rb] = [await a.run(feed(a)), await b.run(feed(b))];
    for (const [i, n] of a.outputNames.entries()) {
      const da = ra[n]!.data as Float32Array;
      const db = rb[b.outputNames[i]!]!.data as Float32Array;
      expect(db.length).toBe(da.length);
      let worst = 0;
      for (let k = 0; k < da.length; k++) worst = Math.max(worst, Math.abs(da[k]! - db[k]!));
      expect(worst).toBeLessThan(1e-3);
    }
    await Promise.all([a.release(), b.release()]);
  });

  it('accepts a wide input and outputs one anchor set per window position', async () => {
    const b = await ort.InferenceSession.create(dense, opts);
    const [h, w] = [size * 2, size * 3];
    const out = await b.run({ [b.inputNames[0]!]: new ort.Tensor('float32', new Float32Array(h * w * 3), [1, h, w, 3]) });
    const s1 = size / 16;
    const s2 = size / 8;
    expect(out[b.outputNames[0]!]!.dims).toEqual([1, (h / s1) * (w / s1) * 2, 1]);
    expect(out[b.outputNames[1]!]!.dims).toEqual([1, (h / s2) * (w / s2) * 6, 1]);
    expect(out[b.outputNames[2]!]!.dims).toEqual([1, (h / s1) * (w / s1) * 2, 16]);
    await b.release();
  });
});
