/**
 * Waits until every uploaded image has an outcome on its row: DONE, REJECTED, or FAILED (its
 * retries are spent and its message is in, or on its way to, the DLQ).
 *
 * Progress needs no events from the workers, only the table and the queue: the worker writes an
 * image's row before its message is deleted, so once the work queue is empty, an image still
 * without an outcome has no message at all. That happens when an event was lost (S3 → EventBridge
 * is at-least-once only in theory; a crash between upload and enqueue), or when the object was
 * uploaded before, under another config. Such an image is enqueued again once, as a `resume`
 * job; if it is still without an outcome when the queue drains again, it is reported PENDING.
 */
import type { ImageRow } from '../../events/image-row.ts';
import { buildJobMessage } from '../../events/job-message.ts';
import { type ImageTable, type RowKey, rowId } from '../aws/image-table.ts';
import type { Queue } from '../aws/queue.ts';

export interface AwaitedImage {
  readonly rowKey: RowKey;
  readonly bucket: string;
  readonly key: string;
  readonly etag: string;
  readonly versionId?: string | undefined;
  readonly size: number;
}

export interface OutcomeProgress {
  readonly total: number;
  readonly done: number;
  readonly rejected: number;
  readonly failed: number;
  readonly requeued: number;
}

export interface Outcomes {
  readonly rows: ReadonlyMap<string, ImageRow>;
  /** Images given up on: still without an outcome after being enqueued again. */
  readonly unsettled: ReadonlySet<string>;
}

const SETTLED = new Set(['DONE', 'REJECTED', 'FAILED']);

export async function awaitOutcomes(
  deps: { readonly table: ImageTable; readonly workQueue: Queue },
  images: readonly AwaitedImage[],
  options: {
    readonly pollMs?: number;
    readonly onProgress?: (progress: OutcomeProgress) => void;
    readonly signal?: AbortSignal;
  } = {},
): Promise<Outcomes> {
  const pollMs = options.pollMs ?? 250;
  const rows = new Map<string, ImageRow>();
  const pending = new Map(images.map((image) => [rowId(image.rowKey), image]));
  const requeued = new Set<string>();
  const unsettled = new Set<string>();
  let emptyChecks = 0;

  const report = () => {
    let done = 0;
    let rejected = 0;
    let failed = 0;
    for (const row of rows.values()) {
      if (row.status === 'DONE') done++;
      else if (row.status === 'REJECTED') rejected++;
      else if (row.status === 'FAILED') failed++;
    }
    options.onProgress?.({ total: images.length, done, rejected, failed, requeued: requeued.size });
  };

  while (pending.size > 0 && !options.signal?.aborted) {
    const found = await deps.table.getMany([...pending.values()].map((image) => image.rowKey));
    for (const [id, row] of found) {
      if (!SETTLED.has(row.status)) continue;
      rows.set(id, row);
      pending.delete(id);
    }
    report();
    if (pending.size === 0) break;

    const depth = await deps.workQueue.depth();
    const empty = depth.visible + depth.inFlight + depth.delayed === 0;
    // Two empty readings in a row: the attributes are approximate, and a message can be between
    // a receive and its visibility being recorded.
    emptyChecks = empty ? emptyChecks + 1 : 0;
    if (emptyChecks >= 2) {
      emptyChecks = 0;
      for (const [id, image] of pending) {
        if (requeued.has(id)) {
          unsettled.add(id);
          pending.delete(id);
          continue;
        }
        requeued.add(id);
        const job = buildJobMessage({
          origin: 'resume',
          bucket: image.bucket,
          key: image.key,
          size: image.size,
          etag: image.etag,
          ...(image.versionId ? { versionId: image.versionId } : {}),
          sequencer: Date.now().toString(16).toUpperCase().padStart(16, '0'),
        });
        await deps.workQueue.send(JSON.stringify(job));
      }
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  return { rows, unsettled };
}
