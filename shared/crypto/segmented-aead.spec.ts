import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { DecryptionError } from './errors.js';
import {
  TAG_LENGTH,
  ciphertextRangeFor,
  ciphertextSize,
  createDecryptStream,
  createEncryptStream,
  decryptBuffer,
  decryptRange,
  encryptBuffer,
  parseHeader,
  plaintextSize,
  readHeader,
  type RangeSource,
} from './segmented-aead.js';

const key = randomBytes(32);
const keyRef = 'incident/inc-1/dk/1';

/** Streams `data` through `transform` in irregular chunk sizes. */
async function throughStream(data: Buffer, transform: NodeJS.ReadWriteStream, chunk = 7): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for (let i = 0, step = 1; i < data.length; i += step, step = (step % chunk) + 1) {
    chunks.push(data.subarray(i, i + step));
  }
  const out: Buffer[] = [];
  await pipeline(Readable.from(chunks), transform, async function* (src) {
    for await (const c of src) out.push(c as Buffer);
  });
  return Buffer.concat(out);
}

function sourceOf(ciphertext: Buffer, reads?: Array<[number, number]>): RangeSource {
  return {
    size: ciphertext.length,
    read: async (offset, length) => {
      reads?.push([offset, length]);
      return Buffer.from(ciphertext.subarray(offset, offset + length));
    },
  };
}

async function expectDecryptionError(p: Promise<unknown>, failure?: DecryptionError['failure']): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DecryptionError);
  if (failure) expect((err as DecryptionError).failure).toBe(failure);
}

describe('segmented AES-256-GCM: whole-blob round trip', () => {
  it.each([0, 1, 63, 64, 65, 127, 128, 129, 1000, 64 * 5])(
    'round-trips %i plaintext bytes through the streaming encrypt/decrypt transforms',
    async (size) => {
      const plain = randomBytes(size);
      const ct = await throughStream(plain, createEncryptStream({ key, keyRef, segmentSize: 64 }));
      expect(ct.length).toBe(ciphertextSize(parseHeader(ct), size));
      expect(plaintextSize(parseHeader(ct), ct.length)).toBe(size);
      const back = await throughStream(ct, createDecryptStream(key), 13);
      expect(back.equals(plain)).toBe(true);
      expect((await decryptBuffer(ct, key)).equals(plain)).toBe(true);
    },
  );

  it('round-trips a multi-megabyte blob with the default 64 KiB segment size', async () => {
    const plain = randomBytes(3 * 1024 * 1024 + 12345);
    const ct = await buffer(Readable.from([plain]).pipe(createEncryptStream({ key, keyRef })));
    expect(parseHeader(ct).segmentSize).toBe(64 * 1024);
    const back = await buffer(Readable.from([ct]).pipe(createDecryptStream(key)));
    expect(back.equals(plain)).toBe(true);
  });

  it('streaming encrypt and encryptBuffer produce the same format', async () => {
    const plain = randomBytes(500);
    const a = encryptBuffer(plain, { key, keyRef, segmentSize: 100 });
    const b = await throughStream(plain, createEncryptStream({ key, keyRef, segmentSize: 100 }));
    expect(a.length).toBe(b.length);
    expect((await throughStream(a, createDecryptStream(key))).equals(plain)).toBe(true);
  });

  it('uses a fresh salt and nonce prefix per blob (same plaintext, same key → different ciphertext)', () => {
    const plain = Buffer.alloc(256, 1);
    const a = encryptBuffer(plain, { key, keyRef, segmentSize: 64 });
    const b = encryptBuffer(plain, { key, keyRef, segmentSize: 64 });
    const ha = parseHeader(a);
    const hb = parseHeader(b);
    expect(ha.salt.equals(hb.salt)).toBe(false);
    expect(ha.noncePrefix.equals(hb.noncePrefix)).toBe(false);
    expect(a.subarray(ha.length).equals(b.subarray(hb.length))).toBe(false);
  });

  it('records the key ref and segment size in the header, never the key', () => {
    const ct = encryptBuffer(Buffer.from('x'), { key, keyRef, segmentSize: 4096 });
    const h = parseHeader(ct);
    expect(h.keyRef).toBe(keyRef);
    expect(h.segmentSize).toBe(4096);
    expect(ct.includes(key)).toBe(false);
  });

  it('resolves the data key from the header key ref', async () => {
    const plain = randomBytes(300);
    const ct = encryptBuffer(plain, { key, keyRef, segmentSize: 64 });
    const seen: string[] = [];
    const back = await throughStream(
      ct,
      createDecryptStream(async (h) => {
        seen.push(h.keyRef);
        return key;
      }),
    );
    expect(back.equals(plain)).toBe(true);
    expect(seen).toEqual([keyRef]);
  });

  it('rejects bad parameters (short key, tiny segment size, non-ASCII key ref)', () => {
    expect(() => encryptBuffer(Buffer.alloc(1), { key: randomBytes(16), keyRef })).toThrow(TypeError);
    expect(() => encryptBuffer(Buffer.alloc(1), { key, keyRef, segmentSize: 8 })).toThrow(RangeError);
    expect(() => encryptBuffer(Buffer.alloc(1), { key, keyRef: 'naïve ref' })).toThrow(TypeError);
    expect(() => createEncryptStream({ key, keyRef: '' })).toThrow(TypeError);
  });
});

describe('segmented AES-256-GCM: ranged decryption (HTTP Range over an encrypted blob)', () => {
  const seg = 64;
  const plain = randomBytes(seg * 10 + 17); // 11 segments, short last one
  const ct = encryptBuffer(plain, { key, keyRef, segmentSize: seg });
  const header = parseHeader(ct);

  it('reports plaintext size from the ciphertext size alone', () => {
    expect(plaintextSize(header, ct.length)).toBe(plain.length);
  });

  it.each([
    ['empty range at start', 0, 0],
    ['empty range at end', plain.length, 0],
    ['first byte', 0, 1],
    ['last byte', plain.length - 1, 1],
    ['exactly one segment', seg, seg],
    ['across one boundary', seg - 1, 2],
    ['ends on a boundary', 10, seg * 2 - 10],
    ['starts on a boundary', seg * 3, 5],
    ['whole last segment', seg * 10, 17],
    ['whole plaintext', 0, plain.length],
    ['middle span', 100, 333],
  ])('decrypts %s', async (_name, offset, length) => {
    const out = await decryptRange(sourceOf(ct), key, offset, length);
    expect(out.equals(plain.subarray(offset, offset + length))).toBe(true);
  });

  it('decrypts 300 random ranges exactly', async () => {
    for (let i = 0; i < 300; i++) {
      const offset = Math.floor(Math.random() * (plain.length + 1));
      const length = Math.floor(Math.random() * (plain.length - offset + 1));
      const out = await decryptRange(sourceOf(ct), key, offset, length, { header });
      expect(out.equals(plain.subarray(offset, offset + length))).toBe(true);
    }
  });

  it('reads only the header and the covering segments, not the whole blob', async () => {
    const reads: Array<[number, number]> = [];
    const src = sourceOf(ct, reads);
    const h = await readHeader(src);
    reads.length = 0;
    await decryptRange(src, key, seg * 5 + 3, 10, { header: h });
    expect(reads).toEqual([[h.length + 5 * (seg + TAG_LENGTH), seg + TAG_LENGTH]]);
  });

  it('maps plaintext ranges to whole ciphertext segments', () => {
    const full = seg + TAG_LENGTH;
    expect(ciphertextRangeFor(header, ct.length, 0, 1)).toEqual({
      offset: header.length,
      length: full,
      firstSegment: 0,
      lastSegment: 0,
      skip: 0,
    });
    expect(ciphertextRangeFor(header, ct.length, seg - 1, 2)).toEqual({
      offset: header.length,
      length: 2 * full,
      firstSegment: 0,
      lastSegment: 1,
      skip: seg - 1,
    });
    const last = ciphertextRangeFor(header, ct.length, plain.length - 1, 1);
    expect(last.firstSegment).toBe(10);
    expect(last.offset + last.length).toBe(ct.length);
    expect(last.length).toBe(17 + TAG_LENGTH);
  });

  it('limits memory per read with maxReadBytes', async () => {
    const reads: Array<[number, number]> = [];
    await decryptRange(sourceOf(ct, reads), key, 0, plain.length, { header, maxReadBytes: 3 * (seg + TAG_LENGTH) });
    expect(reads.length).toBe(4); // 11 segments in batches of 3
    expect(Math.max(...reads.map(([, l]) => l))).toBeLessThanOrEqual(3 * (seg + TAG_LENGTH));
  });

  it('rejects ranges past the end of the plaintext', async () => {
    await expect(decryptRange(sourceOf(ct), key, plain.length, 1)).rejects.toThrow(RangeError);
    await expect(decryptRange(sourceOf(ct), key, -1, 1)).rejects.toThrow(RangeError);
    expect(() => ciphertextRangeFor(header, ct.length, 0, plain.length + 1)).toThrow(RangeError);
  });

  it('handles a plaintext that fills its last segment exactly', async () => {
    const p = randomBytes(seg * 4);
    const c = encryptBuffer(p, { key, keyRef, segmentSize: seg });
    expect(plaintextSize(parseHeader(c), c.length)).toBe(p.length);
    expect((await decryptRange(sourceOf(c), key, seg * 4 - 1, 1)).equals(p.subarray(-1))).toBe(true);
  });
});

describe('segmented AES-256-GCM: integrity failures are detected', () => {
  const seg = 64;
  const plain = randomBytes(seg * 6 + 5); // 7 segments
  const ct = encryptBuffer(plain, { key, keyRef, segmentSize: seg });
  const h = parseHeader(ct);
  const full = seg + TAG_LENGTH;
  const segAt = (i: number) => ct.subarray(h.length + i * full, Math.min(ct.length, h.length + (i + 1) * full));

  it('wrong key fails authentication (stream, buffer and range)', async () => {
    const other = randomBytes(32);
    await expectDecryptionError(throughStream(ct, createDecryptStream(other)), 'authentication');
    await expectDecryptionError(decryptBuffer(ct, other), 'authentication');
    await expectDecryptionError(decryptRange(sourceOf(ct), other, 70, 10), 'authentication');
  });

  it('a flipped bit anywhere in a segment or tag fails authentication', async () => {
    for (const pos of [h.length, h.length + 10, h.length + full - 1, h.length + 3 * full + 40, ct.length - 1]) {
      const bad = Buffer.from(ct);
      bad[pos] = (bad[pos] ?? 0) ^ 0x01;
      await expectDecryptionError(throughStream(bad, createDecryptStream(key)), 'authentication');
      await expectDecryptionError(decryptBuffer(bad, key), 'authentication');
    }
  });

  it('a flipped bit in the header (salt, nonce prefix, key ref) fails authentication', async () => {
    for (const pos of [12, 30, h.length - 1]) {
      const bad = Buffer.from(ct);
      bad[pos] = (bad[pos] ?? 0) ^ 0x01;
      await expectDecryptionError(decryptBuffer(bad, key), 'authentication');
    }
  });

  it('a changed segment size in the header is rejected', async () => {
    const bad = Buffer.from(ct);
    bad.writeUInt32BE(seg * 2, 6);
    await expectDecryptionError(decryptBuffer(bad, key));
  });

  it('a truncated final segment fails', async () => {
    const bad = ct.subarray(0, ct.length - 3);
    await expectDecryptionError(throughStream(bad, createDecryptStream(key)));
    await expectDecryptionError(decryptBuffer(bad, key));
  });

  it('a truncated middle segment fails', async () => {
    const bad = Buffer.concat([ct.subarray(0, h.length + 2 * full + 10), ct.subarray(h.length + 3 * full)]);
    await expectDecryptionError(throughStream(bad, createDecryptStream(key)));
  });

  it('dropping the final segment fails (truncation at a segment boundary)', async () => {
    const bad = ct.subarray(0, h.length + 6 * full);
    await expectDecryptionError(throughStream(bad, createDecryptStream(key)), 'authentication');
    await expectDecryptionError(decryptBuffer(bad, key), 'authentication');
    // A range read that reaches the new "end" also fails.
    await expectDecryptionError(decryptRange(sourceOf(bad), key, 6 * seg - 1, 1), 'authentication');
  });

  it('dropping a middle segment fails', async () => {
    const bad = Buffer.concat([ct.subarray(0, h.length + 2 * full), ct.subarray(h.length + 3 * full)]);
    await expectDecryptionError(decryptBuffer(bad, key), 'authentication');
  });

  it('reordered segments fail', async () => {
    const bad = Buffer.concat([h.bytes, segAt(1), segAt(0), ...[2, 3, 4, 5, 6].map(segAt)]);
    await expectDecryptionError(throughStream(bad, createDecryptStream(key)), 'authentication');
    await expectDecryptionError(decryptRange(sourceOf(bad), key, 0, 1), 'authentication');
  });

  it('appending a segment (extension) fails', async () => {
    const bad = Buffer.concat([ct, segAt(2)]);
    await expectDecryptionError(decryptBuffer(bad, key));
    await expectDecryptionError(throughStream(bad, createDecryptStream(key)));
  });

  it('splicing a segment from another blob under the same key fails', async () => {
    const other = encryptBuffer(randomBytes(plain.length), { key, keyRef, segmentSize: seg });
    const oh = parseHeader(other);
    const bad = Buffer.concat([ct.subarray(0, h.length + full), other.subarray(oh.length + full, oh.length + 2 * full), ct.subarray(h.length + 2 * full)]);
    await expectDecryptionError(decryptBuffer(bad, key), 'authentication');
  });

  it('an empty or header-only input fails', async () => {
    await expectDecryptionError(throughStream(Buffer.alloc(0), createDecryptStream(key)), 'truncated');
    await expectDecryptionError(throughStream(h.bytes, createDecryptStream(key)), 'truncated');
    await expectDecryptionError(decryptBuffer(h.bytes, key), 'truncated');
  });

  it('bad magic or version is malformed', async () => {
    const bad = Buffer.from(ct);
    bad[0] = 0x00;
    await expectDecryptionError(decryptBuffer(bad, key), 'malformed');
    const v2 = Buffer.from(ct);
    v2[4] = 2;
    await expectDecryptionError(throughStream(v2, createDecryptStream(key)), 'malformed');
  });

  it('an authentication error message carries no plaintext or key bytes', async () => {
    const err = (await decryptBuffer(ct, randomBytes(32)).then(
      () => new Error('unexpected success'),
      (e: unknown) => e as Error,
    ));
    expect(err.message).not.toContain(key.toString('hex'));
    expect(err.message).toMatch(/segment 0/);
  });
});
