import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { pickleToPng, unpickleGreyRows } from './decode.js';

const hex = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));
// pickle.dumps([[0, 255, 7], [255, 1, 2]], protocol=2) and protocol=4 (FRAME, MEMOIZE), written by CPython 3
const P2 = hex('80025d7100285d7101284b004bff4b07655d7102284bff4b014b0265652e');
const P4 = hex('80049519000000000000005d94285d94284b004bff4b07655d94284bff4b014b0265652e');

describe('pickled grey rows (scipy ascent.dat)', () => {
  it('reads the rows of protocol 2 and 4 pickles', () => {
    for (const p of [P2, P4]) expect(unpickleGreyRows(p)).toEqual({ width: 3, height: 2, data: Uint8Array.from([0, 255, 7, 255, 1, 2]) });
  });

  it('refuses what it does not read: unknown opcodes, ragged rows, values past 255, a truncated file', () => {
    // pickle.dumps([[0, 1], [2]], protocol=2)
    expect(() => unpickleGreyRows(hex('80025d7100285d7101284b004b01655d71024b0261652e'))).toThrow(/row 1 has 1 values/);
    // pickle.dumps([[300]], protocol=2): BININT2
    expect(() => unpickleGreyRows(hex('80025d71005d71014d2c0161612e'))).toThrow(/not 0..255/);
    // pickle.dumps([['a']], protocol=2): a string opcode
    expect(() => unpickleGreyRows(hex('80025d71005d7101580100000061710261612e'))).toThrow(/opcode 0x58/);
    expect(() => unpickleGreyRows(P2.slice(0, -1))).toThrow(/without STOP/);
  });

  it('writes the same pixels as a grey PNG', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'decode-'));
    try {
      await pickleToPng(P2, join(dir, 'x.png'));
      const m = await sharp(join(dir, 'x.png')).metadata();
      expect([m.width, m.height, m.channels, m.space]).toEqual([3, 2, 1, 'b-w']);
      const { data } = await sharp(join(dir, 'x.png')).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
      expect([...data]).toEqual([0, 255, 7, 255, 1, 2]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
