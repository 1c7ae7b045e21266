/**
 * The life of one yielded entry, shared by every reader: opened at most once, then consumed,
 * discarded, or abandoned when the iteration advances past it. Readers supply the body and what
 * "letting go" means (a tar is read past the entry; a zip entry or a file needs nothing).
 */
import type { Readable } from 'node:stream';
import { EntryAbandonedError, EntryRefusedError, SourceUsageError } from './errors.ts';
import type { MeterVerdict } from './meter.ts';
import type { SourceEntry, SourceItem } from './source.ts';

export interface EntryFacts {
  readonly index: number;
  readonly source: string;
  readonly name: string;
  readonly declaredSize: number | undefined;
  readonly path?: string | undefined;
}

type State = 'fresh' | 'open' | 'discarded' | 'settled';

export abstract class EntryHandle implements SourceEntry {
  readonly index: number;
  readonly source: string;
  readonly name: string;
  readonly declaredSize: number | undefined;
  readonly path: string | undefined;
  #state: State = 'fresh';
  #body: Readable | undefined;
  #released: Promise<void> | undefined;

  constructor(facts: EntryFacts) {
    this.index = facts.index;
    this.source = facts.source;
    this.name = facts.name;
    this.declaredSize = facts.declaredSize;
    this.path = facts.path;
  }

  open(): Readable {
    if (this.#state !== 'fresh') {
      throw new SourceUsageError(
        `${this.source}: open() called on an entry that is ${this.#state}`,
      );
    }
    this.#state = 'open';
    this.#body = this.createBody();
    return this.#body;
  }

  discard(): Promise<void> {
    if (this.#state === 'fresh') this.#state = 'discarded';
    this.#abandon('discarded');
    return this.#release();
  }

  /** Fails a body still being read (the iteration stopped); the reader lets go of the rest. */
  abandon(why: string): void {
    if (this.#state === 'fresh') this.#state = 'discarded';
    this.#abandon(why);
  }

  /** Called by the reader before it reads past this entry. */
  async settle(): Promise<void> {
    if (this.#state === 'fresh') this.#state = 'discarded';
    this.#abandon('the iteration advanced before its body was read to the end');
    await this.#release();
    this.#state = 'settled';
  }

  /** The refusal error for this entry, for its body stream. */
  refusedError(verdict: MeterVerdict, cause?: unknown): EntryRefusedError {
    return new EntryRefusedError(
      { reason: verdict.reason, index: this.index, source: this.source, detail: verdict.detail },
      cause === undefined ? undefined : { cause },
    );
  }

  protected abstract createBody(): Readable;

  /** Resolves once the reader may move on (the underlying data read past or never needed). */
  protected abstract release(): Promise<void>;

  #abandon(why: string): void {
    const body = this.#body;
    if (body && !body.readableEnded && !body.destroyed) {
      body.destroy(new EntryAbandonedError(`${this.source}: ${why}`));
    }
  }

  #release(): Promise<void> {
    this.#released ??= this.release();
    return this.#released;
  }
}

/**
 * Yields one entry and settles it when the caller advances; if the caller stops iterating
 * instead, a body it is still reading fails with `EntryAbandonedError` rather than being cut off
 * as if the source were damaged.
 */
export async function* yieldEntry(entry: EntryHandle): AsyncGenerator<SourceItem> {
  let advanced = false;
  try {
    yield { kind: 'entry', entry };
    advanced = true;
  } finally {
    if (!advanced) entry.abandon('the iteration was stopped before its body was read to the end');
  }
  await entry.settle();
}
