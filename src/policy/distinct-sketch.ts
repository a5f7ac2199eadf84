/**
 * A bounded estimate of how many distinct values were seen recently: two
 * HyperLogLog sketches (1,024 one-byte registers each, about 3% standard
 * error) that rotate every window. The estimate covers the current window and
 * the previous one, so it always spans between one and two windows of
 * history. Memory is fixed (2 KiB) whatever the number of values.
 */

const PRECISION = 10;
const REGISTERS = 1 << PRECISION;
const ALPHA = 0.7213 / (1 + 1.079 / REGISTERS);
const TWO_32 = 0x1_0000_0000;

/** murmur3's 32-bit finalizer: spreads FNV's weak low-bit mixing over all bits. */
export function mix32(hash: number): number {
  let h = hash >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export class HyperLogLog {
  readonly registers = new Uint8Array(REGISTERS);

  /** Add a well-mixed 32-bit hash. */
  addHash(hash: number): void {
    const index = hash >>> (32 - PRECISION);
    // Rank of the first set bit in the remaining 22 bits (a sentinel bit caps it at 23).
    const rank = Math.clz32(((hash << PRECISION) | (1 << (PRECISION - 1))) >>> 0) + 1;
    // Stryker disable next-line EqualityOperator: at equal ranks, writing the same rank changes nothing
    if (rank > this.registers[index]!) this.registers[index] = rank;
  }

  clear(): void {
    this.registers.fill(0);
  }

  /** The cardinality estimate of the union of `sketches` (register-wise maximum). */
  static estimate(...sketches: HyperLogLog[]): number {
    let sum = 0;
    let zeros = 0;
    for (let i = 0; i < REGISTERS; i++) {
      let max = 0;
      for (const sketch of sketches) {
        const value = sketch.registers[i]!;
        // Stryker disable next-line EqualityOperator: at equal values, the maximum is the same
        if (value > max) max = value;
      }
      sum += 2 ** -max;
      if (max === 0) zeros++;
    }
    let estimate = (ALPHA * REGISTERS * REGISTERS) / sum;
    if (estimate <= 2.5 * REGISTERS && zeros > 0) {
      estimate = REGISTERS * Math.log(REGISTERS / zeros); // linear counting for small sets
    } else if (estimate > TWO_32 / 30) {
      estimate = -TWO_32 * Math.log(1 - estimate / TWO_32);
    }
    return Math.round(estimate);
  }
}

export class WindowedDistinct {
  private current = new HyperLogLog();
  private previous = new HyperLogLog();
  private windowStart: number;

  constructor(
    readonly windowMillis: number,
    private readonly now: () => number = Date.now,
  ) {
    this.windowStart = now();
  }

  /** Hot path: one register update, no clock read (rotation happens when the estimate is read). */
  addHash(hash: number): void {
    this.current.addHash(hash);
  }

  /** Distinct values added in the current and the previous window. */
  estimate(): number {
    this.rotateIfDue();
    return HyperLogLog.estimate(this.current, this.previous);
  }

  private rotateIfDue(): void {
    const now = this.now();
    const elapsed = now - this.windowStart;
    if (elapsed < this.windowMillis) return;
    const old = this.previous;
    old.clear();
    this.previous = this.current;
    this.current = old;
    // Nobody read the estimate for two windows or more: what was added is kept
    // as the previous window (it may be older; it is never counted twice).
    this.windowStart = elapsed >= 2 * this.windowMillis ? now : this.windowStart + this.windowMillis;
  }
}
