/**
 * A model in a worker thread, called like a local object: `EngineThread.call(op, frame, args)`
 * posts the frame's pixels (transferred when the caller gives them up, else copied) and resolves
 * with what the thread's handler returned. Calls run one at a time in the thread, in order. Used for
 * the verifier (BlazeFace full-range on the encoded output) and the plate detector (PP-OCRv4), so
 * their inference runs on the second core while the main thread runs face detection.
 */
import { parentPort, Worker, workerData } from 'node:worker_threads';
import type { Frame } from './frame.js';

type ToThread = { type: 'call'; id: number; op: string; args: unknown; width: number; height: number; format: Frame['format']; data: ArrayBuffer } | { type: 'close' };
type FromThread = { type: 'ready' } | { type: 'result'; id: number; result: unknown } | { type: 'error'; id?: number; message: string };

export type ThreadName = 'verify-thread' | 'plate-thread' | 'person-thread';

export class EngineThread {
  private readonly pending = new Map<number, { resolve: (r: unknown) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private failed: Error | undefined;

  private constructor(
    private readonly worker: Worker,
    private readonly label: string,
  ) {
    worker.on('message', (msg: FromThread) => {
      if (msg.type === 'result') {
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        p?.resolve(msg.result);
      } else if (msg.type === 'error') {
        const err = new Error(`${label} thread: ${msg.message}`);
        const p = msg.id !== undefined ? this.pending.get(msg.id) : undefined;
        if (p) {
          this.pending.delete(msg.id!);
          p.reject(err);
        } else this.fail(err);
      }
    });
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', () => this.fail(new Error(`${label} thread exited`)));
  }

  /** Starts the thread from its TypeScript source (through tsx) or its compiled JavaScript and waits until its model is loaded. */
  static async start(name: ThreadName, data: unknown, label: string): Promise<EngineThread> {
    const fromSource = import.meta.url.endsWith('.ts');
    const worker = fromSource
      ? new Worker(new URL('./ts-thread.mjs', import.meta.url), { workerData: { entry: new URL(`./${name}.ts`, import.meta.url).href, data } })
      : new Worker(new URL(`./${name}.js`, import.meta.url), { workerData: { data } });
    const ready = new Promise<void>((resolve, reject) => {
      worker.once('message', (msg: FromThread) => (msg.type === 'ready' ? resolve() : reject(new Error(`${label} thread: ${msg.type === 'error' ? msg.message : msg.type}`))));
      worker.once('error', reject);
    });
    try {
      await ready;
    } catch (err) {
      await worker.terminate();
      throw err;
    }
    return new EngineThread(worker, label);
  }

  private fail(err: Error): void {
    this.failed ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  /** Runs `op` on the frame in the thread. With `giveUp`, the frame's memory moves to the thread (the caller must not touch it afterwards). */
  call<T>(op: string, frame: Frame, args: unknown, giveUp = false): Promise<T> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.nextId++;
    const data = frame.data;
    const own = giveUp && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer;
    const ab = (own ? data.buffer : data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)) as ArrayBuffer;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (r: unknown) => void, reject });
      this.worker.postMessage({ type: 'call', id, op, args, width: frame.width, height: frame.height, format: frame.format, data: ab } satisfies ToThread, [ab]);
    });
  }

  /**
   * Lets the thread finish the call it is running and release its model, then waits for it to exit
   * (terminating a thread in the middle of an inference aborts the process from inside
   * onnxruntime); a thread that does not exit within 10 s is terminated.
   */
  async release(): Promise<void> {
    this.worker.removeAllListeners('exit');
    this.failed ??= new Error(`${this.label} thread released`);
    for (const p of this.pending.values()) p.reject(this.failed);
    this.pending.clear();
    if (this.worker.threadId < 0) return; // already exited (crashed or released)
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.postMessage({ type: 'close' } satisfies ToThread);
    let timer: NodeJS.Timeout | undefined;
    const forced = new Promise<void>((resolve) => (timer = setTimeout(() => void this.worker.terminate().then(() => resolve()), 10_000)));
    await Promise.race([exited, forced]);
    clearTimeout(timer);
  }
}

/**
 * Thread side: creates the model with `init(workerData)`, then serves calls one at a time (a model
 * reuses its input tensors across the awaits inside a call).
 */
export async function serveThread<M extends { release(): Promise<void> }>(
  init: (data: never) => Promise<M>,
  ops: Record<string, (model: M, frame: Frame, args: never) => Promise<unknown>>,
): Promise<void> {
  const port = parentPort!;
  try {
    const model = await init((workerData as { data: never }).data);
    let queue: Promise<unknown> = Promise.resolve();
    let closing = false;
    port.on('message', (msg: ToThread) => {
      if (msg.type === 'close') {
        closing = true;
        // Calls still queued are skipped; the one running finishes before the model is released.
        void queue.then(() => model.release()).finally(() => port.close());
        return;
      }
      const frame: Frame = { width: msg.width, height: msg.height, format: msg.format, data: Buffer.from(msg.data) };
      const op = ops[msg.op];
      queue = queue
        .then(() => {
          if (closing) return undefined;
          if (!op) throw new Error(`unknown operation ${msg.op}`);
          return op(model, frame, msg.args as never);
        })
        .then(
          (result) => port.postMessage({ type: 'result', id: msg.id, result } satisfies FromThread),
          (err: unknown) => port.postMessage({ type: 'error', id: msg.id, message: err instanceof Error ? err.message : String(err) } satisfies FromThread),
        );
    });
    port.postMessage({ type: 'ready' } satisfies FromThread);
  } catch (err) {
    port.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) } satisfies FromThread);
  }
}
