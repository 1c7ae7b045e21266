/**
 * The one concurrency pool: at most `limit` tasks run at once, the rest wait in order.
 * Producers that must not read ahead (an archive read entry by entry, a body cut into parts)
 * wait with `below` before they start the next task, so memory stays bounded by the limit.
 */
export class TaskPool {
  readonly #limit: number;
  #running = 0;
  readonly #waiting: (() => void)[] = [];
  /** Every task started and not yet settled, running or waiting for a slot. */
  readonly #all = new Set<Promise<unknown>>();

  constructor(limit: number) {
    this.#limit = Math.max(1, limit);
  }

  /** Tasks started and not yet settled. */
  get size(): number {
    return this.#all.size;
  }

  /** Runs `task` once a slot is free; resolves or rejects as the task does. */
  run<T>(task: () => Promise<T>): Promise<T> {
    const done = (async () => {
      if (this.#running >= this.#limit) {
        await new Promise<void>((resolve) => this.#waiting.push(resolve));
      }
      this.#running++;
      try {
        return await task();
      } finally {
        this.#running--;
        this.#waiting.shift()?.();
      }
    })();
    this.#all.add(done);
    // Handled here so a task the caller does not await rejects nowhere unhandled; the caller
    // still sees the rejection through the returned promise, `below` and `idle`.
    void done.finally(() => this.#all.delete(done)).catch(() => undefined);
    return done;
  }

  /** Resolves once fewer than `count` (the limit by default) tasks are waiting or running. */
  async below(count = this.#limit): Promise<void> {
    while (this.#all.size >= count) await Promise.race([...this.#all]);
  }

  /** Resolves once every task has settled; rejects with the first failure. */
  async idle(): Promise<void> {
    while (this.#all.size > 0) await Promise.all([...this.#all]);
  }
}

/**
 * Runs `task` over `items` with at most `concurrency` at once; results keep the items' order.
 * Rejects with the first failure, and starts no item after it.
 */
export async function mapPool<T, R>(
  items: readonly T[],
  concurrency: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const pool = new TaskPool(concurrency);
  let failed = false;
  const one = async (item: T, index: number): Promise<R> => {
    if (failed) throw new Error('not started: an earlier item failed');
    try {
      return await task(item, index);
    } catch (error) {
      failed = true;
      throw error;
    }
  };
  return Promise.all(items.map((item, index) => pool.run(() => one(item, index))));
}
