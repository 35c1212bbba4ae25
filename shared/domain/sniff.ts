/**
 * Content sniffing by magic bytes. The declared content type is a claim; these bytes are the fact.
 * Returns the detected container format, or undefined when it is not on the allowlist.
 */
export type SniffedFormat = 'mp4' | 'quicktime' | 'matroska' | 'avi' | 'jpeg' | 'png' | 'webp';

export const SNIFF_BYTES = 16;

export function sniff(head: Uint8Array): SniffedFormat | undefined {
  const b = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 8 && b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png';
  if (b.length >= 12 && b.toString('latin1', 0, 4) === 'RIFF') {
    const kind = b.toString('latin1', 8, 12);
    if (kind === 'WEBP') return 'webp';
    if (kind === 'AVI ') return 'avi';
    return undefined;
  }
  if (b.length >= 4 && b[0] === 0x1a && b[1] === 0x45 && b[2] === 0xdf && b[3] === 0xa3) return 'matroska';
  if (b.length >= 8) {
    const box = b.toString('latin1', 4, 8);
    if (box === 'ftyp') return b.toString('latin1', 8, 10) === 'qt' ? 'quicktime' : 'mp4';
    if (['moov', 'mdat', 'wide', 'free', 'skip'].includes(box)) return 'quicktime';
  }
  return undefined;
}

/** Which media family a sniffed format belongs to. */
export function familyOf(format: SniffedFormat): 'video' | 'image' {
  return format === 'jpeg' || format === 'png' || format === 'webp' ? 'image' : 'video';
}
