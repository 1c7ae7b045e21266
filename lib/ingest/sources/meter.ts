/**
 * Counting and capping inflated bytes: `EntryMeter` for one entry's body, `ArchiveBudget` for the
 * whole archive. Both count what was actually produced, chunk by chunk, so a header that lies only
 * changes which check fires first.
 */
import { crc32 } from 'node:zlib';
import { type ArchiveLimits, formatBytes } from './limits.ts';
import type { RefusalReason } from './source.ts';

export interface MeterVerdict {
  readonly reason: RefusalReason;
  readonly detail: string;
}

/** Inflated and consumed bytes of one archive, against `maxTotalBytes` and the archive ratio. */
export class ArchiveBudget {
  readonly #limits: ArchiveLimits;
  #inflated = 0;
  #consumed = 0;
  #exceeded: MeterVerdict | undefined;

  constructor(limits: ArchiveLimits) {
    this.#limits = limits;
  }

  get inflated(): number {
    return this.#inflated;
  }

  get consumed(): number {
    return this.#consumed;
  }

  /** Set once the archive went over budget; it stays set. */
  get exceeded(): MeterVerdict | undefined {
    return this.#exceeded;
  }

  /** Adds produced (inflated) and consumed (compressed) bytes; the verdict once over budget. */
  add(inflated: number, consumed: number): MeterVerdict | undefined {
    this.#inflated += inflated;
    this.#consumed += consumed;
    if (this.#exceeded) return this.#exceeded;
    const { maxTotalBytes, maxRatio, archiveRatioFloorBytes } = this.#limits;
    if (this.#inflated > maxTotalBytes) {
      this.#exceeded = {
        reason: 'archive-too-large',
        detail: `the archive inflated past maxTotalBytes (${formatBytes(maxTotalBytes)}); nothing after this was read`,
      };
    } else if (
      this.#inflated > archiveRatioFloorBytes &&
      this.#inflated > maxRatio * this.#consumed
    ) {
      this.#exceeded = {
        reason: 'archive-too-large',
        detail: `the archive inflated ${formatBytes(this.#inflated)} from ${formatBytes(this.#consumed)} read, more than ${maxRatio}:1; nothing after this was read`,
      };
    }
    return this.#exceeded;
  }
}

export interface EntryMeterOptions {
  readonly limits: ArchiveLimits;
  /** The exact size the entry must inflate to (a zip's header); undefined when not known. */
  readonly expectedSize?: number | undefined;
  /** The CRC-32 the inflated bytes must have (a zip's header). */
  readonly expectedCrc?: number | undefined;
  /** Compressed bytes consumed for this entry so far; undefined when the entry is not compressed. */
  readonly compressed?: (() => number) | undefined;
  /** When the entry's bytes count towards the archive's budget here (zip); tar counts its stream. */
  readonly budget?: ArchiveBudget | undefined;
}

export class EntryMeter {
  readonly #options: EntryMeterOptions;
  #bytes = 0;
  #crc = 0;
  #compressedSeen = 0;

  constructor(options: EntryMeterOptions) {
    this.#options = options;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Counts one inflated chunk; a verdict when the entry (or the archive) must stop here. */
  add(chunk: Uint8Array): MeterVerdict | undefined {
    const { limits, expectedSize, expectedCrc, compressed, budget } = this.#options;
    this.#bytes += chunk.byteLength;
    if (expectedCrc !== undefined) this.#crc = crc32(chunk, this.#crc);
    const compressedNow = compressed?.() ?? this.#bytes;
    const consumed = compressedNow - this.#compressedSeen;
    this.#compressedSeen = compressedNow;
    if (expectedSize !== undefined && this.#bytes > expectedSize) {
      return {
        reason: 'corrupt-entry',
        detail: `inflates past the ${formatBytes(expectedSize)} its header declares`,
      };
    }
    if (this.#bytes > limits.maxEntryBytes) {
      return {
        reason: 'entry-too-large',
        detail: `inflated past maxEntryBytes (${formatBytes(limits.maxEntryBytes)})`,
      };
    }
    if (
      compressed !== undefined &&
      this.#bytes > limits.entryRatioFloorBytes &&
      this.#bytes > limits.maxRatio * compressedNow
    ) {
      return {
        reason: 'ratio-limit',
        detail: `inflated ${formatBytes(this.#bytes)} from ${formatBytes(compressedNow)}, more than ${limits.maxRatio}:1`,
      };
    }
    return budget?.add(chunk.byteLength, consumed);
  }

  /** At the end of the data: a verdict when the entry is short or its CRC differs. */
  end(): MeterVerdict | undefined {
    const { expectedSize, expectedCrc } = this.#options;
    if (expectedSize !== undefined && this.#bytes !== expectedSize) {
      return {
        reason: 'corrupt-entry',
        detail: `inflates to ${formatBytes(this.#bytes)} but its header declares ${formatBytes(expectedSize)}`,
      };
    }
    if (expectedCrc !== undefined && this.#crc >>> 0 !== expectedCrc >>> 0) {
      return {
        reason: 'corrupt-entry',
        detail: `CRC-32 ${hex(this.#crc)} differs from the ${hex(expectedCrc)} its header declares`,
      };
    }
    return undefined;
  }
}

function hex(n: number): string {
  return `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
}
