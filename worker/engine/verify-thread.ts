/**
 * Verification worker thread: runs the verifier's model (BlazeFace full-range, tiled) on frames the
 * main thread posts, off the main thread, so checking the encoded output overlaps with detection and
 * encoding. Judging (which faces lie outside the obscured regions) stays in the main thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Verifier, type VerifyParams } from './verify.js';
import type { Device } from './detect/blazeface.js';
import type { Frame } from './frame.js';

export type ToThread = { type: 'frame'; id: number; width: number; height: number; format: Frame['format']; data: ArrayBuffer } | { type: 'close' };
export type FromThread =
  | { type: 'ready' }
  | { type: 'found'; id: number; found: { x: number; y: number; w: number; h: number; score: number }[] }
  | { type: 'error'; message: string };

const port = parentPort!;
const { params, device } = (workerData as { data: { params: VerifyParams; device: Device } }).data;

try {
  const verifier = await Verifier.create(params, device);
  let queue: Promise<unknown> = Promise.resolve();
  port.on('message', (msg: ToThread) => {
    if (msg.type === 'close') {
      void verifier.release().finally(() => port.close());
      return;
    }
    const frame: Frame = { width: msg.width, height: msg.height, format: msg.format, data: Buffer.from(msg.data) };
    // One scan at a time: the detector reuses its input tensor across the awaits inside a scan.
    queue = queue.then(() => verifier.scan(frame)).then(
      (found) => port.postMessage({ type: 'found', id: msg.id, found } satisfies FromThread),
      (err: unknown) => port.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) } satisfies FromThread),
    );
  });
  port.postMessage({ type: 'ready' } satisfies FromThread);
} catch (err) {
  port.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) } satisfies FromThread);
}
