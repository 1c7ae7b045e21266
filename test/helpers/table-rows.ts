/**
 * Writes version rows straight into a metadata table, without images or queues, for tests about
 * what reads the table: `writeRows` through the worker's own calls (claim, then finish or
 * recordFailure: ~10 ms a row on dynalite), `putRows` in batches of 25 (BatchWriteItem: ~1 ms a
 * row) for thousands of rows of the same shape. Each row carries what a real one does (six
 * renditions, the analysis, timings, a history).
 */
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  type ImageRow,
  type ImageStatus,
  imageRowKey,
  type RenditionRecord,
} from '../../events/image-row.ts';
import type { RejectionReason } from '../../events/rejection-reasons.ts';
import { mapPool } from '../../lib/async/pool.ts';
import type { ClaimResult, ImageTable, RowKey } from '../../lib/aws/image-table.ts';

/**
 * Claims a row as a worker would, its object's facts read from the row key
 * (`<bucket>/<key>`, `v#<version>#c#<configHash>`): a lease a test then lets lapse, takes over or
 * renews.
 */
export function claimRow(
  table: ImageTable,
  rowKey: RowKey,
  claim: {
    readonly owner: string;
    readonly leaseUntil: number;
    readonly now?: Date;
    readonly receiveCount?: number;
    readonly takeOverPrefix?: string;
  },
): Promise<ClaimResult> {
  const slash = rowKey.pk.indexOf('/');
  const [, version = '', configHash = ''] = /^v#(.*)#c#(.*)$/.exec(rowKey.sk) ?? [];
  const now = claim.now ?? new Date();
  return table.claim({
    key: rowKey,
    facts: {
      bucket: rowKey.pk.slice(0, slash),
      key: rowKey.pk.slice(slash + 1),
      version,
      etag: version,
      sequencer: '01',
      configHash,
    },
    owner: claim.owner,
    ...(claim.takeOverPrefix ? { takeOverPrefix: claim.takeOverPrefix } : {}),
    leaseUntil: claim.leaseUntil,
    receiveCount: claim.receiveCount ?? 1,
    now,
    history: { at: now.toISOString(), event: 'claimed' },
  });
}

export interface RowSpec {
  readonly key: string;
  readonly status: ImageStatus;
  /** Default `e-<key>` (an etag-versioned object). */
  readonly version?: string;
  readonly processingMs?: number;
  readonly reason?: RejectionReason;
  readonly message?: string;
  /** When the row was finished (its updatedAt). Default now. */
  readonly at?: Date;
}

export function renditionsOf(key: string): RenditionRecord[] {
  return [320, 800, 1600].flatMap((width) =>
    (['webp', 'jpeg'] as const).map((format) => ({
      name: `w${width}`,
      format,
      width,
      height: Math.round((width * 2) / 3),
      bytes: width * 40,
      key: `${key}/w${width}-0123456789abcdef.${format === 'jpeg' ? 'jpg' : format}`,
      presetHash: '0123456789abcdef',
    })),
  );
}

/**
 * Writes one row per spec, `concurrency` at a time (as writeRowsUncounted), then the table's
 * counts follow, as a worker's batch would write them at its end.
 */
export async function writeRows(...args: Parameters<typeof writeRowsUncounted>): Promise<void> {
  await writeRowsUncounted(...args);
  await args[0].flushCounts();
}

/**
 * Writes the rows without flushing the count changes: with a table instance of its own that is
 * then dropped, a table as an older pixelmill left it, or as a crash between the rows and the
 * batch's end leaves it.
 */
export async function writeRowsUncounted(
  table: ImageTable,
  bucket: string,
  configHash: string,
  specs: readonly RowSpec[],
  concurrency = 8,
): Promise<void> {
  await mapPool(specs, concurrency, async (spec, i) => {
    const version = spec.version ?? `e-${spec.key}`;
    const key = imageRowKey({ bucket, key: spec.key, version, configHash });
    const now = spec.at ?? new Date();
    const owner = `test-${i}`;
    await table.claim({
      key,
      facts: {
        bucket,
        key: spec.key,
        version,
        etag: version,
        sequencer: (i + 1).toString(16).padStart(16, '0'),
        configHash,
      },
      owner,
      leaseUntil: now.getTime() + 60_000,
      receiveCount: 1,
      now,
      history: { at: now.toISOString(), event: 'claimed', receiveCount: 1 },
    });
    if (spec.status === 'PROCESSING') return;
    if (spec.status === 'RETRYING' || spec.status === 'FAILED') {
      await table.recordFailure(
        key,
        owner,
        {
          lastError: {
            code: 'timeout',
            message: `timed out on ${spec.key}`,
            at: now.toISOString(),
          },
          final: spec.status === 'FAILED',
        },
        now,
      );
      return;
    }
    if (spec.status === 'DONE') {
      await table.markDone(
        key,
        owner,
        {
          width: 4000,
          height: 3000,
          format: 'jpeg',
          bytes: 2_345_678,
          renditions: renditionsOf(spec.key),
          analysis: {
            placeholder: '3OcRJYB4d3h/iIeHeEh3eIhw+j3A',
            dominantColour: '#7f6a55',
            perceptualHash: 'c3c3c3c33c3c3c3c',
          },
          processingMs: spec.processingMs ?? 100,
        },
        now,
      );
      return;
    }
    await table.markRejected(
      key,
      owner,
      { reason: spec.reason ?? 'corrupt', message: spec.message ?? `cannot read ${spec.key}` },
      now,
    );
  });
}

/** The row a worker leaves for a DONE image (what claim + finish write), for `putRows`. */
export function doneRow(
  bucket: string,
  key: string,
  configHash: string,
  options: { processingMs?: number; at?: Date } = {},
): ImageRow {
  const version = `e-${key}`;
  const at = (options.at ?? new Date()).toISOString();
  return {
    ...imageRowKey({ bucket, key, version, configHash }),
    status: 'DONE',
    bucket,
    key,
    version,
    etag: version,
    sequencer: '0000000000000001',
    configHash,
    createdAt: at,
    updatedAt: at,
    attempts: 1,
    width: 4000,
    height: 3000,
    format: 'jpeg',
    bytes: 2_345_678,
    renditions: renditionsOf(key),
    analysis: {
      placeholder: '3OcRJYB4d3h/iIeHeEh3eIhw+j3A',
      dominantColour: '#7f6a55',
      perceptualHash: 'c3c3c3c33c3c3c3c',
    },
    processingMs: options.processingMs ?? 100,
    history: [
      { at, event: 'claimed', receiveCount: 1 },
      { at, event: 'done' },
    ],
  };
}

/** Puts rows as they are, 25 to a BatchWriteItem, `concurrency` batches at a time. */
export async function putRows(
  doc: DynamoDBDocumentClient,
  table: string,
  rows: readonly ImageRow[],
  concurrency = 4,
): Promise<void> {
  const batches: ImageRow[][] = [];
  for (let i = 0; i < rows.length; i += 25) batches.push(rows.slice(i, i + 25));
  await mapPool(batches, concurrency, async (batch) => {
    let requests = batch.map((Item) => ({ PutRequest: { Item } }));
    while (requests.length > 0) {
      const r = await doc.send(new BatchWriteCommand({ RequestItems: { [table]: requests } }));
      requests = (r.UnprocessedItems?.[table] ?? []) as typeof requests;
    }
  });
}
