import { ImageRejectedError } from './errors.ts';

/** The per-image time budget, handed to sharp's own timeout (libvips checks it while it works). */
export class Deadline {
  readonly #endsAt: number;
  readonly #seconds: number;
  constructor(seconds: number) {
    this.#seconds = seconds;
    this.#endsAt = Date.now() + seconds * 1000;
  }

  /** Whole seconds left; throws `timeout` when none are. */
  secondsLeft(): number {
    const left = this.#endsAt - Date.now();
    if (left <= 0) {
      throw new ImageRejectedError(
        'timeout',
        `Processing took longer than the ${this.#seconds} s per-image limit`,
      );
    }
    return Math.max(1, Math.ceil(left / 1000));
  }
}
