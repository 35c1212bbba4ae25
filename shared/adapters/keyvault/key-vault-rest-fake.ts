/**
 * Test support — a wire-level fake of the Azure Key Vault *keys* REST API, served over HTTPS on
 * loopback, so the real `@azure/keyvault-keys` SDK (pipeline, challenge auth, serialisation) can be
 * exercised without Azure. It implements only what the KeyWrapper adapter uses:
 *
 * - challenge-based auth: a request without a valid bearer token gets
 *   `401 WWW-Authenticate: Bearer authorization="…", resource="https://vault.azure.net"`;
 * - `GET /keys/{name}[/]` (latest version) and `GET /keys/{name}/{version}` → KeyBundle (public JWK);
 * - `POST /keys/{name}/create` and `POST /keys/{name}/rotate` → a new RSA version;
 * - `POST /keys/{name}/{version}/wrapkey|unwrapkey` with `RSA-OAEP-256` (RSA-OAEP, SHA-256).
 *
 * Errors use Key Vault's `{ "error": { "code", "message" } }` body. Real RSA keys are generated per
 * version, so wraps made by the fake are genuine RSA-OAEP-256 ciphertexts.
 */
import { constants, generateKeyPairSync, privateDecrypt, publicEncrypt, randomBytes, type KeyObject } from 'node:crypto';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createSelfSignedCert } from './self-signed-cert.js';

interface FakeKeyVersion {
  version: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  enabled: boolean;
  created: number;
}

/** One request as seen by the fake (for assertions). */
export interface FakeRequestLog {
  method: string;
  path: string;
  authorized: boolean;
  status: number;
}

/** A running Key Vault REST fake. */
export interface KeyVaultRestFake {
  /** Vault URL, e.g. `https://127.0.0.1:54321`. */
  readonly vaultUrl: string;
  /** PEM of the self-signed server certificate (trust it via an https.Agent `ca`). */
  readonly ca: string;
  /** The only bearer token the fake accepts. */
  readonly token: string;
  readonly requests: FakeRequestLog[];
  /** Creates a key (or a new version of it); returns the versioned key id. */
  createKey(name: string): string;
  /** Adds a new version of an existing key (rotation); returns the versioned key id. */
  rotateKey(name: string): string;
  /** Disables one version (operations on it then fail with 403 Forbidden, as in Key Vault). */
  disableVersion(name: string, version: string): void;
  close(): Promise<void>;
}

const CHALLENGE =
  'Bearer authorization="https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000", resource="https://vault.azure.net"';

/** Starts the fake on a free loopback port. */
export async function startKeyVaultRestFake(options: { token?: string; modulusLength?: number } = {}): Promise<KeyVaultRestFake> {
  const tls = createSelfSignedCert();
  const token = options.token ?? randomBytes(16).toString('hex');
  const keys = new Map<string, FakeKeyVersion[]>();
  const requests: FakeRequestLog[] = [];
  let vaultUrl = '';

  const addVersion = (name: string): string => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: options.modulusLength ?? 2048 });
    const v: FakeKeyVersion = { version: randomBytes(16).toString('hex'), privateKey, publicKey, enabled: true, created: Math.floor(Date.now() / 1000) };
    const list = keys.get(name) ?? [];
    list.push(v);
    keys.set(name, list);
    return `${vaultUrl}/keys/${name}/${v.version}`;
  };

  const bundle = (name: string, v: FakeKeyVersion) => {
    const jwk = v.publicKey.export({ format: 'jwk' });
    return {
      key: { kid: `${vaultUrl}/keys/${name}/${v.version}`, kty: 'RSA', key_ops: ['wrapKey', 'unwrapKey', 'encrypt', 'decrypt'], n: jwk.n, e: jwk.e },
      attributes: { enabled: v.enabled, created: v.created, updated: v.created, recoveryLevel: 'Recoverable+Purgeable', recoverableDays: 90 },
    };
  };

  const server = https.createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'https://fake');
      const authorized = req.headers.authorization === `Bearer ${token}`;
      const send = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
        requests.push({ method: req.method ?? '', path: url.pathname, authorized, status });
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-ms-request-id': randomBytes(8).toString('hex'), ...headers });
        res.end(body === undefined ? '' : JSON.stringify(body));
      };
      const error = (status: number, code: string, message: string) => send(status, { error: { code, message } });

      if (!authorized) {
        return send(401, { error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' } }, { 'www-authenticate': CHALLENGE });
      }
      if (!url.searchParams.get('api-version')) return error(400, 'BadParameter', 'api-version is required');

      const parts = url.pathname.split('/').filter((p) => p.length > 0);
      if (parts[0] !== 'keys' || !parts[1]) return error(404, 'NotFound', 'unknown route');
      const name = parts[1];
      const versions = keys.get(name);
      let body: Record<string, unknown> = {};
      try {
        body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
      } catch {
        return error(400, 'BadParameter', 'invalid JSON');
      }

      if (req.method === 'POST' && parts.length === 3 && (parts[2] === 'create' || parts[2] === 'rotate')) {
        if (parts[2] === 'rotate' && !versions) return error(404, 'KeyNotFound', `A key with (name/id) ${name} was not found in this key vault.`);
        addVersion(name);
        const latest = keys.get(name)?.at(-1);
        return latest ? send(200, bundle(name, latest)) : error(500, 'InternalError', 'no version');
      }
      if (!versions) return error(404, 'KeyNotFound', `A key with (name/id) ${name} was not found in this key vault.`);
      const version = parts[2] ?? '';
      const v = version === '' ? versions.at(-1) : versions.find((x) => x.version === version);
      if (!v) return error(404, 'KeyNotFound', `A key with (name/id) ${name}/${version} was not found in this key vault.`);

      if (req.method === 'GET' && parts.length <= 3) return send(200, bundle(name, v));
      if (req.method === 'POST' && parts.length === 4 && (parts[3] === 'wrapkey' || parts[3] === 'unwrapkey')) {
        if (!v.enabled) return error(403, 'Forbidden', 'Operation is not allowed on a disabled key.');
        if (body.alg !== 'RSA-OAEP-256') return error(400, 'BadParameter', 'Unsupported algorithm');
        if (typeof body.value !== 'string') return error(400, 'BadParameter', 'value is required');
        const input = Buffer.from(body.value, 'base64url');
        const kid = `${vaultUrl}/keys/${name}/${v.version}`;
        try {
          const out =
            parts[3] === 'wrapkey'
              ? publicEncrypt({ key: v.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, input)
              : privateDecrypt({ key: v.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, input);
          return send(200, { kid, value: out.toString('base64url') });
        } catch {
          return error(400, 'BadParameter', 'Bad ciphertext');
        }
      }
      return error(405, 'MethodNotAllowed', 'unsupported operation');
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  vaultUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    vaultUrl,
    ca: tls.cert,
    token,
    requests,
    createKey: addVersion,
    rotateKey(name) {
      if (!keys.has(name)) throw new Error(`no key ${name}`);
      return addVersion(name);
    },
    disableVersion(name, version) {
      const v = keys.get(name)?.find((x) => x.version === version);
      if (!v) throw new Error('no such version');
      v.enabled = false;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
