/**
 * A minimal streaming POSIX ustar writer (regular files only) for privacy-request export bundles:
 * no dependency, constant memory — each entry's body is streamed, its size must be known upfront.
 * Gzip it with node:zlib. Any `tar` (GNU, bsdtar, 7-Zip, Windows tar.exe) reads the result.
 */

export interface TarEntry {
  /** Relative path with `/` separators, ASCII letters, digits, `._-/` only. */
  name: string;
  size: number;
  body: Buffer | AsyncIterable<Buffer | Uint8Array>;
  mtime?: Date;
}

const BLOCK = 512;
const SAFE_NAME = /^(?!\/)(?!.*\.\.)[A-Za-z0-9._\-/]{1,255}$/;

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

/** The 512-byte ustar header for one regular file. */
export function tarHeader(name: string, size: number, mtime = new Date(0)): Buffer {
  if (!SAFE_NAME.test(name)) throw new RangeError(`tar: unsafe entry name ${JSON.stringify(name)}`);
  if (!Number.isSafeInteger(size) || size < 0 || size >= 8 ** 11) throw new RangeError('tar: entry size out of range');
  let prefix = '';
  let base = name;
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', 155);
    if (cut <= 0 || name.length - cut - 1 > 100) throw new RangeError(`tar: name too long ${name}`);
    prefix = name.slice(0, cut);
    base = name.slice(cut + 1);
  }
  const h = Buffer.alloc(BLOCK, 0);
  h.write(base, 0, 100, 'ascii');
  h.write(octal(0o644, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(Math.floor(mtime.getTime() / 1000), 12), 136, 'ascii');
  h.write('        ', 148, 'ascii'); // checksum placeholder: eight spaces
  h.write('0', 156, 'ascii'); // regular file
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  h.write(prefix, 345, 155, 'ascii');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}

/** Streams a tar archive of `entries` (taken one at a time, so bodies open lazily). */
export async function* tarStream(entries: Iterable<TarEntry> | AsyncIterable<TarEntry>): AsyncGenerator<Buffer> {
  for await (const entry of entries) {
    yield tarHeader(entry.name, entry.size, entry.mtime);
    let written = 0;
    if (Buffer.isBuffer(entry.body)) {
      written = entry.body.length;
      yield entry.body;
    } else {
      for await (const chunk of entry.body) {
        const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
        written += buf.length;
        if (written > entry.size) throw new Error(`tar: ${entry.name} is longer than declared`);
        yield buf;
      }
    }
    if (written !== entry.size) throw new Error(`tar: ${entry.name} is ${written} bytes, declared ${entry.size}`);
    const pad = (BLOCK - (entry.size % BLOCK)) % BLOCK;
    if (pad) yield Buffer.alloc(pad);
  }
  yield Buffer.alloc(2 * BLOCK);
}

/** Reads a (small, uncompressed) tar archive: for tests and verification. */
export function readTar(archive: Buffer): Array<{ name: string; data: Buffer }> {
  const out: Array<{ name: string; data: Buffer }> = [];
  for (let off = 0; off + BLOCK <= archive.length; ) {
    const h = archive.subarray(off, off + BLOCK);
    if (h.every((b) => b === 0)) break;
    const str = (start: number, len: number) => h.subarray(start, start + len).toString('ascii').replace(/\0.*$/s, '');
    const prefix = str(345, 155);
    const name = prefix ? `${prefix}/${str(0, 100)}` : str(0, 100);
    const size = parseInt(str(124, 12).trim() || '0', 8);
    out.push({ name, data: Buffer.from(archive.subarray(off + BLOCK, off + BLOCK + size)) });
    off += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
  }
  return out;
}
