/**
 * Test support — a wire-level fake of Azure AI Vision Image Analysis 4.0, served over HTTPS on
 * loopback (self-signed certificate made at start), so the real `@azure-rest/ai-vision-image-analysis`
 * client (pipeline, bearer-token policy, query serialisation, error handling) runs against it.
 *
 * Implements `POST /computervision/imageanalysis:analyze?api-version=…&features=…` with a binary
 * image body, as the service does:
 * - `401` with the service's error body when the request carries no valid `Authorization: Bearer`;
 * - `400 InvalidRequest` for a missing/unknown api-version or feature, a non-binary content type, an
 *   image that does not decode, or one outside 50…16000 px / 20 MB (inner codes as the service);
 * - `200` with `modelVersion`, `metadata` (the decoded image's size) and, per requested feature,
 *   `readResult.blocks[].lines[]` (text, `boundingPolygon`, words with confidence) and
 *   `peopleResult.values[]` (`boundingBox`, `confidence`);
 * - queued failures (`failNext`) such as 429/503 with `Retry-After`, to test throttling and outages.
 *
 * What the "service" sees in the image is decided by the test (`see`), which receives the decoded
 * RGB pixels: a test can find its synthetic plates in the pixels actually sent.
 */
import { randomBytes } from 'node:crypto';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { createSelfSignedCert } from '../../shared/adapters/keyvault/self-signed-cert.js';

export interface FakePoint {
  x: number;
  y: number;
}
export interface FakeLine {
  text: string;
  boundingPolygon: FakePoint[];
  words: { text: string; boundingPolygon: FakePoint[]; confidence: number }[];
}
export interface FakePerson {
  boundingBox: { x: number; y: number; w: number; h: number };
  confidence: number;
}
export interface FakeScene {
  lines?: FakeLine[];
  people?: FakePerson[];
}
export interface DecodedImage {
  width: number;
  height: number;
  /** Packed RGB. */
  rgb: Buffer;
}

export interface FakeVisionRequest {
  method: string;
  path: string;
  apiVersion: string | null;
  features: string[];
  contentType: string | undefined;
  authorized: boolean;
  /** True when the client sent an API-key header (the adapter must never do that). */
  apiKeyHeader: boolean;
  bytes: number;
  status: number;
}

export interface FakeFailure {
  status: number;
  headers?: Record<string, string>;
  code?: string;
  /** Replaces the JSON body (e.g. a 200 with a malformed body). */
  body?: unknown;
}

export interface AzureVisionRestFake {
  /** Resource endpoint, e.g. `https://127.0.0.1:54321` (the client appends `/computervision`). */
  readonly endpoint: string;
  /** PEM of the self-signed certificate (trust it with an https.Agent `ca`). */
  readonly ca: string;
  /** The only bearer token accepted. */
  readonly token: string;
  readonly requests: FakeVisionRequest[];
  /** Decides what the service "sees" in each image (default: nothing). */
  see(fn: (image: DecodedImage) => FakeScene): void;
  /** The next requests (after auth) fail like this, in order. */
  failNext(...failures: FakeFailure[]): void;
  close(): Promise<void>;
}

export const FAKE_MODEL_VERSION = '2023-10-01';
const API_VERSIONS = ['2023-10-01', '2024-02-01'];
const FEATURES = ['tags', 'caption', 'denseCaptions', 'objects', 'read', 'smartCrops', 'people'];
const MAX_BYTES = 20 * 1024 * 1024;

export async function startAzureVisionRestFake(options: { token?: string } = {}): Promise<AzureVisionRestFake> {
  const tls = createSelfSignedCert();
  const token = options.token ?? randomBytes(16).toString('hex');
  const requests: FakeVisionRequest[] = [];
  const failures: FakeFailure[] = [];
  let seeFn: (image: DecodedImage) => FakeScene = () => ({});

  const server = https.createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BYTES + 1) chunks.push(c);
    });
    req.on('end', () => {
      void (async () => {
        const url = new URL(req.url ?? '/', 'https://fake');
        const features = (url.searchParams.get('features') ?? '').split(',').map((f) => f.trim()).filter(Boolean);
        const entry: FakeVisionRequest = {
          method: req.method ?? '',
          path: url.pathname,
          apiVersion: url.searchParams.get('api-version'),
          features,
          contentType: req.headers['content-type'],
          authorized: req.headers.authorization === `Bearer ${token}`,
          apiKeyHeader: req.headers['ocp-apim-subscription-key'] !== undefined,
          bytes: size,
          status: 0,
        };
        requests.push(entry);
        const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
          entry.status = status;
          res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'apim-request-id': randomBytes(8).toString('hex'), ...headers });
          res.end(JSON.stringify(body));
        };
        const invalid = (inner: string, message: string) => send(400, { error: { code: 'InvalidRequest', message, innererror: { code: inner, message } } }, { 'x-ms-error-code': 'InvalidRequest' });

        if (!entry.authorized) {
          return send(401, { error: { code: '401', message: 'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.' } });
        }
        if (req.method !== 'POST' || url.pathname !== '/computervision/imageanalysis:analyze') {
          return send(404, { error: { code: '404', message: 'Resource not found' } });
        }
        const failure = failures.shift();
        if (failure) {
          if (failure.body !== undefined) return send(failure.status, failure.body, failure.headers);
          const code = failure.code ?? (failure.status === 429 ? '429' : 'ServiceUnavailable');
          return send(failure.status, { error: { code, message: `fake failure ${failure.status}` } }, failure.headers);
        }
        if (!entry.apiVersion) return invalid('InvalidApiVersion', 'The api-version query parameter is missing.');
        if (!API_VERSIONS.includes(entry.apiVersion)) return invalid('InvalidApiVersion', `Unsupported api-version ${entry.apiVersion}.`);
        if (!features.length) return invalid('NotSupportedVisualFeature', 'At least one visual feature must be specified.');
        const unknown = features.find((f) => !FEATURES.some((k) => k.toLowerCase() === f.toLowerCase()));
        if (unknown) return invalid('NotSupportedVisualFeature', `Visual feature ${unknown} is not supported.`);
        if (!entry.contentType?.startsWith('application/octet-stream')) return invalid('InvalidImageFormat', 'Content type must be application/octet-stream for binary input.');
        if (size === 0) return invalid('InvalidImageSize', 'Image is empty.');
        if (size > MAX_BYTES) return invalid('InvalidImageSize', 'Image size must be less than 20MB.');
        let image: DecodedImage;
        try {
          const { data, info } = await sharp(Buffer.concat(chunks)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
          image = { width: info.width, height: info.height, rgb: data };
        } catch {
          return invalid('InvalidImageFormat', 'Input data is not a valid image.');
        }
        if (image.width < 50 || image.height < 50 || image.width > 16000 || image.height > 16000) {
          return invalid('InvalidImageDimension', 'Image dimensions must be between 50 x 50 and 16000 x 16000 pixels.');
        }
        const scene = seeFn(image);
        const want = (f: string) => features.some((x) => x.toLowerCase() === f);
        send(200, {
          modelVersion: FAKE_MODEL_VERSION,
          metadata: { width: image.width, height: image.height },
          ...(want('read') ? { readResult: { blocks: scene.lines?.length ? [{ lines: scene.lines }] : [] } } : {}),
          ...(want('people') ? { peopleResult: { values: scene.people ?? [] } } : {}),
        });
      })().catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    ca: tls.cert,
    token,
    requests,
    see(fn) {
      seeFn = fn;
    },
    failNext(...f) {
      failures.push(...f);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** A text line (and one word per space-separated token) laid along an axis-aligned box. */
export function fakeLine(text: string, box: { x: number; y: number; w: number; h: number }, confidence = 0.95): FakeLine {
  const poly = (x: number, y: number, w: number, h: number): FakePoint[] => [
    { x, y },
    { x: x + w, y },
    { x: x + w, y: y + h },
    { x, y: y + h },
  ];
  const tokens = text.split(' ').filter(Boolean);
  const total = tokens.reduce((s, t) => s + t.length, 0) + Math.max(0, tokens.length - 1);
  let at = 0;
  const words = tokens.map((t) => {
    const x = box.x + (box.w * at) / total;
    const w = (box.w * t.length) / total;
    at += t.length + 1;
    return { text: t, boundingPolygon: poly(Math.round(x), box.y, Math.round(w), box.h), confidence };
  });
  return { text, boundingPolygon: poly(box.x, box.y, box.w, box.h), words };
}
