/**
 * A fixed-size log-linear histogram of latencies in nanoseconds: recording is a few integer
 * operations into a preallocated `Float64Array`, whatever the number of calls. Values below 128 ns
 * are exact; above, each power of two is cut into 64 buckets, so a percentile is within 1.6%.
 */

const SUB_BITS = 6;
const SUB_COUNT = 1 << SUB_BITS; // 64 buckets per power of two
const LINEAR_LIMIT = SUB_COUNT * 2; // 0‥127 exact
const MAX_VALUE = 2 ** 32 - 1; // ~4.3 s; larger values are counted here
const BUCKETS = (32 - SUB_BITS) * SUB_COUNT + LINEAR_LIMIT;

/** Percentiles and extremes of the recorded latencies, in nanoseconds. */
export interface LatencySummary {
  readonly count: number;
  readonly meanNs: number;
  readonly minNs: number;
  readonly p50Ns: number;
  readonly p90Ns: number;
  readonly p99Ns: number;
  readonly p999Ns: number;
  readonly maxNs: number;
}

/** Latencies in nanoseconds; see the module comment for the precision. */
export class LatencyHistogram {
  readonly #counts = new Float64Array(BUCKETS);
  #count = 0;
  #sum = 0;
  #min = Number.POSITIVE_INFINITY;
  #max = 0;

  get count(): number {
    return this.#count;
  }

  /** Records one latency (ns, a non-negative number; fractions are dropped). */
  record(nanoseconds: number): void {
    const value = nanoseconds >= MAX_VALUE ? MAX_VALUE : nanoseconds > 0 ? Math.floor(nanoseconds) : 0;
    this.#counts[bucketOf(value)]!++;
    this.#count++;
    this.#sum += value;
    if (value < this.#min) this.#min = value;
    if (value > this.#max) this.#max = value;
  }

  /** The latency below which a fraction `q` (0‥1) of the recorded ones fall; NaN when empty. */
  percentile(q: number): number {
    if (this.#count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil(q * this.#count));
    let seen = 0;
    for (let index = 0; index < BUCKETS; index++) {
      seen += this.#counts[index]!;
      if (seen >= rank) return Math.min(this.#max, Math.max(this.#min, middleOf(index)));
    }
    return this.#max;
  }

  summary(): LatencySummary {
    const empty = this.#count === 0;
    return {
      count: this.#count,
      meanNs: empty ? Number.NaN : this.#sum / this.#count,
      minNs: empty ? Number.NaN : this.#min,
      p50Ns: this.percentile(0.5),
      p90Ns: this.percentile(0.9),
      p99Ns: this.percentile(0.99),
      p999Ns: this.percentile(0.999),
      maxNs: empty ? Number.NaN : this.#max,
    };
  }
}

/** The bucket of an integer 0‥MAX_VALUE. */
function bucketOf(value: number): number {
  if (value < LINEAR_LIMIT) return value;
  const shift = 31 - Math.clz32(value) - SUB_BITS; // ≥ 1; value >>> shift is 64‥127
  return shift * SUB_COUNT + (value >>> shift);
}

/** The middle of the values a bucket holds. */
function middleOf(index: number): number {
  if (index < LINEAR_LIMIT) return index;
  const shift = (index >>> SUB_BITS) - 1;
  const mantissa = index - shift * SUB_COUNT;
  return mantissa * 2 ** shift + (2 ** shift - 1) / 2;
}
