import { describe, expect, it } from 'vitest';
import { createScreener } from './screening.js';
import { sniff, familyOf } from './sniff.js';
import { CreateIncidentSchema, blobNames } from './incident.js';

describe('free-text screening (community guidelines)', () => {
  const screener = createScreener(['hoodie gang']);
  it('finds special-category terms and slurs as whole words, case-insensitively, and names the phrase', () => {
    expect(screener.check('The man appeared to be GAY')).toEqual({ term: 'gay', phrase: 'GAY' });
    expect(screener.check('a  black   man took it')?.term).toBe('black man');
    expect(screener.check('known junkie')?.phrase).toBe('junkie');
  });
  it('does not flag innocent words that merely contain a term', () => {
    expect(screener.check('He took a trace of paint and a racing magazine')).toBeUndefined();
    expect(screener.check('Unpaid goods taken from aisle 4, black hoodie')).toBeUndefined();
  });
  it('adds deployment-configured terms', () => {
    expect(screener.check('member of the Hoodie Gang')?.term).toBe('hoodie gang');
  });
});

describe('content sniffing by magic bytes', () => {
  const mp4 = Buffer.from('000000206674797069736f6d', 'hex');
  it('recognises the allowlisted formats', () => {
    expect(sniff(mp4)).toBe('mp4');
    expect(sniff(Buffer.from([0xff, 0xd8, 0xff, 0xe0]))).toBe('jpeg');
    expect(sniff(Buffer.from('89504e470d0a1a0a', 'hex'))).toBe('png');
    expect(sniff(Buffer.from('RIFF\0\0\0\0WEBPVP8 ', 'latin1'))).toBe('webp');
    expect(sniff(Buffer.from('RIFF\0\0\0\0AVI LIST', 'latin1'))).toBe('avi');
    expect(sniff(Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0x01]))).toBe('matroska');
    expect(sniff(Buffer.from('00000014667479707174202000000000', 'hex'))).toBe('quicktime');
    expect(familyOf('png')).toBe('image');
    expect(familyOf('avi')).toBe('video');
  });
  it('recognises MPEG-TS (188-byte packets) and M2TS (192) by three sync bytes in a row, not by one', () => {
    const packets = (size: number, n: number) => {
      const b = Buffer.alloc(size * n, 0xff);
      for (let k = 0; k < n; k++) b[k * size + size - 188] = 0x47;
      return b;
    };
    expect(sniff(packets(188, 3))).toBe('mpegts');
    expect(sniff(packets(192, 3))).toBe('mpegts');
    expect(familyOf('mpegts')).toBe('video');
    expect(sniff(packets(188, 2))).toBeUndefined(); // too short to tell
    const one = Buffer.alloc(600, 0x20);
    one[0] = 0x47; // 'G': a text file starting with "G…" is not a transport stream
    expect(sniff(one)).toBeUndefined();
  });
  it('rejects everything else', () => {
    expect(sniff(Buffer.from('hello world, not media'))).toBeUndefined();
    expect(sniff(Buffer.from('%PDF-1.7'))).toBeUndefined();
    expect(sniff(Buffer.from('RIFF\0\0\0\0WAVEfmt ', 'latin1'))).toBeUndefined();
    expect(sniff(Buffer.alloc(0))).toBeUndefined();
  });
});

describe('incident schema (the minimisation policy)', () => {
  const valid = {
    storeId: 's-1',
    occurredAt: '2026-11-01T10:00:00+11:00',
    category: 'theft',
    description: 'x',
    evidence: [{ fileName: 'a.mp4', contentType: 'video/mp4', sizeBytes: 1, subjectHints: [{ atSeconds: 1.5, box: { x: 1, y: 2, w: 3, h: 4 } }] }],
  };
  it('accepts the minimal incident', () => expect(CreateIncidentSchema.safeParse(valid).success).toBe(true));
  it('rejects unknown fields at every level', () => {
    for (const bad of [
      { ...valid, name: 'x' },
      { ...valid, evidence: [{ ...valid.evidence[0], gps: '1,2' }] },
      { ...valid, evidence: [{ ...valid.evidence[0], subjectHints: [{ atSeconds: 1, box: { x: 1, y: 1, w: 1, h: 1, label: 'x' } }] }] },
    ]) {
      const r = CreateIncidentSchema.safeParse(bad);
      expect(r.success).toBe(false);
      expect(r.error!.issues.some((i) => i.code === 'unrecognized_keys')).toBe(true);
    }
  });
  it('rejects path tricks in file names and categories off the list', () => {
    expect(CreateIncidentSchema.safeParse({ ...valid, evidence: [{ ...valid.evidence[0], fileName: '../x.mp4' }] }).success).toBe(false);
    expect(CreateIncidentSchema.safeParse({ ...valid, category: 'shoplifting-by-minors' }).success).toBe(false);
  });
  it('parses only well-formed ingest blob names', () => {
    expect(blobNames.parseIngest('t/i/e')).toEqual({ tenantId: 't', incidentId: 'i', evidenceId: 'e' });
    expect(blobNames.parseIngest('t/i/e/x')).toBeUndefined();
    expect(blobNames.parseIngest('t/../e')).toBeUndefined();
  });
});
