/**
 * Verification worker thread: runs the verifier's model (BlazeFace full-range, dense) on frames the
 * main thread posts, off the main thread, so checking the encoded output overlaps with detection and
 * encoding. Judging (which faces lie outside the obscured regions) stays in the main thread.
 */
import type { Device } from './detect/blazeface.js';
import { serveThread } from './thread-rpc.js';
import { Verifier, type VerifyParams } from './verify.js';

await serveThread((data: { params: VerifyParams; device: Device }) => Verifier.create(data.params, data.device), {
  scan: (verifier, frame) => verifier.scan(frame),
});
