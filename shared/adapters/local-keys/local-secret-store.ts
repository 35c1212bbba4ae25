/**
 * SecretStore over files in the local key folder (the embedded stack; Key Vault in Azure): one file
 * per secret, `<name>.secret`, mode 0600 in a 0700 folder, written to a private temp file and
 * renamed into place. A file readable by group or others is refused, as for the local KEK.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { KeyUnavailableError } from '../../crypto/errors.js';
import type { SecretStore } from '../../ports/webhooks.js';

const NAME = /^[A-Za-z0-9-]{1,127}$/;

export class LocalSecretStore implements SecretStore {
  private readonly dir: string;
  constructor(directory: string) {
    this.dir = path.resolve(directory);
  }

  private file(name: string): string {
    if (!NAME.test(name)) throw new TypeError('secret names are letters, digits and dashes');
    return path.join(this.dir, `${name}.secret`);
  }

  async set(name: string, value: string): Promise<void> {
    const target = this.file(name);
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    const tmp = `${target}.tmp-${randomBytes(6).toString('hex')}`;
    await fs.writeFile(tmp, value, { mode: 0o600, flag: 'wx' });
    await fs.rename(tmp, target);
  }

  async get(name: string): Promise<string | undefined> {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(this.file(name), 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new KeyUnavailableError('unreachable', 'local-secrets: secret file not readable', { cause: err });
    }
    try {
      const st = await handle.stat();
      if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
        throw new KeyUnavailableError('denied', 'local-secrets: secret file is accessible by group or others (chmod 600)');
      }
      return await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  }

  async delete(name: string): Promise<boolean> {
    try {
      await fs.unlink(this.file(name));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }
}
