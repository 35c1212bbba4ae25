/**
 * A FIFO of byte chunks that lets a stream transform take fixed-size pieces without concatenating
 * everything it has seen (memory stays bounded by what is buffered, not by the stream length).
 * @internal
 */
export class ByteQueue {
  private chunks: Buffer[] = [];
  private total = 0;

  /** Number of buffered bytes. */
  get length(): number {
    return this.total;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.total += chunk.length;
  }

  /** Removes and returns exactly `n` bytes (n ≤ length). */
  take(n: number): Buffer {
    if (n > this.total) throw new RangeError('ByteQueue: not enough bytes');
    const out = Buffer.allocUnsafe(n);
    let written = 0;
    while (written < n) {
      const head = this.chunks[0];
      if (head === undefined) throw new RangeError('ByteQueue: inconsistent state');
      const need = n - written;
      if (head.length <= need) {
        head.copy(out, written);
        written += head.length;
        this.chunks.shift();
      } else {
        head.copy(out, written, 0, need);
        this.chunks[0] = head.subarray(need);
        written += need;
      }
    }
    this.total -= n;
    return out;
  }

  /** Copies the first `n` bytes without removing them (n ≤ length). */
  peek(n: number): Buffer {
    const taken = this.take(n);
    this.chunks.unshift(taken);
    this.total += n;
    return taken;
  }
}
