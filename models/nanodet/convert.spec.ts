import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
// The tfjs reference runs only here (devDependencies): the engine runs the converted ONNX file. The
// tfjs WASM backend has no SparseToDense kernel (this graph uses it for its reshape targets), so the
// reference is tfjs's pure-JS CPU backend: slow (~10–30 s a frame here), hence few frames.
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nanodetInput } from '../../worker/engine/detect/persons.js';
import type { Frame } from '../../worker/engine/frame.js';
import { convertNanoDet, NANODET, readVendored } from './convert.js';

const here = dirname(fileURLToPath(import.meta.url));
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** A real vtest frame (768×576) as the engine's model input: long side 416, the rest black. */
async function input(n: number, w: number, h: number): Promise<Float32Array> {
  const { data, info } = await sharp(join(here, `../../test/fixtures/vtest/vtest-frame-${n}.jpg`)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const frame: Frame = { width: info.width, height: info.height, format: 'rgb24', data };
  return nanodetInput(frame, 0, 0, info.width / NANODET.trainingSize, w, h);
}

const PINNED = {
  json: '4495eb0ec74bd33ee40a79aa06ebc1ccd7e28be1bf7355d93ffb570b8d77f45d',
  bin: '5d0e4f8c4eded666287330be03017d494787d35f523fd77ca23f59db984a4ad9',
  onnx: '42e3bdc4c8ef9c6aec2edc321a197d5a4e32fb5ac85e13a7a1c353c4d5b9b53b',
};
const TF_OUTPUTS = ['Identity:0', 'Identity_1:0', 'Identity_2:0', 'Identity_3:0', 'Identity_4:0', 'Identity_5:0'];
const ONNX_OUTPUTS = ['cls_8', 'cls_16', 'cls_32', 'reg_8', 'reg_16', 'reg_32'];

/**
 * The tfjs graph model; for an h×w input other than 416² its four fixed resize sizes and its input
 * shape are set for that size (the graph's only size-bound constants), so the reference runs on the
 * same non-square input as the dynamic ONNX graph.
 */
function tfjsModel(size?: { h: number; w: number }): Promise<tf.GraphModel> {
  const { model, bin } = readVendored();
  const json = structuredClone(model) as typeof model & { modelTopology: { node: { name: string; op: string; attr?: Record<string, unknown> }[] } };
  const weights = new Uint8Array(bin);
  if (size) {
    // PartitionedCall/Cast_1, _3, _5, _7 are the resize sizes at strides 16, 8, 16, 32.
    const strides: Record<string, number> = { 'PartitionedCall/Cast_1': 16, 'PartitionedCall/Cast_3': 8, 'PartitionedCall/Cast_5': 16, 'PartitionedCall/Cast_7': 32 };
    let off = 0;
    for (const w of json.weightsManifest[0]!.weights) {
      const n = w.shape.reduce((a, b) => a * b, 1);
      const stride = strides[w.name];
      if (stride) {
        new DataView(weights.buffer, off, 8).setInt32(0, size.h / stride, true);
        new DataView(weights.buffer, off, 8).setInt32(4, size.w / stride, true);
      }
      off += w.quantization ? 2 * n : 4 * n;
    }
    const input = json.modelTopology.node.find((n) => n.op === 'Placeholder')!;
    (input.attr as Record<string, unknown>).shape = { shape: { dim: [{ size: '1' }, { size: '3' }, { size: String(size.h) }, { size: String(size.w) }] } };
  }
  return tf.loadGraphModel(
    tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0]!.weights as tf.io.WeightsManifestEntry[], weightData: weights.buffer }),
  );
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

/** Both graphs on the same input: every output, the person class column of the class outputs. */
async function compare(session: ort.InferenceSession, x: Float32Array, h: number, w: number): Promise<{ cls: number; reg: number }> {
  const model = await tfjsModel(h === NANODET.trainingSize && w === NANODET.trainingSize ? undefined : { h, w });
  const refs = model.execute(tf.tensor(x, [1, 3, h, w]), TF_OUTPUTS) as tf.Tensor[];
  const ref = await Promise.all(refs.map((t) => t.data() as Promise<Float32Array>));
  tf.dispose(refs);
  model.dispose();
  const out = await session.run({ images: new ort.Tensor('float32', x, [1, 3, h, w]) });
  const worst = { cls: 0, reg: 0 };
  for (const [i, name] of ONNX_OUTPUTS.entries()) {
    const cells = (h / NANODET.strides[i % 3]!) * (w / NANODET.strides[i % 3]!);
    const got = out[name]!;
    if (name.startsWith('cls')) {
      expect(got.dims).toEqual([1, cells, 1]);
      worst.cls = Math.max(worst.cls, maxDiff(got.data as Float32Array, Array.from({ length: cells }, (_, c) => ref[i]![c * NANODET.classes]!)));
    } else {
      expect(got.dims).toEqual([1, cells, 4 * NANODET.bins]);
      worst.reg = Math.max(worst.reg, maxDiff(got.data as Float32Array, ref[i]!));
    }
  }
  return worst;
}

describe('nanodet_person.onnx, converted from the tfjs graph model', () => {
  let session: ort.InferenceSession;
  const onnxBytes = readFileSync(join(here, 'nanodet_person.onnx'));

  beforeAll(async () => {
    await tf.setBackend('cpu');
    await tf.ready();
    session = await ort.InferenceSession.create(onnxBytes, { intraOpNumThreads: 1, graphOptimizationLevel: 'all', logSeverityLevel: 3 });
  });
  afterAll(async () => {
    await session?.release();
  });

  it('is what convert.ts derives from the pinned tfjs files (reproducible)', () => {
    expect(sha(readFileSync(join(here, 'nanodet.json')))).toBe(PINNED.json);
    expect(sha(readFileSync(join(here, 'nanodet.bin')))).toBe(PINNED.bin);
    expect(sha(onnxBytes)).toBe(PINNED.onnx);
    const { model, bin } = readVendored();
    expect(sha(convertNanoDet(model, bin))).toBe(PINNED.onnx);
  });

  it('refuses an op it does not know instead of converting it wrongly', () => {
    const { model, bin } = readVendored();
    const broken = structuredClone(model);
    broken.modelTopology.node.find((n) => n.op === 'LeakyRelu')!.op = 'Elu';
    expect(() => convertNanoDet(broken, bin)).toThrow(/op Elu is not supported/);
  });

  it.each([160, 640])('computes the tfjs outputs on a real frame at 416² (vtest frame %i)', async (n) => {
    // The frame letterboxed into the training size (black below it).
    const x = await input(n, 416, 416);
    const worst = await compare(session, x, 416, 416);
    expect(worst.cls).toBeLessThan(1e-4);
    expect(worst.reg).toBeLessThan(1e-3);
  }, 180_000);

  it('accepts the frame at its aspect (416×320) and equals tfjs run at that size', async () => {
    const x = await input(320, 416, 320);
    const worst = await compare(session, x, 320, 416);
    expect(worst.cls).toBeLessThan(1e-4);
    expect(worst.reg).toBeLessThan(1e-3);
  }, 180_000);
});
