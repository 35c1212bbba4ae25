import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderFrame } from '../../../test/fixtures/media/generate.js';
import type { Frame } from '../frame.js';
import { EngineThread } from '../thread-rpc.js';
import { PlateScannerThread } from './plate-detector.js';
import { DEFAULT_PLATES, PlateScanner } from './plates.js';

describe('PlateScannerThread (the local plate detector in a worker thread)', () => {
  let local: PlateScanner;
  let thread: PlateScannerThread;
  let frame: Frame;
  let plates: { x: number; y: number; w: number; h: number }[];
  beforeAll(async () => {
    local = await PlateScanner.create(DEFAULT_PLATES);
    thread = await PlateScannerThread.create(DEFAULT_PLATES, 'cpu');
    const spec = { width: 960, height: 540, fps: 25, faces: [], pan: 0, plates: [
      { text: 'BY51 STD', path: [{ t: 0, x: 200, y: 380, width: 120 }] },
      { text: 'KX12 ABC', path: [{ t: 0, x: 640, y: 300, width: 90 }] },
    ] };
    const { rgb, truth } = await renderFrame(spec, 0);
    frame = { width: 960, height: 540, format: 'rgb24', data: rgb };
    plates = truth.plates.map((p) => p.box);
  }, 60_000);
  afterAll(async () => {
    await thread.release();
    await local.release();
  });

  it('returns what the in-process scanner returns for whole-frame, crop and focused scans, several calls in flight', async () => {
    const copy = () => ({ ...frame, data: Buffer.from(frame.data) });
    const crops = [{ x: 100, y: 300, w: 400, h: 200 }];
    const expected = [await local.scan(frame), await local.scanCrops(frame, crops), await local.scanAround(frame, plates)];
    expect(expected[0]!.length).toBeGreaterThanOrEqual(2);
    const got = await Promise.all([thread.scan(copy()), thread.scanCrops(copy(), crops), thread.scanAround(copy(), plates)]);
    expect(got).toEqual(expected);
    // The caller's frame is copied, not moved: it stays usable on the main thread.
    expect(frame.data.length).toBe(960 * 540 * 3);
  });

  it('rejects a call that fails in the thread with the thread\'s reason, and keeps serving', async () => {
    const raw = await EngineThread.start('plate-thread', { params: DEFAULT_PLATES, device: 'cpu' }, 'plate detection');
    try {
      await expect(raw.call('no-such-op', frame, undefined)).rejects.toThrow(/plate detection thread: unknown operation no-such-op/);
      expect((await raw.call<unknown[]>('scan', frame, undefined)).length).toBeGreaterThanOrEqual(2);
    } finally {
      await raw.release();
    }
    // Releasing a thread that has already exited returns at once (waiting for an exit that already
    // happened would only end at the 10 s fallback, past this test's timeout); calls are refused.
    await raw.release();
    await expect(raw.call('scan', frame, undefined)).rejects.toThrow(/released/);
  });
});
