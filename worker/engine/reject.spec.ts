import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureDemoClip } from '../../test/fixtures/media/generate.js';
import { ffmpegPath } from './ffmpeg.js';
import { MediaRejectedError, type MediaRejectionCode, redactMedia } from './index.js';

const dir = join(process.cwd(), '.test-data', 'worker-reject');
const opts = { targets: ['faces' as const], style: 'pixelate' as const, subjects: [], keepAudio: false };

function ffmpeg(...args: string[]): void {
  const r = spawnSync(ffmpegPath(), ['-v', 'error', '-y', ...args]);
  if (r.status !== 0) throw new Error(r.stderr.toString());
}

const cases: [string, MediaRejectionCode, () => Promise<string>][] = [
  ['zero bytes', 'media-empty', async () => { const p = join(dir, 'empty.mp4'); await writeFile(p, ''); return p; }],
  ['a text file named .mp4', 'media-not-recognised', async () => { const p = join(dir, 'notes.mp4'); await writeFile(p, 'these are not the frames you are looking for\n'.repeat(50)); return p; }],
  ['a truncated video', 'media-corrupt', async () => {
    const demo = await ensureDemoClip(join(process.cwd(), '.test-data', 'worker-engine'));
    const bytes = await readFile(demo.path);
    const p = join(dir, 'truncated.mp4');
    await writeFile(p, bytes.subarray(0, Math.floor(bytes.length / 3)));
    return p;
  }],
  ['a video whose index was cut off', 'media-corrupt', async () => {
    const p = join(dir, 'noindex.mp4');
    ffmpeg('-f', 'lavfi', '-i', 'testsrc=s=160x120:r=10', '-t', '2', '-c:v', 'libx264', p); // moov at the end
    const bytes = await readFile(p);
    await writeFile(p, bytes.subarray(0, bytes.length - 200));
    return p;
  }],
  ['a pixel bomb (video, 8200 px wide)', 'media-too-large', async () => {
    const p = join(dir, 'wide.avi');
    ffmpeg('-f', 'lavfi', '-i', 'color=c=gray:s=8200x16:r=1', '-t', '1', '-c:v', 'mjpeg', '-pix_fmt', 'yuvj420p', p);
    return p;
  }],
  ['a pixel bomb (PNG, 9000×9000)', 'media-too-large', async () => {
    const p = join(dir, 'bomb.png');
    await sharp({ create: { width: 9000, height: 9000, channels: 3, background: '#000' } }).png({ compressionLevel: 9 }).toFile(p);
    return p;
  }],
  ['a video with no frames', 'media-no-frames', async () => {
    const p = join(dir, 'zero-frames.avi');
    ffmpeg('-f', 'lavfi', '-i', 'color=c=gray:s=64x64:r=10', '-frames:v', '0', '-c:v', 'mjpeg', p);
    return p;
  }],
  ['an audio-only file', 'media-no-video', async () => {
    const p = join(dir, 'audio.m4a');
    ffmpeg('-f', 'lavfi', '-i', 'sine=d=1', '-c:a', 'aac', p);
    return p;
  }],
  ['an unsupported codec (FFV1)', 'media-unsupported-codec', async () => {
    const p = join(dir, 'ffv1.mkv');
    ffmpeg('-f', 'lavfi', '-i', 'testsrc=s=64x64:r=10', '-t', '1', '-c:v', 'ffv1', p);
    return p;
  }],
  // Inputs that would make ffmpeg open other files: a playlist and a concat list naming a real,
  // decodable clip beside them. Only MP4/MOV, MKV, AVI and MPEG-TS demuxers and the file protocol
  // may open an input, so neither is followed.
  ['an HLS playlist naming a local clip', 'media-not-recognised', async () => {
    ffmpeg('-f', 'lavfi', '-i', 'testsrc=s=160x120:r=10', '-t', '1', '-c:v', 'libx264', join(dir, 'segment.mp4'));
    const p = join(dir, 'playlist.m3u8');
    await writeFile(p, '#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\nsegment.mp4\n#EXT-X-ENDLIST\n');
    return p;
  }],
  ['an ffconcat list naming a local clip', 'media-not-recognised', async () => {
    ffmpeg('-f', 'lavfi', '-i', 'testsrc=s=160x120:r=10', '-t', '1', '-c:v', 'libx264', join(dir, 'part.mp4'));
    const p = join(dir, 'list.txt');
    await writeFile(p, "ffconcat version 1.0\nfile 'part.mp4'\n");
    return p;
  }],
  ['MPEG-TS carrying MPEG-2 video (not accepted)', 'media-unsupported-codec', async () => {
    const p = join(dir, 'mpeg2.ts');
    ffmpeg('-f', 'lavfi', '-i', 'testsrc=s=160x120:r=10', '-t', '1', '-c:v', 'mpeg2video', '-f', 'mpegts', p);
    return p;
  }],
  ['AVI carrying FFV1 (not accepted)', 'media-unsupported-codec', async () => {
    const p = join(dir, 'ffv1.avi');
    ffmpeg('-f', 'lavfi', '-i', 'testsrc=s=64x64:r=10', '-t', '1', '-c:v', 'ffv1', p);
    return p;
  }],
  ['a DivX 3 AVI cut off at a third', 'media-corrupt', async () => {
    const p = join(dir, 'div3-cut.avi');
    ffmpeg('-f', 'lavfi', '-i', 'testsrc=s=320x240:r=10', '-t', '3', '-c:v', 'msmpeg4', '-vtag', 'DIV3', p);
    const bytes = await readFile(p);
    await writeFile(p, bytes.subarray(0, Math.floor(bytes.length / 3)));
    return p;
  }],
  // FFmpeg 5.1's ffprobe does not open a transport stream without a single program (2023 snapshots
  // listed it with no streams): a file that starts like a video container but cannot be read.
  ['an MPEG-TS of sync bytes and noise (no stream in it)', 'media-corrupt', async () => {
    const p = join(dir, 'noise.ts');
    const b = Buffer.alloc(188 * 20);
    for (let i = 0; i < b.length; i++) b[i] = i % 188 === 0 ? 0x47 : (i * 131 + 7) % 256;
    await writeFile(p, b);
    return p;
  }],
  ['a corrupt JPEG', 'media-corrupt', async () => {
    const p = join(dir, 'broken.jpg');
    const good = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#888' } }).jpeg().toBuffer();
    await writeFile(p, good.subarray(0, 40));
    return p;
  }],
];

describe('bad input is rejected clearly and leaves nothing behind', () => {
  beforeAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
  });

  it.each(cases)('%s → %s', async (_name, code, make) => {
    const input = await make();
    const output = join(dir, `${code}-out.mp4`);
    const err = await redactMedia(input, output, opts).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MediaRejectedError);
    expect((err as MediaRejectedError).code).toBe(code);
    expect((err as Error).message).not.toContain(dir);
    // A refusal says what to do: what is accepted, and how to get there.
    if (['media-not-recognised', 'media-unsupported-codec'].includes(code)) expect((err as Error).message).toContain('export the clip again');
    expect(existsSync(output)).toBe(false);
    expect((await readdir(dir)).filter((f) => f.includes('.partial'))).toEqual([]);
  });

  it('a DivX 3 AVI over the duration limit → media-too-long', async () => {
    const input = join(dir, 'div3-long.avi');
    ffmpeg('-f', 'lavfi', '-i', 'testsrc=s=160x120:r=10', '-t', '3', '-c:v', 'msmpeg4', '-vtag', 'DIV3', input);
    const err = await redactMedia(input, join(dir, 'long-out.mp4'), { ...opts, limits: { maxDurationSeconds: 2 } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MediaRejectedError);
    expect((err as MediaRejectedError).code).toBe('media-too-long');
    expect(existsSync(join(dir, 'long-out.mp4'))).toBe(false);
  });

  it('does not replace an existing output when the new input is rejected', async () => {
    const output = join(dir, 'existing.mp4');
    await writeFile(output, 'previous');
    const empty = join(dir, 'empty2.mp4');
    await writeFile(empty, '');
    await expect(redactMedia(empty, output, opts)).rejects.toBeInstanceOf(MediaRejectedError);
    expect(await readFile(output, 'utf8')).toBe('previous');
    await copyFile(output, join(dir, 'unused')); // still readable
  });
});
