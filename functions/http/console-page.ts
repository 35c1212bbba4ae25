import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../shared/config/config.js';
import type { RawHandler } from './api.js';

/**
 * The investigator console's static files (console/public, and console/dist built by `npm run build:console`), served
 * by the stamp's own Function app at /console/. A strict Content-Security-Policy: scripts and styles
 * from this origin only (no inline script or style), media and images from this origin or the
 * browser's own object URLs (the local file the user marks), and connections to this origin, the
 * stamp's blob endpoint (uploads) and, in Azure, the Entra ID authority (the PKCE token exchange).
 */

const FILE = /^[a-z0-9][a-z0-9-]{0,62}\.(js|css|html|svg)$/;
const TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  html: 'text/html; charset=utf-8',
  svg: 'image/svg+xml',
};

/** The console folder: beside the sources (tsx), or above the compiled dist/functions/http. */
function consoleDir(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  return [join(here, '..', '..', 'console'), join(here, '..', '..', '..', 'console')].find((d) => existsSync(join(d, 'public', 'index.html')));
}

/** Origin of the blob service that upload URLs point at (account endpoint or Azurite). */
export function blobOriginOf(config: Pick<Config, 'STORAGE__blobServiceUri' | 'STORAGE_CONNECTION_STRING'>): string | undefined {
  if (config.STORAGE__blobServiceUri) return new URL(config.STORAGE__blobServiceUri).origin;
  const endpoint = /(?:^|;)BlobEndpoint=([^;]+)/i.exec(config.STORAGE_CONNECTION_STRING ?? '')?.[1];
  if (endpoint) return new URL(endpoint).origin;
  if (/UseDevelopmentStorage=true/i.test(config.STORAGE_CONNECTION_STRING ?? '')) return 'http://127.0.0.1:10000';
  return undefined;
}

export function consoleCsp(config: Pick<Config, 'STORAGE__blobServiceUri' | 'STORAGE_CONNECTION_STRING' | 'CONSOLE_ENTRA_AUTHORITY' | 'BYSTANDER_MODE'>): string {
  const connect = ["'self'", blobOriginOf(config), config.BYSTANDER_MODE === 'azure' && config.CONSOLE_ENTRA_AUTHORITY ? new URL(config.CONSOLE_ENTRA_AUTHORITY).origin : undefined].filter(Boolean);
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' blob:",
    "media-src 'self' blob:",
    `connect-src ${connect.join(' ')}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=()',
  'x-robots-tag': 'noindex, nofollow',
};

const cache = new Map<string, Buffer>();

async function serve(file: string, config: Config) {
  const headers = { ...SECURITY_HEADERS, 'content-security-policy': consoleCsp(config), 'cache-control': 'no-cache' };
  const dir = consoleDir();
  const text = (status: number, detail: string) => ({ status, headers: { ...headers, 'content-type': 'text/plain; charset=utf-8' }, body: detail });
  if (!FILE.test(file) || !dir) return dir ? text(404, 'not found') : text(503, 'the console is missing from this deployment');
  let body = cache.get(file);
  if (!body) {
    // Scripts are compiled into console/dist (npm run build:console); the page and stylesheet are console/public.
    const path = join(dir, file.endsWith('.js') ? 'dist' : 'public', file);
    try {
      body = await readFile(path);
    } catch {
      return file.endsWith('.js') && !existsSync(join(dir, 'dist')) ? text(503, 'the console is not built (npm run build:console)') : text(404, 'not found');
    }
    if (config.BYSTANDER_MODE === 'azure') cache.set(file, body); // locally a rebuild shows at once
  }
  return { status: 200, headers: { ...headers, 'content-type': TYPES[file.split('.').pop()!]! }, body };
}

/** GET /console — the console page. */
export const consoleIndexHandler: RawHandler = async (_req, _ctx, env) => serve('index.html', env.app.deps.config);

/** GET /console/{file} — its scripts and stylesheet (flat allowlisted names only). */
export const consoleFileHandler: RawHandler = async (req, _ctx, env) => serve(req.params.file ?? '', env.app.deps.config);
