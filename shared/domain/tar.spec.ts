import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readTar, tarHeader, tarStream } from './tar.js';

async function collect(gen: AsyncIterable<Buffer>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of gen) out.push(c);
  return Buffer.concat(out);
}

describe('minimal ustar writer (privacy export bundles)', () => {
  it('round-trips buffers and streams, pads to 512-byte blocks, handles long names with a prefix', async () => {
    const long = `incidents/${'a'.repeat(40)}/media/${'b'.repeat(50)}-${'c'.repeat(36)}.mp4`;
    const archive = await collect(
      tarStream([
        { name: 'manifest.json', size: 2, body: Buffer.from('{}') },
        { name: long, size: 1000, body: Readable.from([Buffer.alloc(600, 1), Buffer.alloc(400, 2)]) },
      ]),
    );
    expect(archive.length % 512).toBe(0);
    const entries = readTar(archive);
    expect(entries.map((e) => e.name)).toEqual(['manifest.json', long]);
    expect(entries[1]!.data).toEqual(Buffer.concat([Buffer.alloc(600, 1), Buffer.alloc(400, 2)]));
  });

  it('is readable by the system tar when one is installed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tar-spec-'));
    const file = join(dir, 'x.tar');
    writeFileSync(file, await collect(tarStream([{ name: 'incidents/i-1/record.json', size: 3, body: Buffer.from('abc') }])));
    let listing: string;
    try {
      listing = execFileSync('tar', ['-tf', file], { encoding: 'utf8' });
    } catch {
      return; // no tar binary here
    }
    expect(listing.trim()).toBe('incidents/i-1/record.json');
  });

  it('refuses unsafe names and a body whose size differs from the declared one', async () => {
    expect(() => tarHeader('../etc/passwd', 1)).toThrow(/unsafe/);
    expect(() => tarHeader('/abs', 1)).toThrow(/unsafe/);
    await expect(collect(tarStream([{ name: 'a', size: 5, body: Readable.from([Buffer.alloc(3)]) }]))).rejects.toThrow(/declared/);
  });
});
