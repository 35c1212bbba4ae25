/**
 * Content sniffing by magic bytes. The declared content type is a claim; these bytes are the fact.
 * Returns the detected container format, or undefined when it is not on the allowlist.
 */
export type SniffedFormat = 'mp4' | 'quicktime' | 'matroska' | 'avi' | 'mpegts' | 'jpeg' | 'png' | 'webp';

/**
 * What a user can do about a refused file (the API's upload check and the engine's probe say the same):
 * the formats accepted, and how to get there. Kept in step with the engine's codec list
 * (worker/engine/probe.ts SUPPORTED_VIDEO_CODECS; worker/engine/formats.spec.ts checks both).
 */
export const ACCEPTED_VIDEO_HINT =
  'Bystander accepts MP4/MOV, MKV, AVI and MPEG-TS video with H.264, H.265, MPEG-4 Part 2 (DivX, Xvid) or MJPEG, and JPEG, PNG or WebP images; ' +
  "export the clip again from the recorder's player as MP4 or AVI, or convert it to H.264 MP4 (e.g. ffmpeg -i <file> -c:v libx264 out.mp4), and upload that";

/** Enough for three MPEG-TS packets (188 bytes, or 192 with the M2TS timecode prefix). */
export const SNIFF_BYTES = 600;

const TS_SYNC = 0x47;

/** MPEG-TS (DVR/VMS exports, `.ts`) or M2TS (`.m2ts`): the sync byte at the start of 3 packets in a row. */
function isTransportStream(b: Buffer): boolean {
  return [188, 192].some((size) => {
    const first = size - 188;
    return b.length >= first + 2 * size + 1 && [0, 1, 2].every((k) => b[first + k * size] === TS_SYNC);
  });
}

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
  if (isTransportStream(b)) return 'mpegts';
  return undefined;
}

/** Which media family a sniffed format belongs to. */
export function familyOf(format: SniffedFormat): 'video' | 'image' {
  return format === 'jpeg' || format === 'png' || format === 'webp' ? 'image' : 'video';
}
