import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { clip, detailEnergy, inBoxes, meanAbsDiff, readLuma } from '../../test/fixtures/media/frames.js';
import { type CachedClip, ensureDemoClip, generateSampleImage } from '../../test/fixtures/media/generate.js';
import { ffprobePath, run } from './ffmpeg.js';
import { redactMedia, RedactionReportSchema, toSummary } from './index.js';

const dir = join(process.cwd(), '.test-data', 'worker-engine');
const opts = { targets: ['faces' as const], style: 'pixelate' as const, subjects: [], keepAudio: false };

describe('redactMedia on the generated demo clip', () => {
  let demo: CachedClip;
  let out: string;
  let report: Awaited<ReturnType<typeof redactMedia>>;
  const profile: Record<string, number> = {};
  beforeAll(async () => {
    await mkdir(dir, { recursive: true });
    demo = await ensureDemoClip(dir);
    out = join(dir, 'demo-redacted.mp4');
    report = await redactMedia(demo.path, out, { ...opts, profile });
  }, 120_000);

  it('obscures the faces and leaves the rest of the picture as it was (within codec noise)', async () => {
    const { width, height } = demo.truth;
    const a = await readLuma(demo.path, width, height);
    const b = await readLuma(out, width, height);
    expect(b.frames).toHaveLength(a.frames.length);
    for (let i = 0; i < a.frames.length; i += 7) {
      const faces = demo.truth.frames[i]!.faces;
      for (const f of faces) {
        const box = clip(f.box, width, height)!;
        // Pixelated: the face's fine detail is gone and its pixels changed.
        expect(detailEnergy(b.frames[i]!, width, box)).toBeLessThan(detailEnergy(a.frames[i]!, width, box) * 0.5);
        expect(meanAbsDiff(a.frames[i]!, b.frames[i]!, width, height, inBoxes([box])).mean).toBeGreaterThan(8);
      }
      // Away from the faces (3× their box), only codec noise.
      const near = faces.map((f) => ({ x: f.box.x - f.box.w, y: f.box.y - f.box.h, w: f.box.w * 3, h: f.box.h * 3 }));
      const rest = meanAbsDiff(a.frames[i]!, b.frames[i]!, width, height, (x, y) => !inBoxes(near)(x, y));
      expect(rest.pixels).toBeGreaterThan(width * height * 0.3);
      expect(rest.mean).toBeLessThan(2.5);
    }
  });

  it('writes H.264 MP4 with faststart, no audio and no metadata, and a valid report', async () => {
    const probe = JSON.parse(
      (await run(ffprobePath(), ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', out])).stdout.toString(),
    ) as { streams: { codec_type: string; codec_name: string; tags?: Record<string, string> }[]; format: { tags?: Record<string, string> } };
    expect(probe.streams.map((s) => `${s.codec_type}:${s.codec_name}`)).toEqual(['video:h264']);
    const tags = { ...probe.format.tags, ...probe.streams[0]!.tags };
    expect(Object.keys(tags).filter((k) => !['major_brand', 'minor_version', 'compatible_brands', 'handler_name', 'language', 'vendor_id', 'encoder'].includes(k))).toEqual([]);
    // FFmpeg ≥ 5 names the encoder in the sample description (no version with +bitexact): ours, nothing of the source.
    if (tags.encoder !== undefined) expect(tags.encoder).toMatch(/^Lavc (libx264|h264_nvenc)$/);
    const head = (await import('node:fs/promises')).readFile(out).then((b) => b.subarray(0, 64).toString('latin1'));
    expect((await head).indexOf('moov')).toBeGreaterThan(0); // faststart: index before the media data
    expect(RedactionReportSchema.parse(report).output.frames).toBe(demo.truth.frames.length);
    expect(toSummary(report)).toMatchObject({ frames: 100, width: 640, height: 360, verification: expect.any(String), corrections: expect.any(Number) });
    expect(JSON.stringify(report)).not.toMatch(/data:image|base64/);
  });

  it('writes the same bytes whether one decode feeds analysis and render or the input is decoded twice', async () => {
    expect(profile.decodeShared).toBe(1);
    const twiceProfile: Record<string, number> = {};
    const twice = await redactMedia(demo.path, join(dir, 'demo-redacted-twice.mp4'), { ...opts, decodeShareBytes: 0, profile: twiceProfile });
    expect(twiceProfile.decodeTwice).toBe(1);
    expect(twiceProfile.decodeShared).toBeUndefined();
    expect(twice.output.sha256).toBe(report.output.sha256);
    expect(twice.tracks).toEqual(report.tracks);
  }, 120_000);

  it('leaves no temporary files next to the output', async () => {
    expect((await readdir(dir)).filter((f) => f.includes('.partial'))).toEqual([]);
  });
});

describe('redactMedia on still images', () => {
  it.each(['jpeg', 'png', 'webp'] as const)('keeps the %s format, obscures faces and strips metadata', async (format) => {
    await mkdir(dir, { recursive: true });
    const src = join(dir, `still.${format}`);
    const truth = await generateSampleImage(
      src,
      { width: 480, height: 320, seed: 3, faces: [{ photo: 2, face: 1, path: [{ t: 0, cx: 150, cy: 140, size: 90 }] }, { photo: 4, face: 0, path: [{ t: 0, cx: 340, cy: 170, size: 70 }] }] },
      format,
    );
    // Add EXIF with GPS-like fields to prove they are dropped.
    const tagged = join(dir, `still-tagged.${format}`);
    await writeFile(tagged, await sharp(src).withExif({ IFD0: { Make: 'SecretCam', Artist: 'Someone' } })[format]().toBuffer());
    const out = join(dir, `still-redacted.${format}`);
    const report = await redactMedia(tagged, out, opts);
    expect(report.output.contentType).toBe(`image/${format}`);
    const meta = await sharp(out).metadata();
    expect(meta.format).toBe(format);
    expect(meta.exif).toBeUndefined();
    const a = await sharp(src).greyscale().raw().toBuffer();
    const b = await sharp(out).greyscale().raw().toBuffer();
    for (const f of truth.faces) {
      const box = clip(f.box, 480, 320)!;
      expect(detailEnergy(b, 480, box)).toBeLessThan(detailEnergy(a, 480, box) * 0.5);
    }
    expect(report.regionsObscured).toBeGreaterThanOrEqual(2);
    expect(existsSync(out)).toBe(true);
  });
});
