/**
 * Plate-detection worker thread: the local PP-OCRv4 plate scanner, off the main thread, so plate
 * scans run on the second core while the main thread detects faces (see PlateScannerThread).
 */
import type { Device } from './detect/blazeface.js';
import { type PlateParams, PlateScanner } from './detect/plates.js';
import type { Rect } from './frame.js';
import { serveThread } from './thread-rpc.js';

await serveThread((data: { params: PlateParams; device: Device }) => PlateScanner.create(data.params, data.device), {
  scan: (scanner, frame) => scanner.scan(frame),
  scanAround: (scanner, frame, boxes: Rect[]) => scanner.scanAround(frame, boxes),
  scanCrops: (scanner, frame, crops: Rect[]) => scanner.scanCrops(frame, crops),
});
