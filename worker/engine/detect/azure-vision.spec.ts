/**
 * The Azure AI Vision adapter, exercised through the real `@azure-rest/ai-vision-image-analysis`
 * client against a WIRE-LEVEL FAKE of Image Analysis 4.0 (worker/testing/azure-vision-rest-fake.ts):
 * HTTPS on loopback with a certificate made at test time, trusted through an https.Agent `ca`
 * (no NODE_TLS_REJECT_UNAUTHORIZED), bearer tokens, the service's query parameters, error bodies and
 * Retry-After. It is not Azure: it proves the protocol handling, the plate filtering, the wiring into
 * the engine and the fail-closed behaviour, not the service's OCR quality.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import https from 'node:https';
import { join } from 'node:path';
import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import sharp from 'sharp';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clip, detailEnergy } from '../../../test/fixtures/media/frames.js';
import { ensureClip, generateSampleImage, type PlateTruth } from '../../../test/fixtures/media/generate.js';
import { handleRedactionJob } from '../../job.js';
import { type AzureVisionRestFake, type DecodedImage, type FakeLine, fakeLine, startAzureVisionRestFake } from '../../testing/azure-vision-rest-fake.js';
import { InMemoryFakeBlobStore } from '../../testing/in-memory-fakes.js';
import type { Frame } from '../frame.js';
import { redactMedia } from '../index.js';
import {
  AZURE_VISION_API_VERSION,
  AzureVisionDetector,
  type AzureVisionOptions,
  DEFAULT_VISION_PLATES,
  DetectorUnavailableError,
  platesFromRead,
  retryAfterMs,
  visionCredential,
  visionSettingsFromEnv,
} from './azure-vision.js';
import { createPlateDetector, parsePlateDetector } from './plate-detector.js';

const dir = join(process.cwd(), '.test-data', 'worker-azure-vision');

/** A token credential standing in for the managed identity (records the scopes asked for). */
function stubCredential(token: string): TokenCredential & { scopes: string[][] } {
  const scopes: string[][] = [];
  return {
    scopes,
    async getToken(s) {
      scopes.push(Array.isArray(s) ? s : [s]);
      return { token, expiresOnTimestamp: Date.now() + 3600_000 };
    },
  };
}

/** "OCR" for the fake: the generator's plates are yellow (235, 200, 40); each yellow blob reads as a plate. */
function yellowPlates(img: DecodedImage, text = 'AB12 CDE'): FakeLine[] {
  const { width: w, height: h, rgb } = img;
  const yellow = (i: number) => Math.abs(rgb[3 * i]! - 235) < 50 && Math.abs(rgb[3 * i + 1]! - 200) < 50 && rgb[3 * i + 2]! < 110;
  const seen = new Uint8Array(w * h);
  const lines: FakeLine[] = [];
  for (let i = 0; i < w * h; i++) {
    if (seen[i] || !yellow(i)) continue;
    let [x0, y0, x1, y1, n] = [w, h, 0, 0, 0];
    const stack = [i];
    seen[i] = 1;
    while (stack.length) {
      const j = stack.pop()!;
      const x = j % w;
      const y = (j - x) / w;
      n++;
      x0 = Math.min(x0, x);
      y0 = Math.min(y0, y);
      x1 = Math.max(x1, x);
      y1 = Math.max(y1, y);
      for (const q of [x > 0 ? j - 1 : -1, x < w - 1 ? j + 1 : -1, y > 0 ? j - w : -1, y < h - 1 ? j + w : -1]) {
        if (q >= 0 && !seen[q] && yellow(q)) {
          seen[q] = 1;
          stack.push(q);
        }
      }
    }
    if (n < 30) continue;
    // The characters sit inside the plate (margins as the generator draws them).
    const bw = x1 - x0 + 1;
    const bh = y1 - y0 + 1;
    lines.push(fakeLine(text, { x: Math.round(x0 + bw * 0.06), y: Math.round(y0 + bh * 0.16), w: Math.round(bw * 0.88), h: Math.round(bh * 0.68) }));
  }
  return lines;
}

describe('platesFromRead (plate-shaped filtering of Read lines)', () => {
  const p = DEFAULT_VISION_PLATES;
  it('keeps a plate-shaped line and grows it from the characters to the plate', () => {
    const [plate] = platesFromRead([fakeLine('AB12 CDE', { x: 100, y: 50, w: 100, h: 20 })], p, 640);
    expect(plate).toBeDefined();
    expect(plate!.x).toBeCloseTo(85);
    expect(plate!.y).toBeCloseTo(46);
    expect(plate!.w).toBeCloseTo(130);
    expect(plate!.h).toBeCloseTo(28);
    expect(plate!.score).toBeCloseTo(0.95);
    expect(Object.keys(plate!).sort()).toEqual(['h', 'score', 'w', 'x', 'y']); // no text leaves the adapter
  });

  it('drops text that is not plate-shaped: a sentence, a tall sign, tiny print, a banner wider than half the frame', () => {
    const lines = [
      fakeLine('Opening hours Monday to Friday nine to five', { x: 10, y: 10, w: 300, h: 14 }),
      fakeLine('EXIT', { x: 10, y: 40, w: 20, h: 30 }),
      fakeLine('AB12 CDE', { x: 10, y: 100, w: 15, h: 3 }),
      fakeLine('GRAND SALE', { x: 0, y: 200, w: 340, h: 60 }),
    ];
    expect(platesFromRead(lines, p, 640)).toEqual([]);
  });

  it('finds the plate inside a line read together with nearby text (runs of words)', () => {
    const line = fakeLine('SMITHS MOTORS OF LONDON AB12 CDE', { x: 0, y: 0, w: 320, h: 10 });
    const plates = platesFromRead([line], p, 640);
    expect(plates.length).toBeGreaterThanOrEqual(1);
    // The last two words (AB12 CDE) are covered by one candidate.
    const ab = line.words.at(-2)!.boundingPolygon[0]!.x;
    const end = line.words.at(-1)!.boundingPolygon[1]!.x;
    expect(plates.some((b) => b.x <= ab && b.x + b.w >= end)).toBe(true);
  });

  it('measures a tilted plate along its own axes', () => {
    const a = (20 * Math.PI) / 180;
    const [c, s] = [Math.cos(a), Math.sin(a)];
    const pt = (x: number, y: number) => ({ x: 200 + x * c - y * s, y: 100 + x * s + y * c });
    const poly = [pt(0, 0), pt(100, 0), pt(100, 20), pt(0, 20)];
    const line: FakeLine = { text: 'AB12 CDE', boundingPolygon: poly, words: [] };
    const [plate] = platesFromRead([line], p, 640);
    expect(plate).toBeDefined();
    // The axis-aligned result covers every corner of the tilted text.
    for (const q of poly) {
      expect(q.x).toBeGreaterThanOrEqual(plate!.x);
      expect(q.x).toBeLessThanOrEqual(plate!.x + plate!.w);
      expect(q.y).toBeGreaterThanOrEqual(plate!.y);
      expect(q.y).toBeLessThanOrEqual(plate!.y + plate!.h);
    }
  });
});

describe('configuration (managed identity only)', () => {
  it('needs an https VISION__endpoint and refuses API keys', () => {
    expect(() => visionSettingsFromEnv({})).toThrow(/VISION__endpoint is not set/);
    expect(() => visionSettingsFromEnv({ VISION__endpoint: 'http://x.cognitiveservices.azure.com' })).toThrow(/https/);
    expect(() => visionSettingsFromEnv({ VISION__endpoint: 'https://u:p@x.cognitiveservices.azure.com' })).toThrow(/plain https origin/);
    expect(() => visionSettingsFromEnv({ VISION__endpoint: 'https://x.cognitiveservices.azure.com', VISION__key: 'k' })).toThrow(/API keys are not accepted/);
    expect(() => visionSettingsFromEnv({ VISION__endpoint: 'https://x.cognitiveservices.azure.com', VISION_KEY: 'k' })).toThrow(/API keys are not accepted/);
    expect(visionSettingsFromEnv({ VISION__endpoint: 'https://x.cognitiveservices.azure.com/', VISION__clientId: 'cid' })).toEqual({
      endpoint: 'https://x.cognitiveservices.azure.com',
      clientId: 'cid',
    });
  });

  it('uses the user-assigned managed identity named by VISION__clientId, otherwise DefaultAzureCredential', () => {
    expect(visionCredential('00000000-0000-0000-0000-000000000001')).toBeInstanceOf(ManagedIdentityCredential);
    expect(visionCredential()).toBeInstanceOf(DefaultAzureCredential);
  });

  it('is chosen by name or by BYSTANDER_PLATE_DETECTOR; a misconfigured azure-vision fails as detector-unavailable', async () => {
    expect(parsePlateDetector(undefined)).toBe('local');
    expect(parsePlateDetector('azure-vision')).toBe('azure-vision');
    expect(() => parsePlateDetector('cloud')).toThrow(/unknown plate detector/);
    const env = { BYSTANDER_PLATE_DETECTOR: 'azure-vision', VISION__endpoint: 'https://x.cognitiveservices.azure.com', VISION__clientId: 'cid' };
    expect(await createPlateDetector(undefined, { cadence: 6 } as never, 'cpu', env)).toBeInstanceOf(AzureVisionDetector);
    await expect(createPlateDetector('azure-vision', { cadence: 6 } as never, 'cpu', {})).rejects.toBeInstanceOf(DetectorUnavailableError);
  });

  it('the worker refuses to start with azure-vision but no https endpoint, or with an API key', async () => {
    const { WorkerConfigSchema } = await import('../../main.js');
    const base = { STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true', BYSTANDER_PLATE_DETECTOR: 'azure-vision' };
    const issues = (env: Record<string, string>) => {
      const r = WorkerConfigSchema.safeParse(env);
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(issues(base)).toEqual([expect.stringMatching(/^VISION__endpoint: .*not set/)]);
    expect(issues({ ...base, VISION__endpoint: 'http://v.cognitiveservices.azure.com' })).toEqual([expect.stringMatching(/^VISION__endpoint: .*https/)]);
    expect(issues({ ...base, VISION__endpoint: 'https://v.cognitiveservices.azure.com', VISION__key: 'k' })).toEqual([expect.stringMatching(/^VISION__key: API keys are not accepted/)]);
    expect(issues({ ...base, VISION__endpoint: 'https://v.cognitiveservices.azure.com', VISION__clientId: 'cid' })).toEqual([]);
    expect(WorkerConfigSchema.parse({ STORAGE_CONNECTION_STRING: 'x' }).BYSTANDER_PLATE_DETECTOR).toBe('local');
  });

  it('parses Retry-After in seconds, as an HTTP date, and retry-after-ms', () => {
    expect(retryAfterMs({ 'retry-after': '2' })).toBe(2000);
    expect(retryAfterMs({ 'retry-after-ms': '150' })).toBe(150);
    expect(retryAfterMs({ 'retry-after': new Date(10_000).toUTCString() }, 4000)).toBe(6000);
    expect(retryAfterMs({})).toBeUndefined();
  });
});

describe('AzureVisionDetector against a wire-level HTTPS fake of Image Analysis 4.0', () => {
  let fake: AzureVisionRestFake;
  let agent: https.Agent;
  let waits: number[];
  const detector = (over: Partial<AzureVisionOptions> = {}, token = fake.token) =>
    new AzureVisionDetector({
      endpoint: fake.endpoint,
      credential: stubCredential(token),
      clientOptions: { agent },
      sleep: async (ms) => {
        waits.push(ms);
      },
      ...over,
    });
  const rgbFrame = async (width: number, height: number, plates: { x: number; y: number; w: number }[] = []): Promise<Frame> => {
    const svg = `<svg width="${width}" height="${height}"><rect width="100%" height="100%" fill="#404850"/>${plates
      .map((b) => `<rect x="${b.x}" y="${b.y}" width="${b.w}" height="${Math.round(b.w / 4.7)}" fill="rgb(235,200,40)"/>`)
      .join('')}</svg>`;
    const { data } = await sharp(Buffer.from(svg)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    return { width, height, format: 'rgb24', data };
  };

  beforeAll(async () => {
    fake = await startAzureVisionRestFake();
    agent = new https.Agent({ ca: fake.ca, keepAlive: false });
  });
  afterAll(async () => {
    agent.destroy();
    await fake.close();
  });
  beforeEach(() => {
    waits = [];
    fake.requests.length = 0;
    fake.see((img) => ({ lines: yellowPlates(img), people: [] }));
  });

  it('speaks the protocol: POST …/computervision/imageanalysis:analyze, api-version, features=read,people, binary JPEG, bearer token for Cognitive Services', async () => {
    const cred = stubCredential(fake.token);
    const d = new AzureVisionDetector({ endpoint: fake.endpoint, credential: cred, clientOptions: { agent } });
    fake.see((img) => ({
      lines: yellowPlates(img),
      people: [
        { boundingBox: { x: 10, y: 20, w: 60, h: 150 }, confidence: 0.93 },
        { boundingBox: { x: 200, y: 20, w: 40, h: 90 }, confidence: 0.21 },
      ],
    }));
    const result = await d.analyse(await rgbFrame(320, 240, [{ x: 150, y: 150, w: 94 }]));
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]).toMatchObject({
      method: 'POST',
      path: '/computervision/imageanalysis:analyze',
      apiVersion: AZURE_VISION_API_VERSION,
      features: ['read', 'people'],
      contentType: 'application/octet-stream',
      authorized: true,
      apiKeyHeader: false,
      status: 200,
    });
    expect(cred.scopes.flat()).toEqual(['https://cognitiveservices.azure.com/.default']);
    // The plate (150,150 94×20) comes back as a grown box around it; people keep confidence ≥ 0.5 only.
    expect(result.plates).toHaveLength(1);
    const pl = result.plates[0]!;
    expect(pl.x).toBeLessThanOrEqual(152);
    expect(pl.y).toBeLessThanOrEqual(152);
    expect(pl.x + pl.w).toBeGreaterThanOrEqual(242);
    expect(pl.y + pl.h).toBeGreaterThanOrEqual(168);
    expect(pl.w).toBeLessThan(94 * 1.4);
    expect(result.people).toEqual([{ x: 10, y: 20, w: 60, h: 150, score: 0.93 }]);
    expect(d.model).toMatchObject({ name: 'azure-ai-vision-read-people', version: expect.stringContaining('model-2023-10-01') });
    expect(d.model.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('sends decoder frames (YUV 4:2:0) as upright colour JPEG: the plate is seen where it is', async () => {
    const rgb = await rgbFrame(320, 240, [{ x: 40, y: 60, w: 120 }]);
    // RGB → limited-range BT.601 yuv420p, as the decoder hands frames over.
    const { width: w, height: h } = rgb;
    const yuv = Buffer.alloc(w * h * 1.5);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const i = (y * w + x) * 3;
        const [r, g, b] = [rgb.data[i]!, rgb.data[i + 1]!, rgb.data[i + 2]!];
        yuv[y * w + x] = Math.round(16 + 0.257 * r + 0.504 * g + 0.098 * b);
        if (y % 2 === 0 && x % 2 === 0) {
          const c = (y / 2) * (w / 2) + x / 2;
          yuv[w * h + c] = Math.round(128 - 0.148 * r - 0.291 * g + 0.439 * b);
          yuv[w * h * 1.25 + c] = Math.round(128 + 0.439 * r - 0.368 * g - 0.071 * b);
        }
      }
    const plates = await detector().scan({ width: w, height: h, format: 'yuv420p', data: yuv });
    expect(plates).toHaveLength(1);
    expect(plates[0]!.x).toBeLessThan(45);
    expect(plates[0]!.y).toBeLessThan(64);
    expect(plates[0]!.x + plates[0]!.w).toBeGreaterThan(155);
  });

  it('pads frames smaller than the service minimum (50 px) and maps boxes back', async () => {
    const plates = await detector().scan(await rgbFrame(48, 40, [{ x: 4, y: 10, w: 40 }]));
    expect(fake.requests[0]!.status).toBe(200);
    expect(plates.length).toBeGreaterThanOrEqual(1);
    for (const p of plates) {
      expect(p.x).toBeLessThan(48);
      expect(p.y).toBeLessThan(40);
      expect(p.x + p.w).toBeGreaterThan(4);
    }
  });

  it('401 without a valid bearer token → DetectorUnavailableError at once (no retries)', async () => {
    const err = await detector({}, 'not-the-token').scan(await rgbFrame(64, 64)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DetectorUnavailableError);
    expect(err).toMatchObject({ status: 401, retryable: true, code: 'detector-unavailable' });
    expect((err as Error).message).toMatch(/access denied/);
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]!.authorized).toBe(false);
  });

  it('429 with Retry-After: waits as told, then succeeds', async () => {
    fake.failNext({ status: 429, headers: { 'retry-after': '2' } }, { status: 503, headers: { 'retry-after-ms': '300' } });
    const d = detector();
    const plates = await d.scan(await rgbFrame(320, 240, [{ x: 100, y: 100, w: 94 }]));
    expect(plates).toHaveLength(1);
    expect(waits).toEqual([2000, 300]);
    expect(fake.requests.map((r) => r.status)).toEqual([429, 503, 200]);
    expect(d.stats).toEqual({ calls: 3, frames: 1 });
  });

  it('503 that does not clear → fails closed after the retry budget (retryable)', async () => {
    fake.failNext(...Array.from({ length: 4 }, () => ({ status: 503, headers: { 'retry-after': '1' } })));
    const err = await detector().scan(await rgbFrame(64, 64)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DetectorUnavailableError);
    expect(err).toMatchObject({ status: 503, retryable: true });
    expect((err as Error).message).toMatch(/after 4 attempt/);
    expect(fake.requests).toHaveLength(4);
  });

  it('a Retry-After beyond the budget fails at once instead of blocking the job', async () => {
    fake.failNext({ status: 429, headers: { 'retry-after': '3600' } });
    const err = await detector().scan(await rgbFrame(64, 64)).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 429, retryable: true });
    expect((err as Error).message).toMatch(/3600 s/);
    expect(waits).toEqual([]);
  });

  it('500s are retried with backoff; a 400 (image refused) is not retryable', async () => {
    fake.failNext({ status: 500 });
    expect(await detector().scan(await rgbFrame(64, 64))).toEqual([]);
    expect(waits).toEqual([1000]);
    fake.failNext({ status: 400, code: 'InvalidImageFormat' });
    const err = await detector().scan(await rgbFrame(64, 64)).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 400, retryable: false });
    expect((err as Error).message).toMatch(/InvalidImageFormat/);
  });

  it('a 200 without readResult is not "no plates": it fails closed', async () => {
    fake.failNext({ status: 200, body: { modelVersion: '2023-10-01', metadata: { width: 64, height: 64 }, peopleResult: { values: [] } } });
    const err = await detector().scan(await rgbFrame(64, 64)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DetectorUnavailableError);
    expect((err as Error).message).toMatch(/readResult/);
  });

  it('an endpoint that does not answer (connection refused) fails closed', async () => {
    const down = await startAzureVisionRestFake();
    const endpoint = down.endpoint;
    await down.close();
    const err = await detector({ endpoint, maxAttempts: 2 }).scan(await rgbFrame(64, 64)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DetectorUnavailableError);
    expect((err as Error).message).toMatch(/no answer/);
  });

  it('an untrusted certificate is refused (no TLS shortcuts)', async () => {
    const err = await detector({ clientOptions: {}, maxAttempts: 1 }).scan(await rgbFrame(64, 64)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DetectorUnavailableError);
    expect(fake.requests).toHaveLength(0);
  });

  describe('as the engine’s plate detector', () => {
    beforeAll(async () => {
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true });
    });

    const plateSpec = { text: 'AB12 CDE', path: [{ t: 0, x: 300, y: 240, width: 120 }] };
    const still = { width: 480, height: 320, seed: 9, faces: [{ photo: 2 as const, face: 1, path: [{ t: 0, cx: 130, cy: 120, size: 80 }] }], plates: [plateSpec] };

    function expectPlateObscured(src: Buffer, out: Buffer, width: number, p: PlateTruth): void {
      const box = clip(p.box, width, 1e9)!;
      expect(detailEnergy(out, width, box)).toBeLessThan(detailEnergy(src, width, box) * 0.5);
    }

    it('redacts a still image: plates from the service, faces from the local detector, reported as the plate detector', async () => {
      const input = join(dir, 'still.jpg');
      const truth = await generateSampleImage(input, still, 'jpeg');
      const out = join(dir, 'still-redacted.jpg');
      const d = detector();
      const report = await redactMedia(input, out, { targets: ['faces', 'plates'], style: 'pixelate', subjects: [], keepAudio: false, plateDetector: async () => d });
      expect(fake.requests).toHaveLength(1);
      expect(report.models.find((m) => m.role === 'plate-detector')).toMatchObject({ name: 'azure-ai-vision-read-people' });
      expect(report.tracks.filter((t) => t.class === 'plate')).toHaveLength(1);
      expect(report.tracks.filter((t) => t.class === 'face').length).toBeGreaterThanOrEqual(1);
      expect(report.verification.status).toBe('passed');
      const a = await sharp(input).greyscale().raw().toBuffer();
      const b = await sharp(out).greyscale().raw().toBuffer();
      expectPlateObscured(a, b, 480, truth.plates[0]!);
      expect(JSON.stringify(report)).not.toContain('AB12');
    });

    it('redacts a short video, one call per plate-detection frame', async () => {
      const video = await ensureClip(dir, 'plate-clip', { seconds: 1.2, width: 480, height: 320, fps: 10, seed: 4, faces: [], plates: [{ text: 'XY34 ZZT', path: [{ t: 0, x: 200, y: 200, width: 110 }, { t: 1.2, x: 230, y: 196, width: 112 }] }] });
      const out = join(dir, 'clip-redacted.mp4');
      const d = detector();
      const report = await redactMedia(video.path, out, { targets: ['plates'], style: 'pixelate', subjects: [], keepAudio: false, plateDetector: async () => d });
      expect(fake.requests.length).toBeGreaterThanOrEqual(2);
      expect(fake.requests.length).toBe(d.stats.calls);
      expect(report.tracks.filter((t) => t.class === 'plate').length).toBeGreaterThanOrEqual(1);
      expect(report.regionsObscured).toBeGreaterThanOrEqual(12);
      expect(existsSync(out)).toBe(true);
    });

    it('fails closed: the service is down → no output, no temp file, the error says so', async () => {
      const input = join(dir, 'still-down.jpg');
      await generateSampleImage(input, still, 'jpeg');
      const out = join(dir, 'still-down-redacted.jpg');
      fake.failNext(...Array.from({ length: 4 }, () => ({ status: 503, headers: { 'retry-after': '0' } })));
      const err = await redactMedia(input, out, { targets: ['faces', 'plates'], style: 'pixelate', subjects: [], keepAudio: false, plateDetector: async () => detector() }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DetectorUnavailableError);
      expect(existsSync(out)).toBe(false);
      expect((await readdir(dir)).filter((f) => f.includes('.partial'))).toEqual([]);
    });

    it('CLI: --plates is validated; --plates azure-vision without VISION__endpoint exits 1 with the reason and writes nothing', async () => {
      const { PassThrough } = await import('node:stream');
      const { EXIT, main } = await import('../../cli.js');
      const run = async (...args: string[]) => {
        const stderr = new PassThrough();
        let err = '';
        stderr.on('data', (b: Buffer) => (err += b.toString()));
        const stdout = new PassThrough().resume();
        return { code: await main(args, { stdout, stderr }), err };
      };
      expect((await run('redact', 'in.jpg', '-o', join(dir, 'x.jpg'), '--plates', 'cloud')).code).toBe(EXIT.usage);
      const input = join(dir, 'still-cli.jpg');
      await generateSampleImage(input, still, 'jpeg');
      const saved = process.env.VISION__endpoint;
      delete process.env.VISION__endpoint;
      try {
        const r = await run('redact', input, '-o', join(dir, 'cli-out.jpg'), '--plates', 'azure-vision');
        expect(r.code).toBe(EXIT.error);
        expect(r.err).toMatch(/plate detector unavailable.*VISION__endpoint is not set/);
        expect(existsSync(join(dir, 'cli-out.jpg'))).toBe(false);
      } finally {
        if (saved !== undefined) process.env.VISION__endpoint = saved;
      }
    });

    it('in a queue job: the service down → a retryable failed result (detector-unavailable), nothing uploaded', async () => {
      const input = join(dir, 'still-job.jpg');
      await generateSampleImage(input, still, 'jpeg');
      const bytes = await readFile(input);
      const blobs = new InMemoryFakeBlobStore();
      await blobs.upload('ingest', 't1/i1/e1', bytes);
      fake.failNext(...Array.from({ length: 4 }, () => ({ status: 503, headers: { 'retry-after': '0' } })));
      const { createHash } = await import('node:crypto');
      const result = await handleRedactionJob(
        {
          version: 1,
          jobId: 'job-av',
          tenantId: 't1',
          incidentId: 'i1',
          evidenceId: 'e1',
          attempt: 1,
          mediaKind: 'image',
          source: { container: 'ingest', name: 't1/i1/e1' },
          sourceSha256: createHash('sha256').update(bytes).digest('hex'),
          output: { container: 'evidence', name: 't1/i1/e1/redacted.jpg' },
          report: { container: 'evidence', name: 't1/i1/e1/report.json' },
          targets: ['faces', 'plates'],
          style: 'pixelate',
          subjects: [],
          keepAudio: false,
          encryption: { keyRef: 'unused', wrappedKey: 'unused' } as never,
        },
        {
          blobs,
          tmpDir: dir,
          dataKeys: { open: () => Promise.reject(new Error('must not be reached')) },
          engine: { plateDetector: async () => detector() },
        },
      );
      expect(result).toMatchObject({ outcome: 'failed', code: 'detector-unavailable', retryable: true });
      expect([...blobs.blobs.keys()].filter((k) => k.startsWith('evidence/'))).toEqual([]);
    });
  });
});
