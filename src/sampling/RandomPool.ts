import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 16 * 1024;

/**
 * Random bits drawn from the OS in 16 KiB refills, so a sampling decision costs a couple of array
 * reads instead of a system call or a Math.random() per id. Ids made here are hex strings built
 * only when someone needs them (a sampled span, a propagated context).
 */
export class RandomPool {
  private readonly bytes = Buffer.allocUnsafe(POOL_BYTES);
  private readonly words = new Uint32Array(this.bytes.buffer, this.bytes.byteOffset, POOL_BYTES / 4);
  /** Next unread 32-bit word; the pool is refilled when it runs out. */
  private next = POOL_BYTES / 4;
  private readonly scratch = Buffer.allocUnsafe(16);

  /** 28 random bits (half of the 56 bits of sampling randomness). */
  bits28(): number {
    if (this.next === this.words.length) this.refill();
    return this.words[this.next++]! & 0x0fff_ffff;
  }

  /** A random trace id (32 hex digits, never all zero) whose low 56 bits are `hi * 2^28 + lo`. */
  traceId(hi: number, lo: number): string {
    const s = this.scratch;
    for (;;) {
      s.writeUInt32BE(this.word(), 0);
      s.writeUInt32BE(this.word(), 4);
      s[8] = this.word() & 0xff;
      s[9] = hi >>> 20;
      s[10] = (hi >>> 12) & 0xff;
      s[11] = (hi >>> 4) & 0xff;
      s[12] = ((hi & 0xf) << 4) | (lo >>> 24);
      s[13] = (lo >>> 16) & 0xff;
      s[14] = (lo >>> 8) & 0xff;
      s[15] = lo & 0xff;
      if (s.readUInt32BE(0) !== 0 || s.readUInt32BE(4) !== 0 || s.readUInt32BE(8) !== 0 || s.readUInt32BE(12) !== 0) {
        return s.toString('hex', 0, 16);
      }
      hi = this.bits28();
      lo = this.bits28();
    }
  }

  /** A random span id (16 hex digits, never all zero). */
  spanId(): string {
    const s = this.scratch;
    for (;;) {
      const a = this.word();
      const b = this.word();
      if (a !== 0 || b !== 0) {
        s.writeUInt32BE(a, 0);
        s.writeUInt32BE(b, 4);
        return s.toString('hex', 0, 8);
      }
    }
  }

  private word(): number {
    if (this.next === this.words.length) this.refill();
    return this.words[this.next++]!;
  }

  private refill(): void {
    randomFillSync(this.bytes);
    this.next = 0;
  }
}
