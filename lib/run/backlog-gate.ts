/**
 * Holds `pixelmill run`'s uploads back while the work queue already has enough images waiting.
 * Uploading is far faster than rendering, and every image uploaded but not finished is held in
 * memory twice: by the local queue (fauxqs keeps each waiting message in memory) and by the run's
 * outcome tracker. A 100,000-image run that uploaded everything first held 100,000 of each; with
 * the gate it holds about `high`, whatever the number of images.
 *
 * Only visible messages count: an image whose event was lost, or which waits out a retry delay,
 * never holds uploads back, so the gate cannot wait on work nobody will take. A depth that cannot
 * be read lets the upload through (the queue is then the run's problem, reported elsewhere).
 */
import type { QueueDepth } from '../aws/queue.ts';

export interface BacklogGateOptions {
  /** Uploads wait once this many messages are visible… */
  readonly high: number;
  /** …until fewer than this many are. */
  readonly low: number;
  /** The depth is read once per this many uploads (a read costs one request). */
  readonly every: number;
  readonly pollMs: number;
  readonly signal?: AbortSignal | undefined;
}

/**
 * A few seconds of work for the fastest images (tiny ones go at ~100 a second on 2 cores), far
 * more than the workers can take at once (a batch of 10 per poller): the pixel processes never
 * wait for uploads, and what waits in memory stays a few hundred images (it was 2,000: ~50 KB of
 * resident memory each, counted by `npm run bench -- memory`).
 */
export const DEFAULT_BACKLOG: Omit<BacklogGateOptions, 'signal'> = {
  high: 256,
  low: 128,
  every: 32,
  pollMs: 100,
};

export class BacklogGate {
  readonly #queue: { depth(): Promise<QueueDepth> };
  readonly #options: BacklogGateOptions;
  #sinceRead = 0;
  /** Times an upload waited (for the tests and the log). */
  waits = 0;

  constructor(queue: { depth(): Promise<QueueDepth> }, options: BacklogGateOptions) {
    this.#queue = queue;
    this.#options = options;
  }

  /** Resolves when one more image may be uploaded. */
  async ready(): Promise<void> {
    if (++this.#sinceRead < this.#options.every) return;
    this.#sinceRead = 0;
    let limit = this.#options.high;
    for (;;) {
      if (this.#options.signal?.aborted) return;
      const visible = await this.#visible();
      if (visible === undefined || visible < limit) return;
      if (limit === this.#options.high) this.waits++;
      limit = this.#options.low;
      await new Promise((resolve) => setTimeout(resolve, this.#options.pollMs));
    }
  }

  async #visible(): Promise<number | undefined> {
    try {
      return (await this.#queue.depth()).visible;
    } catch {
      return undefined;
    }
  }
}
