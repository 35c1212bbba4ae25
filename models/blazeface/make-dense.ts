/**
 * Derives the spatially dynamic ("dense") BlazeFace models from the vendored Barracuda files:
 * `npx tsx models/blazeface/make-dense.ts` rewrites `*_dense.onnx` beside them (deterministic output).
 *
 * The weights and every convolution are unchanged. Three edits make the graph accept any input of
 * H×W (multiples of 16) instead of a fixed 128² / 256² square:
 *  1. the input is declared [1, height, width, 3] and the outputs [1, anchors, k];
 *  2. the channel padding of the residual branches, written by the converter as
 *     Concat(x, ConstantOfShape([1, c, h, w])) with a fixed h×w, becomes Pad(x, [0,0,0,0, 0,c,0,0]);
 *  3. the head Reshapes to [1, 512|384, k] become [1, -1, k].
 * All convolution padding is explicit and the same for every even input size, so on a 128² / 256²
 * input the dense model computes exactly what the original does (tested in blazeface.spec.ts), and on
 * a larger input it computes what the original would at every 128² window position on a stride-16
 * grid — one pass instead of a grid of tiles.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import onnxProto, { type onnx as Onnx } from 'onnx-proto';

const { onnx } = onnxProto;


const here = dirname(fileURLToPath(import.meta.url));

export function densify(original: Uint8Array): Uint8Array {
  const model = onnx.ModelProto.decode(original);
  const g = model.graph!;
  const inits = new Map(g.initializer!.map((t) => [t.name!, t]));
  const int64 = (t: Onnx.ITensorProto): number[] => {
    if (t.int64Data?.length) return t.int64Data.map(Number);
    const raw = t.rawData!;
    return Array.from(new BigInt64Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)), Number);
  };
  const shapeOf = new Map<string, number[]>();
  const drop = new Set<Onnx.INodeProto>();
  for (const n of g.node!) {
    if (n.opType === 'ConstantOfShape') {
      shapeOf.set(n.output![0]!, int64(inits.get(n.input![0]!)!));
      drop.add(n);
    }
  }
  const used = new Set<string>();
  let pads = 0;
  for (const n of g.node!) {
    if (n.opType === 'Concat' && n.input!.length === 2 && shapeOf.has(n.input![1]!)) {
      const [, c] = shapeOf.get(n.input![1]!)!;
      const name = `bystander_channel_pad_${pads++}`;
      g.initializer!.push(onnx.TensorProto.create({ name, dims: [8], dataType: onnx.TensorProto.DataType.INT64, int64Data: [0, 0, 0, 0, 0, c!, 0, 0] }));
      n.opType = 'Pad';
      n.input = [n.input![0]!, name];
      n.attribute = [onnx.AttributeProto.create({ name: 'mode', type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode('constant') })];
    } else if (n.opType === 'Reshape') {
      const t = inits.get(n.input![1]!)!;
      const [b, , k] = int64(t);
      t.rawData = new Uint8Array(new BigInt64Array([BigInt(b!), -1n, BigInt(k!)]).buffer);
      t.int64Data = [];
    }
    for (const i of n.input!) used.add(i);
  }
  g.node = g.node!.filter((n) => !drop.has(n));
  g.initializer = g.initializer!.filter((t) => used.has(t.name!) || g.node!.some((n) => n.input!.includes(t.name!)));
  const dims = (...d: (number | string)[]) => d.map((v) => (typeof v === 'number' ? { dimValue: v } : { dimParam: v }));
  g.input![0]!.type!.tensorType!.shape!.dim = dims(1, 'height', 'width', 3);
  for (const [i, o] of g.output!.entries()) {
    const k = Number(o.type!.tensorType!.shape!.dim![2]!.dimValue);
    o.type!.tensorType!.shape!.dim = dims(1, `anchors_${i}`, k);
  }
  g.valueInfo = [];
  model.producerName = 'bystander models/blazeface/make-dense.ts';
  return onnx.ModelProto.encode(model).finish();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const name of ['face_detection_front_128x128_barracuda', 'face_detection_back_256x256_barracuda']) {
    const out = densify(readFileSync(join(here, `${name}.onnx`)));
    writeFileSync(join(here, `${name}_dense.onnx`), out);
    console.log(`${name}_dense.onnx ${out.length} bytes`);
  }
}
