/**
 * The first `limit` items of a stream in a given order, in O(limit) memory: a max-heap whose
 * root is the last item kept, so each offered item costs one comparison when it does not make
 * the cut and O(log limit) when it does. What sorting everything and slicing would give, without
 * holding everything: for the same result under ties, make `compare` total (e.g. end on the
 * item's position in the stream).
 */
export class BoundedSelection<T> {
  readonly #limit: number;
  readonly #compare: (a: T, b: T) => number;
  readonly #heap: T[] = [];

  constructor(limit: number, compare: (a: T, b: T) => number) {
    if (!Number.isInteger(limit) || limit < 0) {
      throw new RangeError(`Expected non-negative integer for limit but received ${limit}`);
    }
    this.#limit = limit;
    this.#compare = compare;
  }

  get size(): number {
    return this.#heap.length;
  }

  /** Keeps `item` if it is among the first `limit` seen so far; returns whether it was kept. */
  offer(item: T): boolean {
    const heap = this.#heap;
    if (heap.length < this.#limit) {
      heap.push(item);
      this.#up(heap.length - 1);
      return true;
    }
    const worst = heap[0];
    if (worst === undefined || this.#compare(item, worst) >= 0) return false;
    heap[0] = item;
    this.#down(0);
    return true;
  }

  /** The kept items, first first. */
  sorted(): T[] {
    return [...this.#heap].sort(this.#compare);
  }

  #up(index: number): void {
    const heap = this.#heap;
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.#compare(heap[i] as T, heap[parent] as T) <= 0) return;
      this.#swap(i, parent);
      i = parent;
    }
  }

  #down(index: number): void {
    const heap = this.#heap;
    let i = index;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let largest = i;
      if (left < heap.length && this.#compare(heap[left] as T, heap[largest] as T) > 0)
        largest = left;
      if (right < heap.length && this.#compare(heap[right] as T, heap[largest] as T) > 0)
        largest = right;
      if (largest === i) return;
      this.#swap(i, largest);
      i = largest;
    }
  }

  #swap(a: number, b: number): void {
    const heap = this.#heap;
    const held = heap[a] as T;
    heap[a] = heap[b] as T;
    heap[b] = held;
  }
}
