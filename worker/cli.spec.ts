import { mkdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { EXIT, main, parseSubject } from './cli.js';

function io() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (b: Buffer) => (out += b.toString()));
  stderr.on('data', (b: Buffer) => (err += b.toString()));
  return { io: { stdout, stderr }, out: () => out, err: () => err };
}

describe('bystander redact CLI', () => {
  it('parses subject hints', () => {
    expect(parseSubject('12.5:100,40,80,200')).toEqual({ atSeconds: 12.5, box: { x: 100, y: 40, w: 80, h: 200 } });
    expect(() => parseSubject('12:1,2,3')).toThrow(/seconds/);
  });

  it('exits 2 on usage errors', async () => {
    const a = io();
    expect(await main(['redact', 'in.mp4'], a.io)).toBe(EXIT.usage);
    expect(a.err()).toMatch(/-o <output> is required/);
    expect(await main(['in.mp4', '-o', 'x.mp4', '--style', 'crayon'], io().io)).toBe(EXIT.usage);
    expect(await main(['in.mp4', '-o', 'x.mp4', '--subject', 'soon'], io().io)).toBe(EXIT.usage);
    expect(await main(['in.mp4', '-o', 'x.mp4', '--targets', 'faces,cats'], io().io)).toBe(EXIT.usage);
  });

  it('exits 3 with the reason when the input is rejected, and writes nothing', async () => {
    const dir = join(process.cwd(), '.test-data', 'worker-cli');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'empty.mp4'), '');
    const a = io();
    expect(await main(['redact', join(dir, 'empty.mp4'), '-o', join(dir, 'out.mp4')], a.io)).toBe(EXIT.rejected);
    expect(a.err()).toMatch(/media-empty/);
    expect(existsSync(join(dir, 'out.mp4'))).toBe(false);
  });
});
