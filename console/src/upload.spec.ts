import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { blockId as cliBlockId } from '../../shared/uploads/blocks.js';
import { blockId, blockListXml, blockRanges, consoleBlockSize, sha256Hex } from './upload.js';

describe('console block uploads (pure parts)', () => {
  it('names blocks by index and content: base64 of "<5-digit index>-<first 40 hex of the SHA-256>" (the CLI\'s format)', async () => {
    const bytes = new TextEncoder().encode('some block content');
    const hex = await sha256Hex(bytes.buffer as ArrayBuffer);
    expect(hex).toBe(createHash('sha256').update(bytes).digest('hex'));
    for (const index of [0, 7, 49_999]) {
      expect(blockId(index, hex)).toBe(Buffer.from(`${String(index).padStart(5, '0')}-${hex.slice(0, 40)}`, 'latin1').toString('base64'));
      expect(blockId(index, hex)).toBe(cliBlockId(index, hex)); // the same ids as `npx bystander upload`: either resumes the other
    }
    expect(new Set([0, 1].map((i) => blockId(i, hex).length)).size).toBe(1); // the service wants ids of one length
    expect(() => blockId(50_000, hex)).toThrow(/out of range/);
  });

  it('gives small files several blocks and large ones 4 MiB blocks, covering every byte once', () => {
    expect(consoleBlockSize(250_000)).toBe(64 * 1024);
    expect(consoleBlockSize(10 * 1024 * 1024)).toBe(1024 * 1024);
    expect(consoleBlockSize(2 * 1024 ** 3)).toBe(4 * 1024 * 1024);
    for (const size of [1, 65_536, 65_537, 250_000, 2 * 1024 ** 3]) {
      const ranges = blockRanges(size, consoleBlockSize(size));
      expect(ranges.reduce((n, r) => n + r.length, 0)).toBe(size);
      expect(ranges.every((r, i) => r.index === i && (i === 0 || r.offset === ranges[i - 1]!.offset + ranges[i - 1]!.length))).toBe(true);
      expect(ranges.length).toBeLessThanOrEqual(50_000);
    }
  });

  it('commits the blocks in file order as Latest entries', () => {
    expect(blockListXml(['QQ==', 'Qg=='])).toBe('<?xml version="1.0" encoding="utf-8"?><BlockList><Latest>QQ==</Latest><Latest>Qg==</Latest></BlockList>');
  });
});
