/**
 * DynamoDB adapter for the metadata table (contract in events/image-row.ts): the writes, one
 * method per step of a row's lifecycle, with typed fields; the reads are image-row-reader.ts's and
 * the update expressions image-row-updates.ts's. Every write that changes who owns an image is
 * conditional, so two workers holding duplicates of one event can never both finish it, and a
 * finished image is never reopened (but by the audit's repair).
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html
 *
 * Each transition this instance writes is noted in its CountLedger, and written to the table's
 * counts (image-counts.ts) by `flushCounts`.
 */
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  HISTORY_LIMIT,
  type HistoryEntry,
  type ImageRow,
  type ImageStatus,
  isTerminal,
  type LastError,
} from '../../events/image-row.ts';
import { CountLedger, slowEntryOf } from './count-ledger.ts';
import { ConditionFailedError, toAdapterError } from './errors.ts';
import { ImageCounts } from './image-counts.ts';
import { ImageRowReader } from './image-row-reader.ts';
import {
  type ClaimRequest,
  claimUpdate,
  type DoneFields,
  finishUpdate,
  latestUpdate,
  noteUpdate,
  type RejectedFields,
  type RowKey,
  renewLeaseUpdate,
  reopenUpdate,
  requeuedUpdate,
} from './image-row-updates.ts';
import { ContentIndex } from './image-table-content-index.ts';

export { rowId } from './image-row-reader.ts';
export type { ClaimRequest, DoneFields, RejectedFields, RowKey } from './image-row-updates.ts';

export type ClaimResult =
  | { readonly outcome: 'claimed'; readonly row: ImageRow }
  | { readonly outcome: 'terminal'; readonly row: ImageRow }
  | { readonly outcome: 'busy'; readonly row: ImageRow | undefined };

/** A transient failure: its error, and whether it was the message's last allowed receive. */
export interface FailureRecord {
  readonly lastError: LastError;
  /** FAILED (its message goes to the DLQ) rather than RETRYING. */
  readonly final: boolean;
}

export class ImageTable extends ImageRowReader {
  /** The counts the table keeps of itself (image-counts.ts). */
  readonly counts: ImageCounts;
  /** The first DONE row of each content under each config (image-table-content-index.ts). */
  readonly contents: ContentIndex;
  /**
   * The count changes of the transitions this instance wrote, not yet flushed. Shared by every
   * batch this process runs at once: a flush takes whatever is there, whoever made it.
   */
  readonly #ledger = new CountLedger();

  constructor(doc: DynamoDBDocumentClient, name: string) {
    super(doc, name);
    this.counts = new ImageCounts(doc, name);
    this.contents = new ContentIndex(doc, name);
  }

  /**
   * Writes the count changes gathered since the last flush (a few UpdateItems; see
   * ImageCounts.flush). Called at the end of each batch and of each operator command that moves
   * rows. Throws what the write threw; the changes are then lost (the counts drift until a
   * recount), never retried, since a timed-out write may have landed.
   */
  async flushCounts(now = new Date()): Promise<void> {
    if (this.#ledger.empty) return;
    await this.counts.flush(this.#ledger.take(), now);
  }

  /**
   * Takes the lease on one image. Succeeds when the row is new, or not finished and its lease has
   * expired (the previous holder crashed or gave up). A finished row is never claimed again.
   */
  async claim(request: ClaimRequest): Promise<ClaimResult> {
    const now = request.now.toISOString();
    try {
      const r = await this.doc.send(new UpdateCommand(claimUpdate(this.name, request)));
      // The row as it was: its status says what the claim changes in the counts.
      const old = r.Attributes === undefined ? undefined : this.row(r.Attributes);
      const row: ImageRow = {
        ...old,
        ...request.facts,
        ...request.key,
        status: 'PROCESSING',
        leaseOwner: request.owner,
        leaseUntil: request.leaseUntil,
        updatedAt: now,
        receiveCount: request.receiveCount,
        attempts: (old?.attempts ?? 0) + 1,
        createdAt: old?.createdAt ?? now,
        history: [...(old?.history ?? []), request.history],
      } as ImageRow;
      this.#ledger.record({
        configHash: request.facts.configHash,
        from: old?.status,
        to: 'PROCESSING',
        at: request.now,
        fromCode: old?.lastError?.code,
      });
      await this.#trimHistory(request.key, row);
      return { outcome: 'claimed', row };
    } catch (error) {
      const adapted = toAdapterError(`UpdateItem(claim) ${this.name}`, error);
      if (!(adapted instanceof ConditionFailedError)) throw adapted;
      // dynalite returns no item with a failed condition; read it (consistently) instead.
      const row = await this.get(request.key);
      if (row && isTerminal(row.status)) return { outcome: 'terminal', row };
      return { outcome: 'busy', row };
    }
  }

  /**
   * DONE: every rendition is written. Releases the lease; throws ConditionFailedError when
   * `owner` no longer holds it (another worker took over).
   */
  markDone(key: RowKey, owner: string, fields: DoneFields, now: Date): Promise<ImageRow> {
    return this.#finish(key, owner, 'DONE', { ...fields }, now, {
      at: now.toISOString(),
      event: 'done',
    });
  }

  /** REJECTED with a permanent reason. Releases the lease, as markDone. */
  markRejected(key: RowKey, owner: string, fields: RejectedFields, now: Date): Promise<ImageRow> {
    return this.#finish(key, owner, 'REJECTED', { ...fields }, now, {
      at: now.toISOString(),
      event: 'rejected',
      code: fields.reason,
    });
  }

  /**
   * A transient failure: RETRYING, or FAILED on the last allowed receive. Gives the lease back,
   * so the next receive can claim it; throws ConditionFailedError as markDone.
   */
  recordFailure(key: RowKey, owner: string, failure: FailureRecord, now: Date): Promise<ImageRow> {
    const { lastError } = failure;
    return this.#finish(key, owner, failure.final ? 'FAILED' : 'RETRYING', { lastError }, now, {
      at: lastError.at,
      event: 'failed',
      code: lastError.code,
      message: lastError.message.slice(0, 300),
    });
  }

  /** Ends a claim: writes the outcome and releases the lease, only if `owner` still holds it. */
  async #finish(
    key: RowKey,
    owner: string,
    status: ImageStatus,
    fields: Record<string, unknown>,
    now: Date,
    history: HistoryEntry,
  ): Promise<ImageRow> {
    try {
      const input = finishUpdate(this.name, key, owner, status, fields, now, history);
      const r = await this.doc.send(new UpdateCommand(input));
      const row = this.row(r.Attributes ?? {});
      // Only a row under a lease has a leaseOwner: it was PROCESSING or RETRYING (in progress).
      this.#ledger.record({
        configHash: row.configHash,
        from: 'PROCESSING',
        to: status,
        at: now,
        toCode: status === 'REJECTED' ? row.reason : row.lastError?.code,
        example: status === 'REJECTED' ? { key: row.key, message: row.message ?? '' } : undefined,
        slow: slowEntryOf(row),
      });
      return row;
    } catch (error) {
      throw toAdapterError(`UpdateItem(${status}) ${this.name}`, error);
    }
  }

  /**
   * Extends a live lease (the heartbeat of a long image). Fails with ConditionFailedError when
   * `owner` no longer holds it.
   */
  async renewLease(key: RowKey, owner: string, leaseUntil: number, now: Date): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand(renewLeaseUpdate(this.name, key, owner, leaseUntil, now)),
      );
    } catch (error) {
      throw toAdapterError(`UpdateItem(lease) ${this.name}`, error);
    }
  }

  /**
   * Writes a key's LATEST row, only if no row with a later (or equal) sequencer is there: an
   * event delivered out of order never overwrites newer metadata. Returns whether it wrote.
   */
  async putLatest(
    key: RowKey,
    row: Record<string, unknown> & { sequencerKey: string },
  ): Promise<boolean> {
    try {
      await this.doc.send(new UpdateCommand(latestUpdate(this.name, key, row)));
      return true;
    } catch (error) {
      const adapted = toAdapterError(`UpdateItem(latest) ${this.name}`, error);
      if (adapted instanceof ConditionFailedError) return false;
      throw adapted;
    }
  }

  /** Appends a step to an existing row's history (a redrive, a repair), with optional fields. */
  async note(
    key: RowKey,
    entry: HistoryEntry,
    fields: Record<string, unknown> = {},
    increment?: string,
  ): Promise<void> {
    try {
      await this.doc.send(new UpdateCommand(noteUpdate(this.name, key, entry, fields, increment)));
    } catch (error) {
      throw toAdapterError(`UpdateItem(note) ${this.name}`, error);
    }
  }

  /**
   * Records that an operator sent the image's message again (a redrive, an audit repair). A row
   * nobody holds and not finished becomes RETRYING, touched now, so status and the audit count it
   * as on its way instead of failed or stuck; any other row only gains the history entry.
   */
  async requeued(key: RowKey, entry: HistoryEntry, increment?: 'redrives'): Promise<void> {
    try {
      const r = await this.doc.send(
        new UpdateCommand(requeuedUpdate(this.name, key, entry, increment)),
      );
      const old = r.Attributes === undefined ? undefined : this.row(r.Attributes);
      if (old)
        this.#ledger.record({
          configHash: old.configHash,
          from: old.status,
          to: 'RETRYING',
          at: new Date(entry.at),
          fromCode: old.lastError?.code,
        });
    } catch (error) {
      const adapted = toAdapterError(`UpdateItem(requeued) ${this.name}`, error);
      if (!(adapted instanceof ConditionFailedError)) throw adapted;
      await this.note(key, entry, {}, increment);
    }
  }

  /**
   * Reopens a DONE row whose renditions went missing, so the next delivery claims it again
   * (a finished row is otherwise never claimed). Only if it is still the row the audit saw.
   */
  async reopen(key: RowKey, seenUpdatedAt: string, entry: HistoryEntry): Promise<boolean> {
    try {
      await this.doc.send(new UpdateCommand(reopenUpdate(this.name, key, seenUpdatedAt, entry)));
      const configHash = key.sk.split('#c#').pop() ?? '';
      this.#ledger.record({ configHash, from: 'DONE', to: 'RETRYING', at: new Date(entry.at) });
      return true;
    } catch (error) {
      const adapted = toAdapterError(`UpdateItem(reopen) ${this.name}`, error);
      if (adapted instanceof ConditionFailedError) return false;
      throw adapted;
    }
  }

  /** Keeps a row's history bounded: drops the oldest entries past HISTORY_LIMIT. */
  async #trimHistory(key: RowKey, row: ImageRow): Promise<void> {
    const excess = (row.history?.length ?? 0) - HISTORY_LIMIT;
    if (excess <= 0) return;
    const removes = Array.from({ length: excess }, (_, i) => `#history[${i}]`).join(', ');
    await this.doc
      .send(
        new UpdateCommand({
          TableName: this.name,
          Key: { ...key },
          UpdateExpression: `REMOVE ${removes}`,
          ExpressionAttributeNames: { '#history': 'history' },
        }),
      )
      .catch(() => undefined);
  }
}
