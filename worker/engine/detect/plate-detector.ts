/**
 * Which plate detector the engine uses: the local PP-OCRv4 text detector (default, any device, no
 * data leaves the worker) or Azure AI Vision Read (`azure-vision`, for stills and cloud
 * deployments; see azure-vision.ts for what it can and cannot do). Chosen per call
 * (`RedactOptions.plateDetector`, CLI `--plates`) or per deployment (`BYSTANDER_PLATE_DETECTOR`).
 */
import type { Frame, Rect } from '../frame.js';
import { loadModelFile, type ModelInfo } from '../models.js';
import { EngineThread } from '../thread-rpc.js';
import { AzureVisionDetector } from './azure-vision.js';
import type { Device } from './blazeface.js';
import { type PlateParams, PlateScanner } from './plates.js';

/** What the engine needs from a plate detector (the local PlateScanner and the Azure adapter both fit). */
export interface PlateDetector {
  readonly model: ModelInfo;
  /** Whole-frame scan; boxes in frame pixels. */
  scan(frame: Frame): Promise<(Rect & { score: number })[]>;
  /** Focused scan around known plates (a remote detector may simply scan the whole frame). */
  scanAround(frame: Frame, boxes: readonly Rect[]): Promise<(Rect & { score: number })[]>;
  /**
   * Scan of the given frame regions at the whole-frame scale (motion gating). Optional: a detector
   * without it gets a whole-frame scan whenever any region needs one.
   */
  scanCrops?(frame: Frame, crops: readonly Rect[]): Promise<(Rect & { score: number })[]>;
  release(): Promise<void>;
}

export const PLATE_DETECTORS = ['local', 'azure-vision'] as const;
export type PlateDetectorName = (typeof PLATE_DETECTORS)[number];

/** A name, or a factory (tests, custom wiring); the engine releases what the factory returns. */
export type PlateDetectorChoice = PlateDetectorName | (() => Promise<PlateDetector>);

export function parsePlateDetector(value: string | undefined): PlateDetectorName {
  const v = (value ?? 'local').trim() || 'local';
  if (!(PLATE_DETECTORS as readonly string[]).includes(v)) throw new Error(`unknown plate detector "${v}" (${PLATE_DETECTORS.join(', ')})`);
  return v as PlateDetectorName;
}

/** Creates the chosen detector; without a choice, `BYSTANDER_PLATE_DETECTOR` decides (default local). */
export async function createPlateDetector(
  choice: PlateDetectorChoice | undefined,
  params: PlateParams,
  device: Device,
  env: Record<string, string | undefined> = process.env,
  options: { thread?: boolean } = {},
): Promise<PlateDetector> {
  if (typeof choice === 'function') return choice();
  const name = choice ?? parsePlateDetector(env.BYSTANDER_PLATE_DETECTOR);
  if (name === 'azure-vision') return AzureVisionDetector.fromEnv(env);
  if (options.thread) return PlateScannerThread.create(params, device);
  return withScanAround(await PlateScanner.create(params, device));
}

/**
 * The local plate scanner in a worker thread (plate-thread.ts): the engine uses it for video, where
 * plate scans then overlap with face detection on the main thread. Frames are copied to the thread.
 */
export class PlateScannerThread implements PlateDetector {
  private constructor(
    private readonly thread: EngineThread,
    readonly model: ModelInfo,
  ) {}

  static async create(params: PlateParams, device: Device): Promise<PlateScannerThread> {
    const { info } = await loadModelFile('ppocr-v4-det');
    return new PlateScannerThread(await EngineThread.start('plate-thread', { params, device }, 'plate detection'), info);
  }

  scan(frame: Frame): Promise<(Rect & { score: number })[]> {
    return this.thread.call('scan', frame, undefined);
  }

  scanAround(frame: Frame, boxes: readonly Rect[]): Promise<(Rect & { score: number })[]> {
    return this.thread.call('scanAround', frame, boxes);
  }

  scanCrops(frame: Frame, crops: readonly Rect[]): Promise<(Rect & { score: number })[]> {
    return this.thread.call('scanCrops', frame, crops);
  }

  release(): Promise<void> {
    return this.thread.release();
  }
}

/** A detector without focused scans scans the whole frame when asked for one. */
function withScanAround(d: Omit<PlateDetector, 'scanAround'> & Partial<Pick<PlateDetector, 'scanAround'>>): PlateDetector {
  if (d.scanAround) return d as PlateDetector;
  return Object.assign(d, { scanAround: (frame: Frame) => d.scan(frame) });
}
