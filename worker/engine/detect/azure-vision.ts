/**
 * Azure AI Vision — Image Analysis 4.0 (`@azure-rest/ai-vision-image-analysis`, `features=read,people`)
 * as a plate detector for still images and for cloud deployments.
 *
 * What it does
 * - **Plates** from Read (OCR): every text line whose oriented box, grown from the characters to
 *   the plate (the same growth as the local PP-OCRv4 detector), has a plate's shape (aspect
 *   1.6–10, ≥ 6 px high, narrower than half the frame) and 2–10 letters/digits. A line that fails
 *   (a plate read together with the dealer's name beside it) is retried as runs of 1–3 consecutive
 *   words that contain a digit. Any text of that shape is obscured: false positives cost obscured
 *   area, never privacy.
 * - **People** from People: person boxes (confidence ≥ 0.5), returned by {@link AzureVisionDetector.analyse}
 *   for callers that want them. They are not faces and the engine never treats them as faces.
 *
 * What it cannot do
 * - **Faces.** Image Analysis 4.0 has no face feature (face detection is the separate, Limited
 *   Access Face API). Faces always come from the local BlazeFace scanner, and the independent
 *   verifier (also local) checks the output whichever plate detector ran.
 * - Plates OCR cannot read (tiny, blurred, dirty, steep angle) are missed, where the local text
 *   detector — which finds text-like regions without reading them — may still find them.
 * - Video cost: one HTTPS call per analysed frame (the plate cadence). Use it for stills and
 *   for short clips; the local detector is the default for video.
 * - Frames leave the worker: they are sent (JPEG) to the configured Vision resource. Use a
 *   resource in the same geography as the incident's data. Recognised text is never kept or
 *   logged (a plate number is personal data): only boxes leave this module.
 *
 * Auth and configuration: `VISION__endpoint` (https), managed identity (`VISION__clientId` →
 * ManagedIdentityCredential, otherwise DefaultAzureCredential); the identity needs the
 * "Cognitive Services User" role on the resource. API keys are refused.
 *
 * Fails closed: any failure (network, TLS, 401/403, 5xx, throttling beyond the retry budget, a
 * malformed or partial answer) throws {@link DetectorUnavailableError}; the engine then removes its
 * temp output, so nothing unredacted is ever published. 429/503 with Retry-After are retried
 * (bounded); a wait longer than `maxRetryAfterMs` fails at once (retryable: the queue redelivers).
 */
import { createHash } from 'node:crypto';
import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import visionModule, { type ImageAnalysisClient, type ImageAnalysisClientOptions } from '@azure-rest/ai-vision-image-analysis';
import sharp from 'sharp';
import { z } from 'zod';
import type { Frame, Rect } from '../frame.js';
import type { ModelInfo } from '../models.js';

// The package is CommonJS: Node's ESM loader hands us module.exports (the factory is its
// `default`); some loaders (vitest) hand us the factory itself.
type CreateClient = typeof visionModule.default;
const createClient: CreateClient =
  typeof (visionModule as unknown) === 'function' ? (visionModule as unknown as CreateClient) : visionModule.default;

export const AZURE_VISION_API_VERSION = '2024-02-01';
export const AZURE_VISION_FEATURES = ['read', 'people'] as const;

/** The detector could not give an answer; the job must fail (never publish) and may be retried. */
export class DetectorUnavailableError extends Error {
  override name = 'DetectorUnavailableError';
  readonly code = 'detector-unavailable';
  constructor(
    message: string,
    /** False when retrying cannot help (the service refused this image as invalid). */
    readonly retryable = true,
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface VisionPlateParams {
  /** Plate-like width/height range of the grown box (as the local detector). */
  minAspect: number;
  maxAspect: number;
  /** Minimum height of the grown box in frame pixels. */
  minHeight: number;
  /** Widest plausible plate as a share of the frame width. */
  maxWidthShare: number;
  /** Letters and digits a plate line may have. */
  minChars: number;
  maxChars: number;
  /** Growth from the text to the plate on each side, as a share of the text's width / height. */
  growX: number;
  growY: number;
}

export const DEFAULT_VISION_PLATES: VisionPlateParams = {
  minAspect: 1.6,
  maxAspect: 10,
  minHeight: 6,
  maxWidthShare: 0.5,
  minChars: 2,
  maxChars: 10,
  growX: 0.15,
  growY: 0.2,
};

export interface AzureVisionOptions {
  /** `https://<resource>.cognitiveservices.azure.com` */
  endpoint: string;
  /** Entra ID credential (managed identity in Azure). */
  credential: TokenCredential;
  apiVersion?: string;
  plates?: Partial<VisionPlateParams>;
  /** People below this confidence are dropped (the service reports many weak candidates). */
  minPersonConfidence?: number;
  /** Calls per frame including retries (default 4). */
  maxAttempts?: number;
  /** A Retry-After longer than this fails the frame at once instead of waiting (default 20 s). */
  maxRetryAfterMs?: number;
  /** Wait between attempts when the service gives no Retry-After (default 1 s, doubling). */
  retryDelayMs?: number;
  /** Per-call timeout (default 30 s). */
  timeoutMs?: number;
  /** Passed to the REST client (an https.Agent for tests, proxy settings…); retries stay ours. */
  clientOptions?: ImageAnalysisClientOptions;
  sleep?: (ms: number) => Promise<void>;
}

export type ScoredRect = Rect & { score: number };

export interface VisionAnalysis {
  width: number;
  height: number;
  modelVersion: string;
  plates: ScoredRect[];
  people: ScoredRect[];
}

// The part of the service's answer we rely on, checked: a partial answer must not pass as "nothing found".
const Point = z.object({ x: z.number(), y: z.number() });
const Line = z.object({
  text: z.string(),
  boundingPolygon: z.array(Point).min(3),
  words: z.array(z.object({ text: z.string(), boundingPolygon: z.array(Point).min(3), confidence: z.number() })).default([]),
});
const AnalysisSchema = z.object({
  modelVersion: z.string(),
  metadata: z.object({ width: z.number().positive(), height: z.number().positive() }),
  readResult: z.object({ blocks: z.array(z.object({ lines: z.array(Line) })) }),
  peopleResult: z.object({
    values: z.array(z.object({ boundingBox: z.object({ x: z.number(), y: z.number(), w: z.number(), h: z.number() }), confidence: z.number() })),
  }),
});
type ReadLine = z.infer<typeof Line>;
type Polygon = { x: number; y: number }[];

/** Settings from the environment (Functions / Container Apps app-setting names). */
export interface VisionSettings {
  endpoint: string;
  clientId?: string;
}

export function visionSettingsFromEnv(env: Record<string, string | undefined> = process.env): VisionSettings {
  if (env.VISION__key || env.VISION_KEY || env.VISION__apiKey) {
    throw new Error('Azure AI Vision: API keys are not accepted (remove VISION__key / VISION_KEY); grant the managed identity "Cognitive Services User" instead');
  }
  const endpoint = env.VISION__endpoint;
  if (!endpoint) throw new Error('Azure AI Vision: VISION__endpoint is not set (e.g. https://<resource>.cognitiveservices.azure.com)');
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new Error('Azure AI Vision: VISION__endpoint is not a URL');
  }
  if (url.protocol !== 'https:') throw new Error('Azure AI Vision: VISION__endpoint must be https');
  if (url.username || url.password || url.search) throw new Error('Azure AI Vision: VISION__endpoint must be a plain https origin (no credentials or query)');
  return { endpoint: url.origin, ...(env.VISION__clientId ? { clientId: env.VISION__clientId } : {}) };
}

/** Managed identity: the user-assigned one named by `clientId`, otherwise DefaultAzureCredential. */
export function visionCredential(clientId?: string): TokenCredential {
  return clientId ? new ManagedIdentityCredential({ clientId }) : new DefaultAzureCredential();
}

/**
 * Plate (and person) detector backed by Image Analysis 4.0. Shaped like the local PlateScanner
 * (`model`, `scan`, `scanAround`, `release`) so the engine can use either.
 */
export class AzureVisionDetector {
  private readonly client: ImageAnalysisClient;
  private readonly apiVersion: string;
  private readonly plateParams: VisionPlateParams;
  private readonly o: Required<Pick<AzureVisionOptions, 'maxAttempts' | 'maxRetryAfterMs' | 'retryDelayMs' | 'timeoutMs' | 'minPersonConfidence'>>;
  private readonly sleep: (ms: number) => Promise<void>;
  private modelVersion = 'unknown';
  /** Calls made (including retries) and frames analysed, for tests and logs. */
  readonly stats = { calls: 0, frames: 0 };

  constructor(options: AzureVisionOptions) {
    const url = new URL(options.endpoint);
    if (url.protocol !== 'https:') throw new TypeError('AzureVisionDetector: endpoint must be https');
    this.apiVersion = options.apiVersion ?? AZURE_VISION_API_VERSION;
    this.client = createClient(url.origin, options.credential, {
      ...options.clientOptions,
      apiVersion: this.apiVersion,
      // Retries are ours (bounded waits, fail-closed errors); the pipeline must not wait unboundedly.
      retryOptions: { maxRetries: 0 },
    });
    this.plateParams = { ...DEFAULT_VISION_PLATES, ...options.plates };
    this.o = {
      maxAttempts: Math.max(1, options.maxAttempts ?? 4),
      maxRetryAfterMs: options.maxRetryAfterMs ?? 20_000,
      retryDelayMs: options.retryDelayMs ?? 1000,
      timeoutMs: options.timeoutMs ?? 30_000,
      minPersonConfidence: options.minPersonConfidence ?? 0.5,
    };
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** From `VISION__endpoint` / `VISION__clientId` (managed identity only). */
  static fromEnv(env: Record<string, string | undefined> = process.env, options: Partial<AzureVisionOptions> = {}): AzureVisionDetector {
    let s: VisionSettings;
    try {
      s = visionSettingsFromEnv(env);
    } catch (err) {
      throw new DetectorUnavailableError(`${(err as Error).message} (BYSTANDER_PLATE_DETECTOR=azure-vision)`);
    }
    return new AzureVisionDetector({ endpoint: s.endpoint, credential: visionCredential(s.clientId), ...options });
  }

  /**
   * Identifies the remote model in the report. There is no weights file to hash: the SHA-256 is of
   * the service descriptor (API version, features, model version the service reported).
   */
  get model(): ModelInfo {
    const version = `image-analysis-4.0/api-${this.apiVersion}/model-${this.modelVersion}/features-${AZURE_VISION_FEATURES.join('+')}`;
    return { name: 'azure-ai-vision-read-people', version, sha256: createHash('sha256').update(version).digest('hex') };
  }

  async scan(frame: Frame): Promise<ScoredRect[]> {
    return (await this.analyse(frame)).plates;
  }

  /** One call sees the whole frame anyway: focused scans are whole-frame scans here. */
  scanAround(frame: Frame, _boxes: readonly Rect[]): Promise<ScoredRect[]> {
    return this.scan(frame);
  }

  async release(): Promise<void> {
    // Nothing held: the REST client keeps no open resources beyond the (caller's) agent.
  }

  /** Sends one frame (as JPEG) and returns plates and people in frame pixels. */
  async analyse(frame: Frame, signal?: AbortSignal): Promise<VisionAnalysis> {
    const image = await encodeFrame(frame);
    const result = await this.analyseImage(image.bytes, signal);
    this.stats.frames++;
    // The service answers in the pixels of the image it got (padded up to 50 px where needed).
    const sx = image.width / result.metadata.width;
    const sy = image.height / result.metadata.height;
    const scale = (r: ScoredRect): ScoredRect => ({ x: r.x * sx, y: r.y * sy, w: r.w * sx, h: r.h * sy, score: r.score });
    const inside = (r: ScoredRect) => r.x < frame.width && r.y < frame.height && r.x + r.w > 0 && r.y + r.h > 0;
    return {
      width: frame.width,
      height: frame.height,
      modelVersion: result.modelVersion,
      plates: platesFromRead(result.readResult.blocks.flatMap((b) => b.lines), this.plateParams, frame.width).map(scale).filter(inside),
      people: result.peopleResult.values
        .filter((p) => p.confidence >= this.o.minPersonConfidence)
        .map((p) => scale({ ...p.boundingBox, score: p.confidence }))
        .filter(inside),
    };
  }

  /** Calls `imageanalysis:analyze` with an encoded image (JPEG/PNG/WebP…), with bounded retries. */
  async analyseImage(bytes: Uint8Array, signal?: AbortSignal): Promise<z.infer<typeof AnalysisSchema>> {
    let lastError: DetectorUnavailableError | undefined;
    for (let attempt = 1; attempt <= this.o.maxAttempts; attempt++) {
      if (signal?.aborted) throw new DetectorUnavailableError('Azure AI Vision: aborted');
      this.stats.calls++;
      let wait = this.o.retryDelayMs * 2 ** (attempt - 1);
      try {
        const res = await this.client.path('/imageanalysis:analyze').post({
          contentType: 'application/octet-stream',
          body: bytes,
          queryParameters: { features: [...AZURE_VISION_FEATURES] },
          timeout: this.o.timeoutMs,
          ...(signal ? { abortSignal: signal } : {}),
        });
        const status = Number(res.status);
        if (status === 200) {
          const parsed = AnalysisSchema.safeParse(res.body);
          if (!parsed.success) {
            throw new DetectorUnavailableError(`Azure AI Vision: the answer lacks ${parsed.error.issues[0]?.path.join('.') || 'expected fields'} (refusing to treat it as "nothing found")`);
          }
          this.modelVersion = parsed.data.modelVersion;
          return parsed.data;
        }
        const code = errorCode(res.body) ?? res.headers['x-ms-error-code'];
        const what = `Azure AI Vision: HTTP ${status}${code ? ` ${code}` : ''}`;
        if (status === 429 || status === 503) {
          const retryAfter = retryAfterMs(res.headers);
          if (retryAfter !== undefined && retryAfter > this.o.maxRetryAfterMs) {
            throw new DetectorUnavailableError(`${what}: asked to wait ${Math.round(retryAfter / 1000)} s (over the ${Math.round(this.o.maxRetryAfterMs / 1000)} s budget)`, true, status);
          }
          if (retryAfter !== undefined) wait = retryAfter;
          lastError = new DetectorUnavailableError(`${what} (throttled or unavailable)`, true, status);
        } else if (status === 401 || status === 403) {
          // Identity or role problem: not this image's fault, so retryable once fixed; no point in retrying now.
          throw new DetectorUnavailableError(`${what}: access denied (managed identity needs "Cognitive Services User")`, true, status);
        } else if (status >= 400 && status < 500 && status !== 408) {
          throw new DetectorUnavailableError(`${what}: the service refused the image`, false, status);
        } else {
          lastError = new DetectorUnavailableError(what, true, status);
        }
      } catch (err) {
        if (err instanceof DetectorUnavailableError) throw err;
        if (signal?.aborted) throw new DetectorUnavailableError('Azure AI Vision: aborted');
        // Network, TLS, timeout, token acquisition: no answer.
        lastError = new DetectorUnavailableError(`Azure AI Vision: no answer (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
      }
      if (attempt < this.o.maxAttempts) await this.sleep(wait);
    }
    throw new DetectorUnavailableError(`${lastError?.message ?? 'Azure AI Vision: no answer'} after ${this.o.maxAttempts} attempt(s)`, true, lastError?.status);
  }
}

function errorCode(body: unknown): string | undefined {
  const e = (body as { error?: { code?: unknown; innererror?: { code?: unknown } } } | undefined)?.error;
  const inner = e?.innererror?.code;
  const code = typeof inner === 'string' ? inner : typeof e?.code === 'string' ? e.code : undefined;
  return code?.replace(/[^\w.-]/g, '').slice(0, 64);
}

/** Retry-After (seconds or HTTP date) / retry-after-ms, in milliseconds. */
export function retryAfterMs(headers: Record<string, string | undefined>, now = Date.now()): number | undefined {
  const ms = Number(headers['retry-after-ms'] ?? headers['x-ms-retry-after-ms'] ?? NaN);
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const ra = headers['retry-after'];
  if (!ra) return undefined;
  const s = Number(ra);
  if (Number.isFinite(s) && s >= 0) return s * 1000;
  const date = Date.parse(ra);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

/** Oriented size of a text polygon (corners in reading order) and its axis-aligned bounds. */
function measure(poly: Polygon): { ow: number; oh: number; bounds: Rect } {
  const d = (a: { x: number; y: number }, b: { x: number; y: number }) => Math.hypot(a.x - b.x, a.y - b.y);
  const xs = poly.map((p) => p.x);
  const ys = poly.map((p) => p.y);
  const bounds = { x: Math.min(...xs), y: Math.min(...ys), w: Math.max(...xs) - Math.min(...xs), h: Math.max(...ys) - Math.min(...ys) };
  if (poly.length !== 4) return { ow: bounds.w, oh: bounds.h, bounds };
  const [p0, p1, p2, p3] = poly as [Polygon[0], Polygon[0], Polygon[0], Polygon[0]];
  return { ow: (d(p0, p1) + d(p3, p2)) / 2, oh: (d(p1, p2) + d(p0, p3)) / 2, bounds };
}

/**
 * Plate candidates from Read lines: the box grown from the characters to the plate, kept when it
 * has a plate's shape and a plate's number of characters; a line that fails is retried as runs of
 * 1–3 consecutive words. Text is used for counting only and is not returned.
 */
export function platesFromRead(lines: readonly ReadLine[], p: VisionPlateParams, frameWidth: number): ScoredRect[] {
  const candidate = (poly: Polygon, text: string, score: number): ScoredRect | undefined => {
    const chars = (text.match(/[\p{L}\p{N}]/gu) ?? []).length;
    if (chars < p.minChars || chars > p.maxChars) return undefined;
    const { ow, oh, bounds } = measure(poly);
    const gw = ow * (1 + 2 * p.growX);
    const gh = oh * (1 + 2 * p.growY);
    if (!(gh >= p.minHeight) || gw / gh < p.minAspect || gw / gh > p.maxAspect || gw >= frameWidth * p.maxWidthShare) return undefined;
    const mx = ow * p.growX;
    const my = oh * p.growY;
    return { x: bounds.x - mx, y: bounds.y - my, w: bounds.w + 2 * mx, h: bounds.h + 2 * my, score };
  };
  const out: ScoredRect[] = [];
  for (const line of lines) {
    const words = line.words;
    const score = words.length ? words.reduce((s, w) => s + w.confidence, 0) / words.length : 1;
    const whole = candidate(line.boundingPolygon, line.text, score);
    if (whole) {
      out.push(whole);
      continue;
    }
    // Runs of consecutive words, longest first, that contain a digit (a plate read together with
    // the text beside it; a sign's words without digits are left alone); a word is covered once.
    const used = new Set<number>();
    for (let len = Math.min(3, words.length); len >= 1; len--) {
      for (let i = 0; i + len <= words.length; i++) {
        if ([...Array(len).keys()].some((k) => used.has(i + k))) continue;
        const run = words.slice(i, i + len);
        if (!run.some((w) => /\p{N}/u.test(w.text))) continue;
        const c = candidate(run.flatMap((w) => w.boundingPolygon), run.map((w) => w.text).join(' '), run.reduce((s, w) => s + w.confidence, 0) / len);
        if (c) {
          out.push(c);
          for (let k = 0; k < len; k++) used.add(i + k);
        }
      }
    }
  }
  return out;
}

/**
 * JPEG of a frame (sRGB, no metadata). The service wants ≥ 50 px per side: smaller frames are padded
 * (right/bottom, so coordinates stay the same).
 */
async function encodeFrame(frame: Frame): Promise<{ bytes: Buffer; width: number; height: number }> {
  const rgb = frame.format === 'rgb24' ? frame.data : yuv420pToRgb(frame);
  let img = sharp(rgb, { raw: { width: frame.width, height: frame.height, channels: 3 } });
  const padR = Math.max(0, 50 - frame.width);
  const padB = Math.max(0, 50 - frame.height);
  if (padR || padB) img = img.extend({ right: padR, bottom: padB, background: '#000000' });
  return { bytes: await img.jpeg({ quality: 92 }).toBuffer(), width: frame.width + padR, height: frame.height + padB };
}

/** BT.601 limited-range YUV 4:2:0 → packed RGB (as the decoder's yuv420p frames are). */
export function yuv420pToRgb(frame: Frame): Buffer {
  const { width: w, height: h, data } = frame;
  const cw = Math.ceil(w / 2);
  const uOff = w * h;
  const vOff = uOff + cw * Math.ceil(h / 2);
  const out = Buffer.allocUnsafe(w * h * 3);
  for (let y = 0; y < h; y++) {
    const crow = (y >> 1) * cw;
    for (let x = 0; x < w; x++) {
      const Y = 1.164 * (data[y * w + x]! - 16);
      const U = data[uOff + crow + (x >> 1)]! - 128;
      const V = data[vOff + crow + (x >> 1)]! - 128;
      const o = (y * w + x) * 3;
      out[o] = clamp255(Y + 1.596 * V);
      out[o + 1] = clamp255(Y - 0.392 * U - 0.813 * V);
      out[o + 2] = clamp255(Y + 2.017 * U);
    }
  }
  return out;
}

function clamp255(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}
