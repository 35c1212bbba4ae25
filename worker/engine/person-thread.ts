/**
 * Person-detection worker thread: NanoDet (detect/persons.ts) off the main thread, so a person scan
 * overlaps with the face scan of the same frame on the main thread (see PersonDetectorThread).
 */
import type { Device } from './detect/blazeface.js';
import { PersonDetector, type PersonScanParams } from './detect/persons.js';
import { serveThread } from './thread-rpc.js';

await serveThread((data: { params: PersonScanParams; device: Device }) => PersonDetector.create(data.params, data.device), {
  detect: (detector, frame) => detector.detect(frame),
});
