/**
 * The one rate pacer: spaces sends so that at most `ratePerSecond` go out per second. A batch
 * of n takes n intervals; time spent idle is not banked, so a pause earns no burst after it.
 */
export class Pacer {
  readonly #intervalMs: number;
  #nextAt = Date.now();

  constructor(ratePerSecond: number) {
    this.#intervalMs = 1000 / Math.max(0.001, ratePerSecond);
  }

  /** Waits for the turn of the next `count` sends. */
  async take(count = 1): Promise<void> {
    const wait = this.#nextAt - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    this.#nextAt = Math.max(Date.now(), this.#nextAt) + this.#intervalMs * count;
  }
}
