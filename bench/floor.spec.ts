import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureDemoClip } from '../test/fixtures/media/generate.js';
import { measureFloor } from './floor.js';

describe('measureFloor', () => {
  it('times the codecs and scales each scan by what the run scheduled (gated shares included), persons and the verifier in order included', async () => {
    const dir = join(process.cwd(), '.test-data', 'bench-floor');
    await mkdir(dir, { recursive: true });
    const demo = await ensureDemoClip(dir);
    const profile = { faceFullFrames: 4, gateFaceTilesScanned: 5, gateFaceTilesAll: 10, smallUnitsScanned: 1, smallUnitsAll: 4, plateFullFrames: 3, gatePlateArea: 1.5, personFrames: 6 };
    const floor = await measureFloor({ clipPath: demo.path, redactedPath: demo.path, dir, frames: demo.truth.frames.length, profile, framesVerified: 3 });
    const s = floor.seconds;
    for (const k of ['decodeInput', 'encode', 'decodeOutput', 'perFaceFine', 'perFaceSmall', 'perPlateFullScan', 'perPersonScan', 'perVerifierScan']) expect(s[k], k).toBeGreaterThan(0);
    expect(s.faceFullScansRun).toBe(4);
    expect(s.faceShare).toBe(0.5); // half of the tiles scanned
    expect(s.smallShare).toBe(0.25); // a quarter of the small pass's units searched
    expect(s.plateFullScansRun).toBe(1.5);
    expect(s.faceFullScans).toBeCloseTo(4 * (0.5 * s.perFaceFine! + 0.25 * s.perFaceSmall!), 9);
    expect(s.personScans).toBeCloseTo(6 * s.perPersonScan!, 9);
    expect(s.plateFullScans).toBeCloseTo(1.5 * s.perPlateFullScan!, 9);
    expect(s.verifierScans).toBeCloseTo(3 * s.perVerifierScan!, 9);
    const sum = s.decodeInput! + s.encode! + s.decodeOutput! + s.faceFullScans! + s.plateFullScans! + s.personScans! + s.verifierScans!;
    expect(floor.cpuSeconds).toBeCloseTo(sum, 9);
    expect(floor.wallSeconds).toBeCloseTo(sum / floor.cores, 9);
  }, 120_000);
});
