import { describe, expect, it } from 'vitest';
import { main, uploadProgress } from './upload.js';
import { blockId, blockRanges, blockSizeFor, MAX_BLOCKS } from '../shared/uploads/blocks.js';

function sink(isTTY: boolean) {
  const out = { text: '', isTTY, columns: 100, write: (s: string) => ((out.text += s), true) };
  return out;
}

describe('bystander upload: progress', () => {
  it('on a terminal: one bar redrawn in place (at most every 100 ms), a newline at the end', () => {
    const out = sink(true);
    let t = 0;
    const p = uploadProgress(out as never, 100 * 1024 * 1024, () => t);
    p.phase('uploading');
    for (let i = 0; i < 25; i++) {
      t += 40;
      p.add(4 * 1024 * 1024);
    }
    p.done();
    const frames = out.text.split('\r').filter(Boolean);
    expect(frames.length).toBeGreaterThan(3);
    expect(frames.length).toBeLessThan(25); // throttled
    expect(out.text).not.toMatch(/\n.*\n/); // one line, redrawn
    expect(frames.at(-1)).toMatch(/^\[#{10,}\] uploading 100\.0\/100\.0 MiB .*\n$/);
  });

  it('not a terminal: a plain line every 5 s and one at the end (no carriage returns)', () => {
    const out = sink(false);
    let t = 0;
    const p = uploadProgress(out as never, 40 * 1024 * 1024, () => t);
    p.phase('uploading');
    for (let i = 0; i < 10; i++) {
      t += 1500;
      p.add(4 * 1024 * 1024);
    }
    p.done();
    const lines = out.text.trim().split('\n');
    expect(out.text).not.toContain('\r');
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(lines.length).toBeLessThanOrEqual(5);
    expect(lines.at(-1)).toMatch(/^100%\s+uploading 40\.0\/40\.0 MiB/);
  });

  it('usage errors exit 2, --help exits 0', async () => {
    const io = { stdout: sink(false), stderr: sink(false) };
    expect(await main(['only-one-arg'], io as never, {})).toBe(2);
    expect(io.stderr.text).toMatch(/^usage: bystander upload/);
    expect(await main(['--help'], io as never, {})).toBe(0);
    expect(await main(['i', 'e', '/nonexistent', '--api'], io as never, {})).toBe(2);
  });
});

describe('block plan', () => {
  it('4 MiB blocks, doubled until the file fits in 50,000; ids the same length, from index and content', () => {
    expect(blockSizeFor(1)).toBe(4 * 1024 * 1024);
    expect(blockSizeFor(MAX_BLOCKS * 4 * 1024 * 1024)).toBe(4 * 1024 * 1024);
    expect(blockSizeFor(MAX_BLOCKS * 4 * 1024 * 1024 + 1)).toBe(8 * 1024 * 1024);
    expect(blockRanges(10, 4)).toEqual([
      { index: 0, offset: 0, length: 4 },
      { index: 1, offset: 4, length: 4 },
      { index: 2, offset: 8, length: 2 },
    ]);
    const a = blockId(0, 'a'.repeat(64));
    const b = blockId(49_999, 'b'.repeat(64));
    expect(a.length).toBe(b.length);
    expect(Buffer.from(b, 'base64').toString()).toBe(`49999-${'b'.repeat(40)}`);
    expect(blockId(0, 'c'.repeat(64))).not.toBe(a); // other content, other id
    expect(() => blockId(MAX_BLOCKS, 'a'.repeat(64))).toThrow(/out of range/);
  });
});
