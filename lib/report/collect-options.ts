/** What a report is asked to cover, and which keys that is (the scope). */

import { KeyPrefixes } from '../ops/key-prefixes.ts';
import type { TimelinePoint } from './data.ts';

export interface PendingImages {
  /** How many of the run's images have no row in the metadata table. */
  readonly count: number;
  /** Some of their keys (the contact sheet shows these after the rows, as room allows). */
  readonly examples: readonly string[];
}

export interface CollectOptions {
  readonly title: string;
  readonly target: string;
  /**
   * Only keys under any of these (`[]`: none); by default every key. A run passes one per input:
   * a directory's or archive's root prefix (`uploads/photos/`), or a file's own key. Any number
   * costs one binary search per row; the derived timeline lists each of them (or, past 32, their
   * common prefix) in the uploads bucket.
   */
  readonly prefixes?: readonly string[] | undefined;
  /**
   * The run's images that have no row in the table yet (their event not taken): counted as
   * pending. The run knows them; the collector does not look for them. An image whose row is
   * there but not finished (PROCESSING, RETRYING) is a row: the collector counts it itself, so
   * it must not be in here too.
   */
  readonly pending?: PendingImages | undefined;
  /** Only keys under this prefix (`pixelmill report --prefix`), with any of the above. */
  readonly prefix?: string | undefined;
  /** Samples taken during a run; without them the timeline is derived. */
  readonly timeline?: readonly TimelinePoint[] | undefined;
  /** The run's wall time. */
  readonly seconds?: number | undefined;
  /**
   * A run's own rate (the images it processed over the time it spent on them: manifest.json's);
   * without it, the finished rows over `seconds`.
   */
  readonly imagesPerSecond?: number | undefined;
  readonly maxImages?: number | undefined;
  /**
   * Look for duplicates among the DONE images in scope (the report's duplicates section), at
   * most this many of 64 bits apart; undefined leaves the section out (and its scan).
   */
  readonly duplicatesDistance?: number | undefined;
  /**
   * The section compares the DONE images only when there are at most this many (its scan holds
   * ~350 bytes per image and reads every row: the rest of the report stays a page whatever the
   * table's size); above, it says so and points to `pixelmill duplicates`.
   * @default REPORT_DUPLICATES_MAX_IMAGES
   */
  readonly duplicatesMaxImages?: number | undefined;
  readonly maxThumbnails?: number | undefined;
  readonly now?: Date | undefined;
}

/** Which keys the report is about: `prefix` and `prefixes` together. */
export interface Scope {
  readonly has: (key: string) => boolean;
  readonly prefixes: KeyPrefixes | undefined;
}

export function scopeOf(options: CollectOptions): Scope {
  const { prefix } = options;
  const prefixes = options.prefixes ? new KeyPrefixes(options.prefixes) : undefined;
  return {
    prefixes,
    has: (key) => (!prefix || key.startsWith(prefix)) && (!prefixes || prefixes.has(key)),
  };
}
