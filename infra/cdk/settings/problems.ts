/**
 * The one list of problems every resolver of the ImagePipeline's props adds to, so one synth
 * reports them all at once (aws-solutions-constructs style), in one message style: "Expected
 * integer between 1 and 10000 for batchSize but received 0".
 */
import { Token } from 'aws-cdk-lib';

/** How a received value is named in a problem; tokens cannot be shown (or checked) at synth. */
export function describe(value: unknown): string {
  if (Token.isUnresolved(value)) return 'an unresolved token';
  if (typeof value === 'string') return JSON.stringify(value);
  return `${String(value)} of type ${Array.isArray(value) ? 'array' : typeof value}`;
}

/** Drops keys whose value is undefined, so `{ ...defaults, ...props }` keeps the defaults. */
export function defined<T extends object>(value: T | undefined): Partial<T> {
  return Object.fromEntries(
    Object.entries(value ?? {}).filter(([, v]) => v !== undefined),
  ) as Partial<T>;
}

export class Problems {
  readonly list: string[] = [];

  add(problem: string): void {
    this.list.push(problem);
  }

  /**
   * Reports and drops the keys of `values` that are unresolved tokens: nothing can be checked or
   * derived from them, and downstream checks would only misname them.
   */
  knownAtSynth<T extends object>(values: T, prefix = ''): Partial<T> {
    const known: Partial<T> = {};
    for (const [key, value] of Object.entries(values)) {
      if (Token.isUnresolved(value)) {
        this.add(
          `Expected a value known at synth for ${prefix}${key} but received ${describe(value)}`,
        );
      } else {
        Object.assign(known, { [key]: value });
      }
    }
    return known;
  }

  /** An integer in [min, max], known at synth (tokens cannot be checked or derived from). */
  int(name: string, value: unknown, min: number, max: number): value is number {
    return this.#knownNumber(
      name,
      value,
      (n) => Number.isInteger(n) && n >= min && n <= max,
      `integer between ${min} and ${max}`,
    );
  }

  /** A finite number in (exclusiveMin, max]. */
  number(name: string, value: unknown, exclusiveMin: number, max: number): value is number {
    return this.#knownNumber(
      name,
      value,
      (n) => Number.isFinite(n) && n > exclusiveMin && n <= max,
      `number above ${exclusiveMin} and at most ${max}`,
    );
  }

  /** A number known at synth that `fits`; otherwise a problem saying the `expected` one. */
  #knownNumber(
    name: string,
    value: unknown,
    fits: (n: number) => boolean,
    expected: string,
  ): value is number {
    if (typeof value !== 'number' || Token.isUnresolved(value) || !fits(value)) {
      this.add(`Expected ${expected} for ${name} but received ${describe(value)}`);
      return false;
    }
    return true;
  }
}
