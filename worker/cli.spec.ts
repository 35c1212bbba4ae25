import { createHash } from 'node:crypto';
import { copyFile, link, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ensureDemoClip } from '../test/fixtures/media/generate.js';
import { EXIT, main, parseBox, parseSubject, progressPrinter, USAGE } from './cli.js';

function io() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (b: Buffer) => (out += b.toString()));
  stderr.on('data', (b: Buffer) => (err += b.toString()));
  return { io: { stdout, stderr }, out: () => out, err: () => err };
}

describe('bystander redact CLI', () => {
  it('parses subject hints', () => {
    expect(parseSubject('12.5:100,40,80,200')).toEqual({ atSeconds: 12.5, box: { x: 100, y: 40, w: 80, h: 200 } });
    expect(() => parseSubject('12:1,2,3')).toThrow(/seconds/);
  });

  it('parses review boxes (<from>-<to>@<at>:<x>,<y>,<w>,<h>) and refuses malformed ones', () => {
    expect(parseBox('1-3.5@2:100,40,80,60')).toEqual({ fromSeconds: 1, toSeconds: 3.5, atSeconds: 2, box: { x: 100, y: 40, w: 80, h: 60 } });
    expect(() => parseBox('1-3@2:100,40,80')).toThrow(/<from>-<to>@<at>/);
    expect(() => parseBox('3-1@2:100,40,80,60')).toThrow(/fromSeconds ≤ atSeconds ≤ toSeconds/);
    expect(() => parseBox('1-3@2:100,40,0,60')).toThrow();
  });

  it('documents the review options and exit code 5 in --help', async () => {
    for (const flag of ['--obscure-track <id>', '--obscure-body <id>', '--box <from>-<to>@<at>:<x>,<y>,<w>,<h>', '--review']) expect(USAGE).toContain(flag);
    expect(USAGE).toMatch(/5 written, needs review/);
    expect(EXIT.needsReview).toBe(5);
  });

  it('exits 2 on malformed edits', async () => {
    const demo = await ensureDemoClip(join(process.cwd(), '.test-data', 'worker-engine'));
    const out = join(process.cwd(), '.test-data', 'worker-engine', 'never.mp4');
    for (const args of [['--obscure-track', 'x'], ['--obscure-body', '1.5'], ['--box', '2-1@1:1,1,5,5']]) {
      const a = io();
      expect(await main([demo.path, '-o', out, ...args], a.io)).toBe(EXIT.usage);
      expect(a.err()).toMatch(/--obscure-track takes|--obscure-body takes|--box/);
    }
  });

  it('--review: writes the render, prints why it needs review and exits 5; without it the same run exits 0; edits are echoed in the report', async () => {
    const dir = join(process.cwd(), '.test-data', 'worker-cli-review');
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    const demo = await ensureDemoClip(join(process.cwd(), '.test-data', 'worker-engine'));
    // Keep id 999 names no track: keep-track-missing.
    const args = ['redact', demo.path, '--targets', 'faces', '--keep-track', '999', '--obscure-track', '0', '--box', '0.5-1.5@1:10,10,40,40'];
    const a = io();
    expect(await main([...args, '-o', join(dir, 'review.mp4'), '--report', join(dir, 'review.json'), '--review'], a.io)).toBe(EXIT.needsReview);
    expect(a.err()).toMatch(/review needed: keep-track-missing\n/);
    expect(existsSync(join(dir, 'review.mp4'))).toBe(true);
    const report = JSON.parse(await readFile(join(dir, 'review.json'), 'utf8')) as { review: unknown; edits: unknown };
    expect(report.review).toEqual({ needed: true, reasons: ['keep-track-missing'] });
    expect(report.edits).toEqual({ version: 1, keepTracks: [], obscureTracks: [0], obscureBodies: [], boxes: [{ box: 0, trackId: null, frames: [13, 38], framesCovered: 26 }] });
    const b = io();
    expect(await main([...args, '-o', join(dir, 'plain.mp4')], b.io)).toBe(EXIT.ok);
    expect(b.err()).toMatch(/review needed: keep-track-missing/);
    expect(existsSync(join(dir, 'plain.mp4'))).toBe(true);
  }, 120_000);

  it('exits 2 on usage errors', async () => {
    const a = io();
    expect(await main(['redact', 'in.mp4'], a.io)).toBe(EXIT.usage);
    expect(a.err()).toMatch(/-o <output> is required/);
    expect(await main(['in.mp4', '-o', 'x.mp4', '--style', 'crayon'], io().io)).toBe(EXIT.usage);
    expect(await main(['in.mp4', '-o', 'x.mp4', '--subject', 'soon'], io().io)).toBe(EXIT.usage);
    expect(await main(['in.mp4', '-o', 'x.mp4', '--targets', 'faces,cats'], io().io)).toBe(EXIT.usage);
  });

  it('exits 3 with the reason when the input is rejected, and writes nothing', async () => {
    const dir = join(process.cwd(), '.test-data', 'worker-cli');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'empty.mp4'), '');
    const a = io();
    expect(await main(['redact', join(dir, 'empty.mp4'), '-o', join(dir, 'out.mp4')], a.io)).toBe(EXIT.rejected);
    expect(a.err()).toMatch(/media-empty/);
    expect(existsSync(join(dir, 'out.mp4'))).toBe(false);
  });

  describe('paths (issue 14: -o naming the input overwrote the original)', () => {
    const dir = join(process.cwd(), '.test-data', 'worker-cli-paths');
    const sha = async (p: string) => createHash('sha256').update(await readFile(p)).digest('hex');
    async function setUp() {
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true });
      const demo = await ensureDemoClip(join(process.cwd(), '.test-data', 'worker-engine'));
      const input = join(dir, 'evidence.mp4');
      await copyFile(demo.path, input);
      return { input, before: await sha(input) };
    }

    it('refuses an output that is the input — same path, relative path, symlink, hard link — and leaves the input as it was', async () => {
      const { input, before } = await setUp();
      await symlink(input, join(dir, 'link.mp4'));
      await link(input, join(dir, 'hard.mp4'));
      for (const out of [input, relative(process.cwd(), input), join(dir, '..', 'worker-cli-paths', 'evidence.mp4'), join(dir, 'link.mp4'), join(dir, 'hard.mp4')]) {
        const a = io();
        expect(await main(['redact', input, '-o', out], a.io)).toBe(EXIT.usage);
        expect(a.err()).toMatch(/^bystander redact: refusing to write -o .*: it is the input file, which is never overwritten\n$/);
      }
      // Through a symlinked input too, and for --report.
      const a = io();
      expect(await main(['redact', join(dir, 'link.mp4'), '-o', join(dir, 'out.mp4'), '--report', input], a.io)).toBe(EXIT.usage);
      expect(a.err()).toMatch(/refusing to write --report/);
      expect(await sha(input)).toBe(before);
    });

    it('says in one line what is wrong with a missing input, a missing output folder, or an output extension that is not what is written', async () => {
      const { input } = await setUp();
      const cases: [string[], RegExp][] = [
        [[join(dir, 'nope.mp4'), '-o', join(dir, 'out.mp4')], /^bystander redact: input not found: .*nope\.mp4\n$/],
        [[input, '-o', join(dir, 'missing-folder', 'out.mp4')], /^bystander redact: the -o folder does not exist: .*missing-folder\n$/],
        [[input, '-o', join(dir, 'out.avi')], /^bystander redact: -o .*out\.avi: a video is written as H\.264 MP4; name the output \.mp4 or \.m4v\n$/],
        [[dir, '-o', join(dir, 'out.mp4')], /^bystander redact: the input is not a file: /],
      ];
      for (const [args, expected] of cases) {
        const a = io();
        expect(await main(['redact', ...args], a.io)).toBe(EXIT.usage);
        expect(a.err()).toMatch(expected);
      }
      const png = join(dir, 'still.png');
      await writeFile(png, Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'));
      const a = io();
      expect(await main(['redact', png, '-o', join(dir, 'still.jpg')], a.io)).toBe(EXIT.usage);
      expect(a.err()).toMatch(/a PNG image is written as PNG; name the output \.png/);
    });
  });

  it('refuses to decode with an ffmpeg older than 5.1 (issue 14: the npm 2018 build), in one line, writing nothing', async () => {
    const dir = join(process.cwd(), '.test-data', 'worker-cli-ffmpeg');
    await mkdir(dir, { recursive: true });
    const demo = await ensureDemoClip(join(process.cwd(), '.test-data', 'worker-engine'));
    const saved = process.env.FFMPEG_PATH;
    process.env.FFMPEG_PATH = (createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg') as { path: string }).path;
    try {
      const a = io();
      expect(await main(['redact', demo.path, '-o', join(dir, 'out.mp4')], a.io)).toBe(EXIT.error);
      expect(a.err()).toMatch(/^bystander redact: ffmpeg at .* older than FFmpeg 5\.1, and must not decode uploads: .*FFMPEG_PATH.*\n$/);
      expect(existsSync(join(dir, 'out.mp4'))).toBe(false);
    } finally {
      if (saved === undefined) delete process.env.FFMPEG_PATH;
      else process.env.FFMPEG_PATH = saved;
    }
  });

  describe('progress (issue 14: three phases interleaved on one line; 450 lines for 300 frames without a terminal)', () => {
    function feed(tty: boolean, frames: number, stepMs: number, columns = 120) {
      const chunks: string[] = [];
      const out = Object.assign(new PassThrough(), { isTTY: tty, columns });
      out.on('data', (b: Buffer) => chunks.push(b.toString()));
      let t = 0;
      const p = progressPrinter(out, () => t);
      // The phases run concurrently: their updates arrive interleaved.
      for (let f = 1; f <= frames; f++) {
        t += stepMs;
        p.update({ phase: 'analyse', frame: f, totalFrames: frames, fps: 30 });
        if (f > 5) p.update({ phase: 'render', frame: f - 5, totalFrames: frames, fps: 30 });
        if (f % 2 === 0 && f > 10) p.update({ phase: 'verify', frame: (f - 10) / 2, totalFrames: frames / 2, fps: 15 });
      }
      p.update({ phase: 'render', frame: frames, totalFrames: frames, fps: 30 });
      p.update({ phase: 'verify', frame: frames / 2, totalFrames: frames / 2, fps: 15 });
      p.done();
      return chunks.join('');
    }

    it('without a terminal prints a combined plain line at most every 5 s of the clock, and a last one', () => {
      // 300 frames over 30 s of (test) clock.
      const text = feed(false, 300, 100);
      const lines = text.trimEnd().split('\n');
      expect(lines.length).toBeLessThanOrEqual(8);
      for (const l of lines) expect(l).toMatch(/^\d+%  analyse \d+\/300( · render \d+\/300)?( · verify \d+\/150)?  [\d.]+ fps  ETA /);
      expect(lines.at(-1)).toMatch(/^100%  analyse 300\/300 · render 300\/300 · verify 150\/150/);
      expect(text).not.toContain('\r');
    });

    it('on a terminal redraws one combined line in place (throttled), ending with a newline', () => {
      const text = feed(true, 300, 10);
      expect(text.split('\n')).toHaveLength(2);
      const draws = text.split('\r').filter(Boolean);
      expect(draws.length).toBeLessThanOrEqual(32);
      for (const d of draws) expect(d).toMatch(/^\[[#-]+\] analyse \d+\/300/);
      expect(draws.at(-1)).toMatch(/analyse 300\/300 · render 300\/300 · verify 150\/150/);
      // A narrow terminal: each draw stays within one row (a wrapped line cannot be redrawn in place).
      const narrow = feed(true, 300, 10, 60).split('\r').filter(Boolean);
      for (const d of narrow) expect(d.replace('\x1b[K', '').replace(/\n$/, '').length).toBeLessThanOrEqual(59);
    });
  });
});
