/**
 * Input coverage: real media in the containers, codecs and shapes phones and CCTV exporters produce,
 * generated at test time with the npm ffmpeg (small: 320×240, 10 fps, about a second), each redacted
 * end to end (verification on) and checked on the decoded output:
 * - the picture is upright and the same as the source away from the faces (rotation handled),
 * - every face is obscured in every frame,
 * - the output is H.264 yuv420p MP4 with no metadata, chapters, subtitles or data, and audio only
 *   when kept on purpose.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { clip, detailEnergy, inBoxes, meanAbsDiff, readLuma } from '../../test/fixtures/media/frames.js';
import { type Box, renderFrame, type SampleClipSpec } from '../../test/fixtures/media/generate.js';
import { ALLOWED_CONTENT_TYPES } from '../../shared/domain/incident.js';
import { familyOf, SNIFF_BYTES, sniff } from '../../shared/domain/sniff.js';
import { EXIT, main } from '../cli.js';
import { ffmpegPath, ffprobePath, run } from './ffmpeg.js';
import { probeMedia, redactMedia, type RedactionReport } from './index.js';
import { SUPPORTED_VIDEO_CODECS, type VideoInfo } from './probe.js';

const dir = join(process.cwd(), '.test-data', 'worker-formats');
const opts = { targets: ['faces' as const], style: 'pixelate' as const, subjects: [], keepAudio: false };

type Scene = Omit<SampleClipSpec, 'outPath'>;

/** Landscape CCTV-like scene: two people, slow motion. */
const LANDSCAPE: Scene = {
  seconds: 1.2,
  width: 320,
  height: 240,
  fps: 10,
  seed: 11,
  faces: [
    { photo: 2, face: 1, path: [{ t: 0, cx: 90, cy: 100, size: 64 }, { t: 1.2, cx: 110, cy: 104, size: 66 }] },
    { photo: 4, face: 0, path: [{ t: 0, cx: 236, cy: 130, size: 58 }, { t: 1.2, cx: 222, cy: 126, size: 60 }] },
  ],
};

/** Portrait phone scene (what the viewer sees after rotation). */
const PORTRAIT: Scene = {
  seconds: 1.2,
  width: 240,
  height: 320,
  fps: 10,
  seed: 5,
  faces: [
    { photo: 1, face: 1, path: [{ t: 0, cx: 80, cy: 110, size: 70 }, { t: 1.2, cx: 92, cy: 116, size: 72 }] },
    { photo: 6, face: 0, path: [{ t: 0, cx: 170, cy: 230, size: 60 }, { t: 1.2, cx: 160, cy: 224, size: 60 }] },
  ],
};

/** A scene whose people stand still (frame timing can then not move a face away from its truth). */
const STILL: Scene = { ...LANDSCAPE, seed: 13, faces: LANDSCAPE.faces.map((f) => ({ ...f, path: [f.path[0]!] })) };

interface Rendered {
  scene: Scene;
  rgb: Buffer[];
  /** Luma (BT.601) of every rendered frame: the upright picture the viewer should get. */
  luma: Buffer[];
  faces: Box[][];
}

const rendered = new Map<Scene, Promise<Rendered>>();

function render(scene: Scene): Promise<Rendered> {
  let p = rendered.get(scene);
  if (!p) {
    p = (async () => {
      const n = Math.round(scene.seconds * scene.fps);
      const out: Rendered = { scene, rgb: [], luma: [], faces: [] };
      for (let i = 0; i < n; i++) {
        const { rgb, truth } = await renderFrame(scene, i / scene.fps, i);
        out.rgb.push(rgb);
        const y = Buffer.alloc(scene.width * scene.height);
        for (let k = 0; k < y.length; k++) y[k] = Math.round(0.299 * rgb[3 * k]! + 0.587 * rgb[3 * k + 1]! + 0.114 * rgb[3 * k + 2]!);
        out.luma.push(y);
        out.faces.push(truth.faces.map((f) => f.box));
      }
      return out;
    })();
    rendered.set(scene, p);
  }
  return p;
}

/**
 * Encodes a scene with the npm ffmpeg: rendered RGB frames arrive on stdin (input 0); `inputs` adds
 * more inputs (audio, subtitles, chapters), `args` are the output options.
 */
async function encode(scene: Scene, name: string, args: string[], inputs: string[] = []): Promise<string> {
  const { rgb } = await render(scene);
  const path = join(dir, name);
  const child = spawn(
    ffmpegPath(),
    ['-nostdin', '-v', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${scene.width}x${scene.height}`, '-r', String(scene.fps), '-i', 'pipe:0', ...inputs, ...args, path],
    { stdio: ['pipe', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const closed = once(child, 'close') as Promise<[number | null]>;
  for (const f of rgb) if (!child.stdin.write(f)) await once(child.stdin, 'drain');
  child.stdin.end();
  const [code] = await closed;
  if (code !== 0) throw new Error(`ffmpeg could not make ${name}: ${stderr.trim()}`);
  return path;
}

/** Re-muxes without re-encoding (the npm ffmpeg writes a display matrix only when stream-copying). */
async function remux(src: string, name: string, args: string[]): Promise<string> {
  const path = join(dir, name);
  const r = await run(ffmpegPath(), ['-nostdin', '-v', 'error', '-y', '-i', src, '-map', '0', '-c', 'copy', ...args, path]);
  if (r.code !== 0) throw new Error(`ffmpeg could not remux ${name}: ${r.stderr.trim()}`);
  return path;
}

interface ProbeOut {
  streams: { index: number; codec_type: string; codec_name: string; pix_fmt?: string; width?: number; height?: number; tags?: Record<string, string>; side_data_list?: unknown[] }[];
  format: { format_name: string; tags?: Record<string, string> };
  chapters: unknown[];
}

async function ffprobeJson(path: string): Promise<ProbeOut> {
  const r = await run(ffprobePath(), ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', '-show_chapters', path]);
  if (r.code !== 0) throw new Error(`ffprobe failed: ${r.stderr}`);
  return JSON.parse(r.stdout.toString()) as ProbeOut;
}

/** Tags a plain MP4 writer adds by itself (no information about the recording or the person). */
const NEUTRAL_TAGS = ['major_brand', 'minor_version', 'compatible_brands', 'handler_name', 'language', 'vendor_id', 'encoder'];

async function redact(input: string, name: string, extra: Partial<typeof opts> = {}): Promise<{ out: string; report: RedactionReport }> {
  const out = join(dir, name);
  await rm(out, { force: true });
  const report = await redactMedia(input, out, { ...opts, ...extra });
  return { out, report };
}

/**
 * The redacted video is the upright scene: H.264 yuv420p at the display size, every rendered frame
 * present, each face obscured (fine detail gone, pixels changed) and the picture elsewhere unchanged
 * within codec noise. Returns the output's ffprobe for further checks.
 */
async function expectRedactedScene(out: string, report: RedactionReport, r: Rendered, o: { sameTiming?: boolean; restTolerance?: number } = {}): Promise<ProbeOut> {
  const { width, height } = r.scene;
  const probe = await ffprobeJson(out);
  const video = probe.streams.filter((s) => s.codec_type === 'video');
  expect(video).toHaveLength(1);
  expect(video[0]).toMatchObject({ codec_name: 'h264', pix_fmt: 'yuv420p', width, height });
  expect(video[0]!.side_data_list ?? []).toEqual([]); // no display matrix: the pixels are upright
  expect(report.verification.status).toBe('passed');
  const got = await readLuma(out, width, height);
  const n = r.luma.length;
  expect(Math.abs(got.frames.length - n)).toBeLessThanOrEqual(o.sameTiming === false ? 1 : 0);
  expect(report.output.frames).toBe(got.frames.length);
  for (let i = 0; i < Math.min(n, got.frames.length); i++) {
    const ref = r.luma[i]!;
    const frame = got.frames[i]!;
    const faces = r.faces[i]!;
    for (const f of faces) {
      const box = clip(f, width, height)!;
      expect(detailEnergy(frame, width, box), `frame ${i}: face detail`).toBeLessThan(detailEnergy(ref, width, box) * 0.5);
      expect(meanAbsDiff(ref, frame, width, height, inBoxes([box])).mean, `frame ${i}: face changed`).toBeGreaterThan(8);
    }
    const near = faces.map((f) => ({ x: f.x - f.w, y: f.y - f.h, w: f.w * 3, h: f.h * 3 }));
    const rest = meanAbsDiff(ref, frame, width, height, (x, y) => !inBoxes(near)(x, y));
    expect(rest.pixels).toBeGreaterThan(width * height * 0.15);
    expect(rest.mean, `frame ${i}: picture away from the faces`).toBeLessThan(o.restTolerance ?? 6);
  }
  return probe;
}

async function probeVideo(path: string): Promise<VideoInfo> {
  const info = await probeMedia(path);
  if (info.kind !== 'video') throw new Error('expected a video');
  return info;
}

const X264 = ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '16'];
const X265 = ['-c:v', 'libx265', '-preset', 'fast', '-crf', '16', '-x265-params', 'log-level=error'];

interface FormatCase {
  name: string;
  file: string;
  args: string[];
  container: RegExp;
  codec: string;
  bitDepth?: number;
}

/** The upload content type a user declares for each container the engine reads. */
const CONTENT_TYPE_OF: Record<string, keyof typeof ALLOWED_CONTENT_TYPES> = {
  mp4: 'video/mp4',
  mov: 'video/quicktime',
  mkv: 'video/x-matroska',
  avi: 'video/x-msvideo',
  ts: 'video/mp2t',
  m2ts: 'video/mp2t',
};

async function checkAndRedact({ file, args, container, codec, bitDepth }: FormatCase): Promise<void> {
  const r = await render(LANDSCAPE);
  const input = await encode(LANDSCAPE, file, args);
  const info = await probeVideo(input);
  expect(info).toMatchObject({ codec, width: 320, height: 240, rotation: 0, fps: 10 });
  expect(info.container).toMatch(container);
  expect(info.bitDepth).toBe(bitDepth ?? 8);
  const { out, report } = await redact(input, `${file}.redacted.mp4`);
  expect(report.input).toMatchObject({ codec, bitDepth: bitDepth ?? 8 });
  expect(report.output.contentType).toBe('video/mp4');
  const probe = await expectRedactedScene(out, report, r);
  expect(probe.format.format_name).toMatch(/mp4/);
}

const CONTAINER_CASES: FormatCase[] = [
  { name: 'MOV, H.264', file: 'h264.mov', args: [...X264, '-pix_fmt', 'yuv420p', '-f', 'mov'], container: /mov/, codec: 'h264' },
  { name: 'MKV, H.264', file: 'h264.mkv', args: [...X264, '-pix_fmt', 'yuv420p'], container: /matroska/, codec: 'h264' },
  { name: 'AVI, H.264 (DVR export)', file: 'h264.avi', args: [...X264, '-pix_fmt', 'yuv420p', '-bf', '0'], container: /avi/, codec: 'h264' },
  { name: 'AVI, MJPEG (IP camera)', file: 'mjpeg.avi', args: ['-c:v', 'mjpeg', '-q:v', '2', '-pix_fmt', 'yuvj420p'], container: /avi/, codec: 'mjpeg' },
  { name: 'MOV, MJPEG (4:2:2, photo camera)', file: 'mjpeg422.mov', args: ['-c:v', 'mjpeg', '-q:v', '2', '-pix_fmt', 'yuvj422p', '-f', 'mov'], container: /mov/, codec: 'mjpeg' },
  { name: 'MP4, H.265 (hvc1)', file: 'hevc.mp4', args: [...X265, '-pix_fmt', 'yuv420p', '-tag:v', 'hvc1'], container: /mp4/, codec: 'hevc' },
  { name: 'MKV, H.265', file: 'hevc.mkv', args: [...X265, '-pix_fmt', 'yuv420p'], container: /matroska/, codec: 'hevc' },
  { name: 'MP4, 10-bit H.264 (High 10, yuv420p10le)', file: 'h264-10bit.mp4', args: [...X264, '-pix_fmt', 'yuv420p10le'], container: /mp4/, codec: 'h264', bitDepth: 10 },
  { name: 'MP4, 10-bit H.265 (Main 10, yuv420p10le)', file: 'hevc-10bit.mp4', args: [...X265, '-pix_fmt', 'yuv420p10le', '-tag:v', 'hvc1'], container: /mp4/, codec: 'hevc', bitDepth: 10 },
];

// Made with the project's ffmpeg's own encoders (mpeg4, msmpeg4, msmpeg4v2 ship in every build),
// tagged with the FourCCs recorders write.
const MPEG4 = ['-c:v', 'mpeg4', '-q:v', '2', '-pix_fmt', 'yuv420p'];
const DVR_CASES: FormatCase[] = [
  { name: 'AVI, MPEG-4 Part 2 tagged XVID (Xvid)', file: 'xvid.avi', args: [...MPEG4, '-vtag', 'XVID'], container: /avi/, codec: 'mpeg4' },
  { name: 'AVI, MPEG-4 Part 2 tagged DX50 (DivX 5)', file: 'divx5.avi', args: [...MPEG4, '-vtag', 'DX50'], container: /avi/, codec: 'mpeg4' },
  { name: 'AVI, MS-MPEG-4 v3 tagged DIV3 (DivX 3, as OpenCV vtest.avi)', file: 'div3.avi', args: ['-c:v', 'msmpeg4', '-q:v', '2', '-pix_fmt', 'yuv420p', '-vtag', 'DIV3'], container: /avi/, codec: 'msmpeg4v3' },
  { name: 'AVI, MS-MPEG-4 v2 (MP42)', file: 'mp42.avi', args: ['-c:v', 'msmpeg4v2', '-q:v', '2', '-pix_fmt', 'yuv420p'], container: /avi/, codec: 'msmpeg4v2' },
  { name: 'MKV, MPEG-4 Part 2', file: 'mpeg4.mkv', args: MPEG4, container: /matroska/, codec: 'mpeg4' },
  { name: 'MPEG-TS, H.264', file: 'h264.ts', args: [...X264, '-pix_fmt', 'yuv420p', '-f', 'mpegts'], container: /mpegts/, codec: 'h264' },
  { name: 'M2TS (192-byte packets), H.264', file: 'h264.m2ts', args: [...X264, '-pix_fmt', 'yuv420p', '-f', 'mpegts', '-mpegts_m2ts_mode', '1'], container: /mpegts/, codec: 'h264' },
  { name: 'MPEG-TS, MPEG-4 Part 2', file: 'mpeg4.ts', args: [...MPEG4, '-f', 'mpegts'], container: /mpegts/, codec: 'mpeg4' },
];

describe('containers and codecs', () => {
  beforeAll(async () => {
    await mkdir(dir, { recursive: true });
  });

  it.each(CONTAINER_CASES)('$name: redacted to upright H.264 MP4 with every face obscured', async (c) => {
    await checkAndRedact(c);
  });
});

describe('DVR/VMS exports: MPEG-4 Part 2 and H.264 in AVI, MKV and MPEG-TS', () => {
  beforeAll(async () => {
    await mkdir(dir, { recursive: true });
  });


  it.each(DVR_CASES)('$name: redacted to upright H.264 MP4 with every face obscured', async (c) => {
    await checkAndRedact(c);
  });

  it('the API accepts exactly what the engine reads: each clip sniffs as a video format with a declarable content type', async () => {
    const declared = new Set<string>();
    const codecs = new Set<string>();
    for (const c of [...CONTAINER_CASES, ...DVR_CASES]) {
      const path = await encode(LANDSCAPE, `api-${c.file}`, c.args);
      const format = sniff((await readFile(path)).subarray(0, SNIFF_BYTES));
      expect(format, `${c.file} sniffs as an accepted format`).toBeDefined();
      expect(familyOf(format!)).toBe('video');
      const type = CONTENT_TYPE_OF[c.file.split('.').pop()!]!;
      expect(ALLOWED_CONTENT_TYPES[type], `${c.file}: ${type} is an accepted upload type`).toBe('video');
      declared.add(type);
      codecs.add((await probeVideo(path)).codec);
    }
    // Every video type the API accepts is read by the engine (a clip of it was redacted above) …
    const videoTypes = Object.entries(ALLOWED_CONTENT_TYPES).filter(([, kind]) => kind === 'video').map(([t]) => t);
    expect([...declared].sort()).toEqual(videoTypes.sort());
    // … and every codec the engine accepts is among the clips redacted above.
    expect([...codecs].sort()).toEqual([...SUPPORTED_VIDEO_CODECS].sort());
  });
});

describe('rotated phone video', () => {
  beforeAll(async () => {
    await mkdir(dir, { recursive: true });
  });

  // The sensor stores the picture turned; the display matrix tells players how to turn it back.
  // `transpose` builds the stored picture from the upright one; `rotate` is the legacy clockwise tag
  // the npm ffmpeg turns into a display matrix when muxing.
  const rotations: { clockwise: 90 | 180 | 270; transpose: string; rotate: string; scene: Scene }[] = [
    { clockwise: 90, transpose: 'transpose=2', rotate: '270', scene: PORTRAIT }, // portrait phone video (ffprobe: rotation -90)
    { clockwise: 270, transpose: 'transpose=1', rotate: '90', scene: PORTRAIT },
    { clockwise: 180, transpose: 'hflip,vflip', rotate: '180', scene: LANDSCAPE }, // phone held upside down
  ];

  it.each(rotations)('display rotation $clockwise° clockwise: output upright at the display size, faces obscured', async ({ clockwise, transpose, rotate, scene }) => {
    const r = await render(scene);
    const stored = await encode(scene, `rot${clockwise}-stored.mp4`, ['-vf', transpose, ...X264, '-pix_fmt', 'yuv420p']);
    const input = await remux(stored, `rot${clockwise}.mp4`, ['-metadata:s:v:0', `rotate=${rotate}`]);
    const raw = await ffprobeJson(input);
    expect(raw.streams[0]!.side_data_list, 'the fixture carries a display matrix').toBeDefined();
    const info = await probeVideo(input);
    expect(info).toMatchObject({ rotation: clockwise, width: scene.width, height: scene.height });
    const { out, report } = await redact(input, `rot${clockwise}.redacted.mp4`);
    expect(report.input).toMatchObject({ rotation: clockwise, width: scene.width, height: scene.height });
    await expectRedactedScene(out, report, r);
  });

  it('portrait 10-bit H.265 MOV, as recent phones record it', async () => {
    const r = await render(PORTRAIT);
    const stored = await encode(PORTRAIT, 'phone-hevc10-stored.mov', ['-vf', 'transpose=2', ...X265, '-pix_fmt', 'yuv420p10le', '-tag:v', 'hvc1', '-f', 'mov']);
    const input = await remux(stored, 'phone-hevc10.mov', ['-metadata:s:v:0', 'rotate=270', '-f', 'mov']);
    expect(await probeVideo(input)).toMatchObject({ codec: 'hevc', bitDepth: 10, rotation: 90, width: 240, height: 320 });
    const { out, report } = await redact(input, 'phone-hevc10.redacted.mp4');
    await expectRedactedScene(out, report, r);
  });
});

describe('variable frame rate', () => {
  it('VFR input (10 fps, then 20 fps) becomes constant-rate output with every face obscured', async () => {
    await mkdir(dir, { recursive: true });
    const scene: Scene = { ...STILL, fps: 20 };
    const r = await render(scene);
    // Keep one frame in three for the first 0.6 s, every frame after: intervals of 150 ms, then 50 ms.
    const input = await encode(scene, 'vfr.mp4', ['-vf', "select='gte(n\\,12)+not(mod(n\\,3))'", '-vsync', 'vfr', ...X264, '-bf', '0', '-pix_fmt', 'yuv420p']);
    const info = await probeVideo(input);
    expect(info.variableFrameRate).toBe(true);
    expect(info.fps).toBeCloseTo(40 / 3, 2); // the average rate: 16 frames in 1.2 s
    const { out, report } = await redact(input, 'vfr.redacted.mp4');
    const probe = (await ffprobeJson(out)).streams[0] as unknown as { avg_frame_rate: string; r_frame_rate: string };
    expect(probe.avg_frame_rate).toBe(probe.r_frame_rate); // constant rate
    expect(report.output.fps).toBe(info.fps);
    // Each output frame shows one of the kept input frames (in order; the people stand still, the
    // background pans): pair each with its best match and check it like a constant-rate clip.
    const got = await readLuma(out, scene.width, scene.height);
    expect(got.frames.length).toBe(16);
    const kept = r.luma.map((_, i) => i).filter((i) => i >= 12 || i % 3 === 0);
    const faces = r.faces[0]!;
    const away = (x: number, y: number) => !inBoxes(faces.map((f) => ({ x: f.x - f.w, y: f.y - f.h, w: f.w * 3, h: f.h * 3 })))(x, y);
    const shown = got.frames.map((f) => {
      const diffs = kept.map((i) => meanAbsDiff(r.luma[i]!, f, scene.width, scene.height, away).mean);
      return kept[diffs.indexOf(Math.min(...diffs))]!;
    });
    expect(shown).toEqual([...shown].sort((a, b) => a - b));
    expect(shown.at(-1)).toBeGreaterThanOrEqual(22);
    await expectRedactedScene(out, report, { ...r, luma: shown.map((i) => r.luma[i]!), faces: shown.map((i) => r.faces[i]!) });
  });
});

describe('audio and metadata', () => {
  let input: string;
  let secrets: string[];

  beforeAll(async () => {
    await mkdir(dir, { recursive: true });
    // A MOV as a phone writes it, plus everything that must not travel: title and creation time,
    // GPS location (QuickTime ISO 6709), a device model, per-stream titles, chapters and a subtitle.
    secrets = ['Sunset Street incident', '+51.5007-000.1246+012.000/', 'SecretPhone 12 Pro', 'Alice Example', 'Audio of Bob', 'Chapter Gate', 'Subtitle line about Carol'];
    const chapters = join(dir, 'chapters.txt');
    await writeFile(
      chapters,
      `;FFMETADATA1\ntitle=${secrets[0]}\n\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=600\ntitle=${secrets[5]}\n\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=600\nEND=1200\ntitle=Chapter Two\n`,
    );
    const srt = join(dir, 'subs.srt');
    await writeFile(srt, `1\n00:00:00,000 --> 00:00:01,000\n${secrets[6]}\n`);
    input = await encode(
      LANDSCAPE,
      'tagged.mov',
      [
        '-map', '0:v', '-map', '1:a', '-map', '2:s', '-map_metadata', '3', '-map_chapters', '3',
        ...X264, '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '64k', '-c:s', 'mov_text',
        '-metadata', `title=${secrets[0]}`,
        '-metadata', 'creation_time=2024-05-01T10:20:30Z',
        '-metadata', `location=${secrets[1]}`,
        '-metadata', `com.apple.quicktime.location.ISO6709=${secrets[1]}`,
        '-metadata', `model=${secrets[2]}`,
        '-metadata', `artist=${secrets[3]}`,
        '-metadata:s:v:0', 'creation_time=2024-05-01T10:20:30Z',
        '-metadata:s:a:0', `title=${secrets[4]}`,
        '-movflags', '+use_metadata_tags',
        '-f', 'mov',
      ],
      ['-f', 'lavfi', '-t', '1.2', '-i', 'sine=frequency=440:sample_rate=44100', '-i', srt, '-f', 'ffmetadata', '-i', chapters],
    );
    // The fixture really carries what the output must not.
    const probe = await ffprobeJson(input);
    // (the MOV muxer stores the chapters as a text track: a data stream)
    expect(probe.streams.map((s) => s.codec_type).sort()).toEqual(['audio', 'data', 'subtitle', 'video']);
    expect(probe.chapters.length).toBe(2);
    expect(probe.format.tags).toMatchObject({ title: secrets[0], creation_time: expect.stringMatching(/^2024-05-01/) });
    const bytes = await readFile(input);
    for (const s of secrets) expect(bytes.includes(Buffer.from(s)), `fixture contains "${s}"`).toBe(true);
  });

  async function expectClean(out: string, audio: boolean): Promise<void> {
    const probe = await ffprobeJson(out);
    expect(probe.streams.map((s) => `${s.codec_type}:${s.codec_name}`)).toEqual(audio ? ['video:h264', 'audio:aac'] : ['video:h264']);
    expect(probe.chapters).toEqual([]);
    for (const tags of [probe.format.tags ?? {}, ...probe.streams.map((s) => s.tags ?? {})]) {
      expect(Object.keys(tags).filter((k) => !NEUTRAL_TAGS.includes(k))).toEqual([]);
      for (const v of Object.values(tags)) expect(v).not.toMatch(/2024-05-01|Sunset|Secret|Alice|Bob/);
    }
    const bytes = await readFile(out);
    for (const s of secrets) expect(bytes.includes(Buffer.from(s)), `output contains "${s}"`).toBe(false);
    expect(bytes.includes(Buffer.from('2024-05-01'))).toBe(false);
  }

  it('by default strips the audio, metadata, chapters and subtitles', async () => {
    const { out, report } = await redact(input, 'tagged.redacted.mp4');
    expect(report.input.hasAudio).toBe(true);
    expect(report.output.audio).toBe(false);
    await expectRedactedScene(out, report, await render(LANDSCAPE));
    await expectClean(out, false);
  });

  it('--keep-audio keeps one audio stream (AAC) and still strips metadata, chapters and subtitles', async () => {
    const out = join(dir, 'tagged.kept-audio.mp4');
    const reportPath = join(dir, 'tagged.kept-audio.json');
    await rm(out, { force: true });
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let err = '';
    stderr.on('data', (b: Buffer) => (err += b.toString()));
    stdout.resume();
    const code = await main(['redact', input, '-o', out, '--report', reportPath, '--targets', 'faces', '--keep-audio'], { stdout, stderr });
    expect(code, err).toBe(EXIT.ok);
    const report = JSON.parse(await readFile(reportPath, 'utf8')) as RedactionReport;
    expect(report.parameters.keepAudio).toBe(true);
    expect(report.output.audio).toBe(true);
    await expectClean(out, true);
    await expectRedactedScene(out, report, await render(LANDSCAPE));
    // The kept audio is the source's: about as long as the video, not silence.
    const r = await run(ffmpegPath(), ['-v', 'error', '-i', out, '-map', '0:a:0', '-f', 's16le', '-ac', '1', '-ar', '8000', 'pipe:1']);
    const pcm = new Int16Array(r.stdout.buffer, r.stdout.byteOffset, Math.floor(r.stdout.length / 2));
    expect(pcm.length).toBeGreaterThan(8000 * 0.9);
    expect(Math.max(...pcm.map(Math.abs))).toBeGreaterThan(1000);
  });

  it('--keep-audio on a video without audio gives a video-only output', async () => {
    const input2 = await encode(LANDSCAPE, 'silent.mp4', [...X264, '-pix_fmt', 'yuv420p']);
    const { out, report } = await redact(input2, 'silent.redacted.mp4', { keepAudio: true });
    expect(report.output.audio).toBe(false);
    await expectClean(out, false);
    expect(existsSync(out)).toBe(true);
  });
});
