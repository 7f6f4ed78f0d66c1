/**
 * Reusable Buffers for capture-file lines. A line lives only until its write completes, and
 * a fresh ~1 MB Buffer per export costs page faults and, as external memory, frequent full
 * garbage collections; recycling a few keeps both away. Lines are views of pooled slabs.
 */
export class LineBufferPool {
  private readonly free: Buffer[] = [];
  /** The slabs this pool made: only those are taken back (a foreign Buffer may share its memory). */
  private readonly own = new WeakSet<ArrayBufferLike>();

  constructor(
    /**
     * Slabs kept for reuse; more lines in flight than this get fresh Buffers. The default covers
     * an exporter's concurrent exports; a forwarder that queues its requests in these keeps more.
     */
    private readonly maxFree = 4,
    /** The smallest slab. */
    private readonly minSlabBytes = 64 * 1024,
  ) {}

  /**
   * A Buffer of exactly `size` bytes, in a slab of 5/8, 6/8, 7/8 or all of a power of two, so that
   * batches of slightly different sizes share slabs while a slab holds at most 1.25 times what it
   * is used for (a power of two alone wasted up to half: a forwarder queues these slabs, and its
   * queue and RSS are charged for all of them).
   */
  readonly allocate = (size: number): Buffer => {
    let power = this.minSlabBytes;
    while (power < size) power *= 2;
    const step = Math.ceil(power / 8);
    const fits = Math.max(this.minSlabBytes, Math.ceil(size / step) * step);
    let slab = this.free.pop();
    // A slab far larger than needed is let go rather than lent: whoever holds a line is charged
    // its whole slab, and one large request must not make every later small one cost as much.
    if (slab === undefined || slab.length < size || slab.length > 2 * fits) {
      slab = Buffer.allocUnsafeSlow(fits);
      this.own.add(slab.buffer);
    }
    return slab.subarray(0, size);
  };

  /** Gives back a Buffer from `allocate` (or a view of one) once nothing reads it any more; others are ignored. */
  release(line: Uint8Array): void {
    if (this.free.length < this.maxFree && this.own.has(line.buffer)) this.free.push(Buffer.from(line.buffer, 0, line.buffer.byteLength));
  }
}
