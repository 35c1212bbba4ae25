import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { MIN_FFMPEG, checkFfmpegVersions, ffmpegPath, ffprobePath, parseFfmpegVersion } from './ffmpeg.js';

const require = createRequire(import.meta.url);
const npmFfmpeg = (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;

describe('the ffmpeg that decodes uploads (issue 14: a 2018 snapshot)', () => {
  it('reads release and snapshot version banners', () => {
    expect(parseFfmpegVersion('ffmpeg version 5.1.9-0+deb12u1 Copyright (c) 2000-2026\nlibavutil      57. 28.100 / 57. 28.100\nlibavcodec     59. 37.100 / 59. 37.100\nlibavformat    59. 27.100 / 59. 27.100\n')).toEqual({
      version: '5.1.9-0+deb12u1',
      libavformat: [59, 27],
      libavcodec: [59, 37],
    });
    expect(parseFfmpegVersion('ffmpeg version N-47683-g0e8eb07980-static https://…\nlibavcodec     58. 42.100 / 58. 42.100\nlibavformat    58. 24.100 / 58. 24.100\n')?.libavformat).toEqual([58, 24]);
    expect(parseFfmpegVersion('not ffmpeg')).toBeUndefined();
  });

  it(`runs FFmpeg ${MIN_FFMPEG.release} or newer by default, ffmpeg and ffprobe alike`, async () => {
    const { ffmpeg, ffprobe } = await checkFfmpegVersions();
    expect(ffmpegPath()).not.toBe(npmFfmpeg);
    for (const v of [ffmpeg, ffprobe]) {
      expect(v.libavformat[0] * 1000 + v.libavformat[1]).toBeGreaterThanOrEqual(MIN_FFMPEG.libavformat[0] * 1000 + MIN_FFMPEG.libavformat[1]);
    }
    expect(ffprobePath()).toMatch(/ffprobe$/);
  });

  it('refuses the npm 2018 build (or anything older than the minimum) for decoding, naming the setting and the fix', async () => {
    await expect(checkFfmpegVersions({ ...process.env, FFMPEG_PATH: npmFfmpeg })).rejects.toThrow(
      new RegExp(`^ffmpeg at .* is version N-47683-g0e8eb07980-static \\(libavformat 58\\.24\\), older than FFmpeg 5\\.1, and must not decode uploads: install Debian's ffmpeg \\(apt-get install ffmpeg\\) or set FFMPEG_PATH`),
    );
    await expect(checkFfmpegVersions({ ...process.env, FFPROBE_PATH: '/nonexistent/ffprobe' })).rejects.toThrow(/^ffprobe at \/nonexistent\/ffprobe cannot report its version/);
  });
});
