/**
 * KeyWrapper backed by RSA key files, for the embedded local stack (no Azure account).
 *
 * - Keys live in one folder as `<name>.v0001.pem`, `<name>.v0002.pem`, … (PKCS#8 PEM, mode 0600,
 *   folder 0700). The highest version is current; older versions stay to unwrap old data keys.
 * - The first use creates v0001; {@link LocalKeyWrapper.rotate} adds the next version. Files are
 *   written to a private temp file and hard-linked into place, so concurrent processes never see a
 *   half-written key and never overwrite one another.
 * - A key file readable or writable by group/others, or owned by another user, is refused
 *   (fail closed), as ssh does for private keys.
 * - Wrapping is RSA-OAEP with SHA-256 (and MGF1-SHA-256), i.e. Key Vault's `RSA-OAEP-256`.
 *
 * This is a development adapter: a key file on a laptop is not an HSM. Production uses
 * {@link ../keyvault/key-vault-key-wrapper.js}.
 */
import { constants, createPrivateKey, createPublicKey, generateKeyPair, privateDecrypt, publicEncrypt, randomBytes, type KeyObject } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { KeyUnavailableError } from '../../crypto/errors.js';
import type { KeyWrapper, WrappedKey } from '../../crypto/key-wrapper.js';

const generateKeyPairAsync = promisify(generateKeyPair);
const NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Options for {@link LocalKeyWrapper}. */
export interface LocalKeyWrapperOptions {
  /** Folder holding the key files (created with mode 0700 if missing). */
  directory: string;
  /** Key name; default "bystander-kek". Lowercase letters, digits and dashes. */
  name?: string;
  /** RSA modulus length for new versions; default 3072. */
  modulusLength?: 2048 | 3072 | 4096;
}

interface LoadedKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/** Local RSA-file implementation of the {@link KeyWrapper} port. */
export class LocalKeyWrapper implements KeyWrapper {
  private readonly dir: string;
  private readonly name: string;
  private readonly modulusLength: number;
  private readonly loaded = new Map<number, LoadedKey>();
  private initializing: Promise<number> | undefined;

  constructor(options: LocalKeyWrapperOptions) {
    this.dir = path.resolve(options.directory);
    this.name = options.name ?? 'bystander-kek';
    if (!NAME_PATTERN.test(this.name)) throw new TypeError('LocalKeyWrapper: invalid key name');
    this.modulusLength = options.modulusLength ?? 3072;
  }

  /** Versioned id of the current (highest) key version, creating v0001 on first use. */
  async currentKeyId(): Promise<string> {
    return this.keyIdOf(await this.currentVersion());
  }

  /** Adds a new key version (KEK rotation); new wraps use it, old wraps still unwrap. */
  async rotate(): Promise<string> {
    const versions = await this.listVersions();
    const next = (versions.at(-1) ?? 0) + 1;
    return this.keyIdOf(await this.createVersion(next));
  }

  async wrap(dataKey: Buffer): Promise<WrappedKey> {
    const version = await this.currentVersion();
    const key = await this.load(version);
    const wrapped = publicEncrypt({ key: key.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, dataKey);
    return { keyId: this.keyIdOf(version), algorithm: 'RSA-OAEP-256', wrapped: wrapped.toString('base64url') };
  }

  async unwrap(w: WrappedKey): Promise<Buffer> {
    if (w.algorithm !== 'RSA-OAEP-256') throw new KeyUnavailableError('rejected', 'local-keys: unsupported algorithm');
    const version = this.parseKeyId(w.keyId);
    const key = await this.load(version);
    try {
      return privateDecrypt(
        { key: key.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
        Buffer.from(w.wrapped, 'base64url'),
      );
    } catch (err) {
      throw new KeyUnavailableError('rejected', 'local-keys: wrapped key does not unwrap with its key version', { cause: err });
    }
  }

  private keyIdOf(version: number): string {
    return `local:${this.name}/v${String(version).padStart(4, '0')}`;
  }

  private parseKeyId(keyId: string): number {
    const m = /^local:([a-z0-9-]+)\/v(\d{4,9})$/.exec(keyId);
    if (!m || m[1] !== this.name) throw new KeyUnavailableError('not-found', 'local-keys: key id does not name this key');
    return Number(m[2]);
  }

  private fileOf(version: number): string {
    return path.join(this.dir, `${this.name}.v${String(version).padStart(4, '0')}.pem`);
  }

  private async listVersions(): Promise<number[]> {
    let entries: string[];
    try {
      entries = await fs.readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw unavailable(err);
    }
    const re = new RegExp(`^${this.name}\\.v(\\d{4,9})\\.pem$`);
    return entries
      .map((e) => re.exec(e)?.[1])
      .filter((v): v is string => v !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
  }

  private async currentVersion(): Promise<number> {
    const versions = await this.listVersions();
    const latest = versions.at(-1);
    if (latest !== undefined) return latest;
    this.initializing ??= this.createVersion(1).finally(() => {
      this.initializing = undefined;
    });
    return this.initializing;
  }

  /** Creates `version` unless it exists already (then the existing file wins). */
  private async createVersion(version: number): Promise<number> {
    try {
      await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
      const { privateKey } = await generateKeyPairAsync('rsa', { modulusLength: this.modulusLength, publicExponent: 0x10001 });
      const pem = privateKey.export({ type: 'pkcs8', format: 'pem' });
      const target = this.fileOf(version);
      const tmp = `${target}.tmp-${randomBytes(6).toString('hex')}`;
      const handle = await fs.open(tmp, 'wx', 0o600);
      try {
        await handle.writeFile(pem);
        await handle.sync();
      } finally {
        await handle.close();
      }
      try {
        await fs.link(tmp, target); // fails with EEXIST instead of overwriting
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      } finally {
        await fs.unlink(tmp);
      }
      return version;
    } catch (err) {
      throw unavailable(err);
    }
  }

  private async load(version: number): Promise<LoadedKey> {
    const cached = this.loaded.get(version);
    if (cached) return cached;
    const file = this.fileOf(version);
    let pem: string;
    try {
      const handle = await fs.open(file, 'r');
      try {
        const st = await handle.stat();
        if (process.platform !== 'win32') {
          if ((st.mode & 0o077) !== 0) {
            throw new KeyUnavailableError('denied', 'local-keys: key file is accessible by group or others (chmod 600)');
          }
          if (typeof process.getuid === 'function' && st.uid !== process.getuid()) {
            throw new KeyUnavailableError('denied', 'local-keys: key file is owned by another user');
          }
        }
        pem = await handle.readFile('utf8');
      } finally {
        await handle.close();
      }
    } catch (err) {
      throw unavailable(err);
    }
    let privateKey: KeyObject;
    try {
      privateKey = createPrivateKey(pem);
    } catch (err) {
      throw new KeyUnavailableError('rejected', 'local-keys: key file is not a valid private key', { cause: err });
    }
    if (privateKey.asymmetricKeyType !== 'rsa') throw new KeyUnavailableError('rejected', 'local-keys: key file is not an RSA key');
    const entry = { privateKey, publicKey: createPublicKey(privateKey) };
    this.loaded.set(version, entry);
    return entry;
  }
}

function unavailable(err: unknown): KeyUnavailableError {
  if (err instanceof KeyUnavailableError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new KeyUnavailableError('not-found', 'local-keys: key version not found', { cause: err });
  if (code === 'EACCES' || code === 'EPERM') return new KeyUnavailableError('denied', 'local-keys: key file not accessible', { cause: err });
  return new KeyUnavailableError('unreachable', 'local-keys: key store failed', { cause: err });
}
