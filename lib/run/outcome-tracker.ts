/**
 * Follows a run's uploaded images until each has an outcome on its row — DONE, REJECTED, or FAILED
 * (its retries spent, its message in or on its way to the DLQ) — and hands each over as it
 * settles, so the run exports it and forgets it.
 *
 * Two ways to learn an outcome, one cheap and one sure:
 * - `notify(row)`: the workers in this process report every row they finish (the handler's
 *   `onSettled`), as the table wrote it. No read at all.
 * - a sweep: the rows of the images still pending, read in batches of 100 (BatchGetItem). It runs
 *   for images that may have finished before this run (uploads that were already there), when no
 *   notification has come for `quietMs` (workers elsewhere may be doing the work: `pixelmill
 *   worker` processes, a joined cloud), and before any decision at a drained queue. Its cost is
 *   proportional to what is pending, but it never runs while this process's workers keep
 *   reporting.
 * Once the work queue has been empty twice in a row, an image still without an outcome has no
 * message at all (a lost event; an object uploaded before under another config): it is enqueued
 * again once, as a `resume` job; still without an outcome when the queue drains again, it is
 * given up on as unsettled.
 */
import { type ImageRow, imageRowKey } from '../../events/image-row.ts';
import { buildJobMessage } from '../../events/job-message.ts';
import { type ImageTable, type RowKey, rowId } from '../aws/image-table.ts';
import type { Queue } from '../aws/queue.ts';

export interface TrackedImage {
  readonly rowKey: RowKey;
  readonly bucket: string;
  readonly key: string;
  readonly etag: string;
  readonly versionId?: string | undefined;
  readonly size: number;
  /** The manifest's `source`. */
  readonly source: string;
}

export interface OutcomeProgress {
  readonly total: number;
  readonly done: number;
  readonly rejected: number;
  readonly failed: number;
  readonly requeued: number;
  /** Of the settled, those whose outcome was written since the tracker started (this run's). */
  readonly processed: number;
}

const SETTLED = new Set(['DONE', 'REJECTED', 'FAILED']);
/**
 * Notifications kept from before their image was expected (a worker faster than the uploader:
 * only between an upload's event and its PUT's answer, or for a duplicate of an image already
 * finished): a few at a time, never thousands.
 */
const EARLY_LIMIT = 1_000;
const BATCH = 100;

export interface TrackerOptions {
  readonly configHash: string;
  /**
   * Called once per settled image, as it settles (with the rendition bytes its worker stored,
   * when this process's worker made it); every call is awaited before `finish` returns.
   */
  readonly onSettled: (
    image: TrackedImage,
    row: ImageRow,
    stored?: ReadonlyMap<string, Buffer>,
  ) => Promise<void>;
  readonly onProgress?: (progress: OutcomeProgress) => void;
  readonly pollMs?: number;
  /** Sweep when no notification has come for this long. */
  readonly quietMs?: number;
  readonly signal?: AbortSignal;
}

export class OutcomeTracker {
  readonly #table: ImageTable;
  readonly #queue: Queue;
  readonly #options: TrackerOptions;
  readonly #pending = new Map<string, TrackedImage>();
  /** Expected images whose rows may already be final: swept at the next tick. */
  readonly #toCheck = new Set<string>();
  readonly #early = new Map<string, { row: ImageRow; stored?: ReadonlyMap<string, Buffer> }>();
  readonly #requeued = new Set<string>();
  readonly #unsettled: TrackedImage[] = [];
  readonly #counts = { total: 0, done: 0, rejected: 0, failed: 0, processed: 0 };
  readonly #startedAt = Date.now();
  /** Ends `finish`'s current pause early. */
  #wake: (() => void) | undefined;
  /** Hand-overs not finished yet. */
  readonly #handing = new Set<Promise<void>>();
  #handoffError: unknown;
  #lastNotice = Date.now();
  #uploadsDone = false;

  constructor(deps: { table: ImageTable; workQueue: Queue }, options: TrackerOptions) {
    this.#table = deps.table;
    this.#queue = deps.workQueue;
    this.#options = options;
  }

  rowKeyOf(image: { bucket: string; key: string; etag: string; versionId?: string | undefined }) {
    return imageRowKey({
      bucket: image.bucket,
      key: image.key,
      version: image.versionId ?? image.etag,
      configHash: this.#options.configHash,
    });
  }

  /** An uploaded image to wait for; `maybeFinished`: its content was already in the bucket. */
  expect(image: TrackedImage, maybeFinished: boolean): void {
    const id = rowId(image.rowKey);
    this.#counts.total++;
    const early = this.#early.get(id);
    if (early) {
      this.#early.delete(id);
      this.#settle(id, image, early.row, early.stored);
      return;
    }
    this.#pending.set(id, image);
    if (maybeFinished) this.#toCheck.add(id);
  }

  /** A row a worker in this process finished (with the rendition bytes it stored). */
  notify(row: ImageRow, stored?: ReadonlyMap<string, Buffer>): void {
    if (!SETTLED.has(row.status) || row.configHash !== this.#options.configHash) return;
    this.#lastNotice = Date.now();
    const id = rowId(row);
    const image = this.#pending.get(id);
    if (image) {
      this.#settle(id, image, row, stored);
      return;
    }
    if (this.#uploadsDone) return;
    // Without its bytes: an image that is never expected must not hold memory.
    this.#early.set(id, { row });
    if (this.#early.size > EARLY_LIMIT) {
      const oldest = this.#early.keys().next().value;
      if (oldest !== undefined) this.#early.delete(oldest);
    }
  }

  #settle(
    id: string,
    image: TrackedImage,
    row: ImageRow,
    stored?: ReadonlyMap<string, Buffer>,
  ): void {
    this.#pending.delete(id);
    this.#toCheck.delete(id);
    if (this.#pending.size === 0) this.#wake?.();
    if (row.status === 'DONE') this.#counts.done++;
    else if (row.status === 'REJECTED') this.#counts.rejected++;
    else this.#counts.failed++;
    if (Date.parse(row.updatedAt) >= this.#startedAt) this.#counts.processed++;
    const handed: Promise<void> = this.#options
      .onSettled(image, row, stored)
      .catch((error: unknown) => {
        this.#handoffError ??= error;
      })
      .finally(() => this.#handing.delete(handed));
    this.#handing.add(handed);
  }

  #report(): void {
    this.#options.onProgress?.({ ...this.#counts, requeued: this.#requeued.size });
  }

  async #sweep(ids: Iterable<string>): Promise<void> {
    const batch: TrackedImage[] = [];
    const flush = async () => {
      const found = await this.#table.getMany(batch.map((image) => image.rowKey));
      for (const [id, row] of found) {
        const image = this.#pending.get(id);
        if (image && SETTLED.has(row.status)) this.#settle(id, image, row);
      }
      batch.length = 0;
    };
    for (const id of [...ids]) {
      const image = this.#pending.get(id);
      if (!image) continue;
      batch.push(image);
      if (batch.length === BATCH) await flush();
    }
    if (batch.length > 0) await flush();
  }

  /**
   * Waits, once every input has been expected, until no image is pending (or the signal
   * aborts); returns the images given up on and those still pending at an interruption.
   */
  async finish(): Promise<{
    unsettled: TrackedImage[];
    pending: TrackedImage[];
  }> {
    this.#uploadsDone = true;
    this.#early.clear();
    const pollMs = this.#options.pollMs ?? 250;
    const quietMs = this.#options.quietMs ?? 2000;
    let emptyChecks = 0;
    while (this.#pending.size > 0 && !this.#options.signal?.aborted) {
      if (this.#toCheck.size > 0) await this.#sweep([...this.#toCheck]);
      this.#toCheck.clear();
      this.#report();
      if (this.#pending.size === 0) break;
      const depth = await this.#queue.depth();
      const empty = depth.visible + depth.inFlight + depth.delayed === 0;
      // Two empty readings in a row: the attributes are approximate, and a message can be
      // between a receive and its visibility being recorded.
      emptyChecks = empty ? emptyChecks + 1 : 0;
      if (emptyChecks >= 2 || Date.now() - this.#lastNotice > quietMs) {
        await this.#sweep(this.#pending.keys());
        this.#lastNotice = Date.now();
      }
      if (emptyChecks >= 2 && this.#pending.size > 0) {
        emptyChecks = 0;
        await this.#requeueOrGiveUp();
      }
      await this.#pause(pollMs);
    }
    this.#report();
    while (this.#handing.size > 0) await Promise.all([...this.#handing]);
    if (this.#handoffError) throw this.#handoffError;
    return { unsettled: this.#unsettled, pending: [...this.#pending.values()] };
  }

  /** Sleeps `ms`, or less: the last pending image settling ends the wait at once. */
  #pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = undefined;
        resolve();
      }, ms);
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
    });
  }

  async #requeueOrGiveUp(): Promise<void> {
    for (const [id, image] of [...this.#pending]) {
      if (this.#requeued.has(id)) {
        this.#unsettled.push(image);
        this.#pending.delete(id);
        continue;
      }
      this.#requeued.add(id);
      const job = buildJobMessage({
        origin: 'resume',
        bucket: image.bucket,
        key: image.key,
        size: image.size,
        etag: image.etag,
        ...(image.versionId ? { versionId: image.versionId } : {}),
        sequencer: Date.now().toString(16).toUpperCase().padStart(16, '0'),
      });
      await this.#queue.send(JSON.stringify(job));
    }
  }
}
