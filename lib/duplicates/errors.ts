/** The duplicates module's errors: one base class, each naming what was wrong in its message. */

export class DuplicatesError extends Error {
  override readonly name: string = 'DuplicatesError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A perceptual hash that is not 16 hex digits (a row written by something else, or damaged). */
export class InvalidHashError extends DuplicatesError {
  override readonly name = 'InvalidHashError';
  readonly hash: string;
  constructor(hash: string) {
    super(`Expected 16 hex digits for a perceptual hash but received "${hash.slice(0, 40)}"`);
    this.hash = hash;
  }
}

/** A distance outside what the index searches exactly and in reasonable time. */
export class InvalidDistanceError extends DuplicatesError {
  override readonly name = 'InvalidDistanceError';
  constructor(distance: number, max: number) {
    super(`Expected integer from 0 to ${max} for distance but received ${distance}`);
  }
}
