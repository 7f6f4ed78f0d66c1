import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 16 * 1024;
/**
 * Ids are cut from the hex text of a window of the pool: one native hex conversion per window
 * instead of one per id, and an id is then a substring (V8 makes it a slice of the window's text,
 * no copy). 64 words hold about ten sampled spans' ids, and a held id keeps at most this window's
 * 512 characters alive with it.
 */
const WINDOW_WORDS = 64;

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
  /** The window whose hex text is `windowHex` (-1: none since the last refill). */
  private window = -1;
  private windowHex = '';

  /** 28 random bits (half of the 56 bits of sampling randomness). */
  bits28(): number {
    if (this.next === this.words.length) this.refill();
    return this.words[this.next++]! & 0x0fff_ffff;
  }

  /** A random trace id (32 hex digits, never all zero), for a root whose randomness is not drawn yet: its low 56 bits are it. */
  randomTraceId(): string {
    for (;;) {
      const at = this.block(4);
      const w = this.words;
      if (w[at] !== 0 || w[at + 1] !== 0 || w[at + 2] !== 0 || w[at + 3] !== 0) return this.hex(at, 4);
    }
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
    for (;;) {
      const at = this.block(2);
      if (this.words[at] !== 0 || this.words[at + 1] !== 0) return this.hex(at, 2);
    }
  }

  private word(): number {
    if (this.next === this.words.length) this.refill();
    return this.words[this.next++]!;
  }

  /** The first of `n` unread words (n divides WINDOW_WORDS) inside one window, taken from the pool. */
  private block(n: number): number {
    if ((this.next % WINDOW_WORDS) + n > WINDOW_WORDS) this.next += WINDOW_WORDS - (this.next % WINDOW_WORDS);
    if (this.next + n > this.words.length) this.refill();
    const at = this.next;
    this.next += n;
    return at;
  }

  /** The hex text of `n` words from word `at` (in one window), in byte order. */
  private hex(at: number, n: number): string {
    const window = Math.floor(at / WINDOW_WORDS);
    if (window !== this.window) {
      this.windowHex = this.bytes.toString('hex', window * WINDOW_WORDS * 4, (window + 1) * WINDOW_WORDS * 4);
      this.window = window;
    }
    const start = (at - window * WINDOW_WORDS) * 8;
    return this.windowHex.substring(start, start + n * 8);
  }

  private refill(): void {
    randomFillSync(this.bytes);
    this.next = 0;
    this.window = -1;
  }
}
