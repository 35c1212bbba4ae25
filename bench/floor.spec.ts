import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureDemoClip } from '../test/fixtures/media/generate.js';
import { measureFloor } from './floor.js';

describe('measureFloor', () => {
  it('times the codecs and scales each scan by what the run scheduled (gated shares included)', async () => {
    const dir = join(process.cwd(), '.test-data', 'bench-floor');
    await mkdir(dir, { recursive: true });
    const demo = await ensureDemoClip(dir);
    const profile = { faceFullFrames: 4, gateFaceTilesScanned: 5, gateFaceTilesAll: 10, plateFullFrames: 3, gatePlateArea: 1.5 };
    const floor = await measureFloor({ clipPath: demo.path, redactedPath: demo.path, dir, frames: demo.truth.frames.length, profile, framesVerified: 3 });
    const s = floor.seconds;
    for (const k of ['decodeInput', 'encode', 'decodeOutput', 'perFaceFullScan', 'perPlateFullScan', 'perVerifierScan']) expect(s[k], k).toBeGreaterThan(0);
    expect(s.faceFullScansRun).toBe(2); // 4 full-scan frames, half of the tiles scanned
    expect(s.plateFullScansRun).toBe(1.5);
    expect(s.faceFullScans).toBeCloseTo(2 * s.perFaceFullScan!, 9);
    expect(s.plateFullScans).toBeCloseTo(1.5 * s.perPlateFullScan!, 9);
    expect(s.verifierScans).toBeCloseTo(3 * s.perVerifierScan!, 9);
    const sum = s.decodeInput! + s.encode! + s.decodeOutput! + s.faceFullScans! + s.plateFullScans! + s.verifierScans!;
    expect(floor.cpuSeconds).toBeCloseTo(sum, 9);
    expect(floor.wallSeconds).toBeCloseTo(sum / floor.cores, 9);
  }, 120_000);
});
