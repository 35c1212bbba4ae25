import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureDemoClip, type CachedClip } from '../../test/fixtures/media/generate.js';
import { MediaRejectedError } from './errors.js';
import { probeMedia } from './probe.js';
import { checkMediaToolchain, decodeVideo, hwaccelArgs } from './video.js';

const dir = join(process.cwd(), '.test-data', 'worker-video');

describe('the GPU media path on a machine without a GPU (this one)', () => {
  let demo: CachedClip;
  beforeAll(async () => {
    await mkdir(dir, { recursive: true });
    demo = await ensureDemoClip(dir);
  }, 60_000);
  afterEach(() => {
    delete process.env.BYSTANDER_HWACCEL;
  });

  it('passes the start-up check with software encode and decode', async () => {
    await expect(checkMediaToolchain(dir, {})).resolves.toBeUndefined();
    await expect(checkMediaToolchain(dir, { BYSTANDER_HWACCEL: 'none', BYSTANDER_H264_ENCODER: 'libx264' })).resolves.toBeUndefined();
  });

  it('fails the start-up check naming the setting when NVENC or NVDEC is configured but missing', async () => {
    await expect(checkMediaToolchain(dir, { BYSTANDER_H264_ENCODER: 'h264_nvenc' })).rejects.toThrow(/BYSTANDER_H264_ENCODER=h264_nvenc\) cannot run here/);
    await expect(checkMediaToolchain(dir, { BYSTANDER_HWACCEL: 'cuda' })).rejects.toThrow(/BYSTANDER_HWACCEL=cuda\) cannot run here/);
  });

  it('asks ffmpeg for NVDEC only when configured', () => {
    expect(hwaccelArgs({})).toEqual([]);
    expect(hwaccelArgs({ BYSTANDER_HWACCEL: 'none' })).toEqual([]);
    expect(hwaccelArgs({ BYSTANDER_HWACCEL: 'cuda' })).toEqual(['-hwaccel', 'cuda']);
  });

  it('reports a hardware decoder that cannot start as this machine’s failure, not the media’s (no quarantine)', async () => {
    const info = await probeMedia(demo.path);
    if (info.kind !== 'video') throw new Error('demo is a video');
    process.env.BYSTANDER_HWACCEL = 'cuda';
    const err = await (async () => {
      for await (const _ of decodeVideo(demo.path, info)) throw new Error('decoded a frame without the hardware decoder');
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(MediaRejectedError);
    expect((err as Error).message).toMatch(/hardware decoder \(BYSTANDER_HWACCEL=cuda\) is unavailable/);
  });
});
