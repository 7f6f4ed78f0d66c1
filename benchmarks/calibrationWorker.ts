/**
 * A fixed pure-JS workload (xorshift32 plus a small array write): its ns per iteration
 * lets a reader scale these results to another machine.
 */
const ITERATIONS = 30_000_000;

function work(n: number): number {
  const table = new Int32Array(1024);
  let x = 2463534242;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    table[x & 1023] = (table[x & 1023]! + i) | 0;
  }
  return table[7]! ^ x;
}

work(ITERATIONS / 10);
const start = process.hrtime.bigint();
const checksum = work(ITERATIONS);
const ns = Number(process.hrtime.bigint() - start);
process.stdout.write(`${JSON.stringify({ nsPerOp: ns / ITERATIONS, checksum })}\n`);
