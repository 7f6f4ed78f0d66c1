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
    /** Slabs kept for reuse; more lines in flight than this get fresh Buffers. */
    private readonly maxFree = 8,
    /** Slabs are at least this big, so that batches of slightly different sizes share them. */
    private readonly minSlabBytes = 1 << 20,
  ) {}

  /** A Buffer of exactly `size` bytes. */
  readonly allocate = (size: number): Buffer => {
    let slab = this.free.pop();
    if (slab === undefined || slab.length < size) {
      slab = Buffer.allocUnsafeSlow(Math.max(size, this.minSlabBytes));
      this.own.add(slab.buffer);
    }
    return slab.subarray(0, size);
  };

  /** Gives back a Buffer from `allocate` (or a view of one) once nothing reads it any more; others are ignored. */
  release(line: Uint8Array): void {
    if (this.free.length < this.maxFree && this.own.has(line.buffer)) this.free.push(Buffer.from(line.buffer, 0, line.buffer.byteLength));
  }
}
