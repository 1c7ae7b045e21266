/**
 * How many instants (epoch ms) happened by a given time, for a stream of instants whose range
 * is not known in advance, in fixed memory: at most `capacity` bins (4 bytes each). Bins start
 * 1 ms wide and double in width whenever the instants would span more than `capacity` of them;
 * bins are aligned to multiples of their width, so merging two neighbours is exact. After any
 * number of instants a bin is at most 2 × (max − min) / capacity wide.
 *
 * `countsAt` never counts an instant before it happened: a bin counts once it has wholly passed
 * (and every instant counts from `max` on), so a count is exact at a bin boundary and at or after
 * the last instant, and otherwise short by at most the instants of the one bin it falls in.
 */
export class InstantHistogram {
  readonly #capacity: number;
  #counts: Uint32Array;
  /** Bin width, ms: a power of two. */
  #width = 1;
  /** Absolute index (floor(instant / width)) of #counts[0] and of the last bin in use. */
  #first = 0;
  #last = 0;
  #count = 0;
  #min = Number.POSITIVE_INFINITY;
  #max = Number.NEGATIVE_INFINITY;

  constructor(capacity = 4096) {
    if (!Number.isInteger(capacity) || capacity < 2) {
      throw new RangeError(`Expected integer ≥ 2 for capacity but received ${capacity}`);
    }
    this.#capacity = capacity;
    this.#counts = new Uint32Array(capacity);
  }

  get count(): number {
    return this.#count;
  }

  /** The earliest instant added, or undefined when none was. */
  get min(): number | undefined {
    return this.#count > 0 ? this.#min : undefined;
  }

  /** The latest instant added, or undefined when none was. */
  get max(): number | undefined {
    return this.#count > 0 ? this.#max : undefined;
  }

  add(instant: number): void {
    if (!Number.isFinite(instant)) return;
    if (this.#count === 0) {
      this.#first = Math.floor(instant / this.#width);
      this.#last = this.#first;
    }
    let index = Math.floor(instant / this.#width);
    while (Math.max(this.#last, index) - Math.min(this.#first, index) >= this.#capacity) {
      this.#coarsen();
      index = Math.floor(instant / this.#width);
    }
    if (index < this.#first) {
      const shift = this.#first - index;
      this.#counts.copyWithin(shift, 0, this.#last - this.#first + 1);
      this.#counts.fill(0, 0, shift);
      this.#first = index;
    }
    this.#last = Math.max(this.#last, index);
    this.#counts[index - this.#first] = (this.#counts[index - this.#first] ?? 0) + 1;
    this.#count++;
    this.#min = Math.min(this.#min, instant);
    this.#max = Math.max(this.#max, instant);
  }

  /** For each instant of `at` (ascending), how many instants had happened by then. */
  countsAt(at: readonly number[]): number[] {
    const result: number[] = [];
    let bin = 0;
    let passed = 0;
    const used = this.#count > 0 ? this.#last - this.#first + 1 : 0;
    for (const t of at) {
      if (this.#count > 0 && t >= this.#max) {
        result.push(this.#count);
        continue;
      }
      // Bin b holds [(first + b) × width, (first + b + 1) × width): wholly passed once its end ≤ t + 1.
      while (bin < used && (this.#first + bin + 1) * this.#width <= t + 1) {
        passed += this.#counts[bin] ?? 0;
        bin++;
      }
      result.push(passed);
    }
    return result;
  }

  /** Halves the resolution: each pair of aligned neighbours becomes one bin twice as wide. */
  #coarsen(): void {
    const counts = new Uint32Array(this.#capacity);
    const first = Math.floor(this.#first / 2);
    for (let index = this.#first; index <= this.#last; index++) {
      const at = Math.floor(index / 2) - first;
      counts[at] = (counts[at] ?? 0) + (this.#counts[index - this.#first] ?? 0);
    }
    this.#counts = counts;
    this.#first = first;
    this.#last = Math.floor(this.#last / 2);
    this.#width *= 2;
  }
}
