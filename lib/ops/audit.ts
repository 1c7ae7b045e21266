/**
 * The completeness audit: the uploads bucket joined with the metadata table (and the DLQ). S3 →
 * EventBridge delivery is at-least-once in theory and lossy in practice (a rule disabled for a
 * minute, a target DLQ nobody replays, an outage), so "every upload ends DONE or REJECTED" is
 * proved here, not assumed. Every object version under the uploads prefix is one of:
 *
 *   done, rejected           a terminal row
 *   in flight                a live lease, a retry on its way, or uploaded within the grace period
 *   in the DLQ               a FAILED row whose message the DLQ holds (or is about to)
 *   a gap                    no-row (the event never arrived), stuck (a lease or retry that went
 *                            silent for longer than any message can be away), failed-not-in-dlq
 *                            (the DLQ lost it: purged or expired), missing-renditions (DONE, but
 *                            a rendition is gone from the renditions bucket)
 *
 * `repairAudit` (audit-repair.ts) re-enqueues exactly the gaps, as pixelmill job messages (origin
 * `repair`); a DONE row with missing renditions is first reopened, or the worker would take it
 * for a duplicate.
 *
 * The audit streams: the key space is cut into segments (audit-segments.ts) listed in parallel
 * (audit-versions.ts), each listing is taken a page at a time, and each page reads exactly the
 * rows it needs and checks its own renditions (audit-page.ts). Memory is bounded by the page size times the concurrency,
 * whatever the bucket holds; gap details are kept for the first `maxGapDetails` (counts cover all)
 * and, with `repair`, each page's gaps are repaired as they are found. With a checkpoint store the
 * position of every segment is saved after each page (audit-checkpoint.ts), so a pass cut off by a
 * deadline continues in the next session.
 *
 * From an S3 Inventory report (`inventory`, read by inventory-manifest.ts) the versions come from
 * the report's gzip CSV files instead of the listing: one segment per file, streamed a page at a
 * time (inventory-rows.ts), its position the rows of the file done. The report is as of its date:
 * uploads since are not in it and not audited (the report says so; a listing audit covers them).
 */

import type { ImageRow } from '../../events/image-row.ts';
import type { ObjectVersion } from '../../events/object-version.ts';
import { RETRY_BACKOFF } from '../../events/retry-schedule.ts';
import { mapPool } from '../async/pool.ts';
import {
  type AuditCheckpoint,
  type AuditCheckpointStore,
  type AuditCounts,
  addCounts,
  auditScope,
  CHECKPOINT_GAP_DETAILS,
  emptyCounts,
  newSegmentState,
  type SegmentState,
  storedGap,
} from './audit-checkpoint.ts';
import { auditPage, identityOf } from './audit-page.ts';
import { repairAudit } from './audit-repair.ts';
import { splitSegments } from './audit-segments.ts';
import { segmentVersions } from './audit-versions.ts';
import { peekDeadLetters } from './dead-letters.ts';
import type { InventoryManifest } from './inventory-manifest.ts';
import type { OperatorContext } from './operator-context.ts';

export const gapKinds = ['no-row', 'stuck', 'failed-not-in-dlq', 'missing-renditions'] as const;
export type GapKind = (typeof gapKinds)[number];

/** An object version the audit examines (from the listing or an inventory report). */
export interface AuditObject extends ObjectVersion {
  readonly lastModified?: Date | undefined;
}

export interface AuditGap {
  readonly kind: GapKind;
  readonly object: AuditObject;
  readonly row?: ImageRow;
  readonly detail: string;
}

export interface AuditReport {
  readonly objects: number;
  readonly done: number;
  readonly rejected: number;
  readonly inFlight: number;
  readonly inDeadLetterQueue: number;
  /** Every gap found (this pass, resumed sessions included). */
  readonly gapCount: number;
  /** The first `maxGapDetails` gaps (gaps restored from a checkpoint carry no row). */
  readonly gaps: readonly AuditGap[];
  readonly gapsByKind: Readonly<Record<GapKind, number>>;
  readonly configHash: string | null;
  readonly checkedRenditions: boolean;
  /** False when a deadline or page budget stopped it: the checkpoint holds where to go on. */
  readonly complete: boolean;
  /** Sessions this pass has taken (1 unless resumed from a checkpoint). */
  readonly sessions: number;
  /** Pages audited in this session. */
  readonly pages: number;
  /** The most rows one page held at once: bounded by the page size, never by the table. */
  readonly peakHeldRows: number;
  /**
   * The inventory report the pass read instead of the listing: uploads after `createdAt` are not
   * in it and were not audited (a listing audit covers them). Null: the bucket was listed.
   */
  readonly inventory: {
    readonly manifest: string;
    readonly createdAt: string;
    readonly files: number;
  } | null;
  /** With `repair`: gaps re-enqueued, and those skipped because their row changed meanwhile. */
  readonly repair: { readonly requeued: number; readonly skipped: number } | null;
  readonly seconds: number;
}

export interface AuditOptions {
  /** Uploads younger than this with no row are in flight (their event may still be on its way). */
  readonly graceSeconds?: number;
  /** Check that every rendition of every DONE row exists in the renditions bucket. */
  readonly checkRenditions?: boolean;
  readonly now?: Date;
  /** Object versions per page: what the audit holds at once per segment. @default 1000 */
  readonly pageSize?: number;
  /** Segments the key space is cut into (1–62). @default 16 */
  readonly segments?: number;
  /** Segments audited at once. @default 4 */
  readonly concurrency?: number;
  /** Gap details kept for the report (counts cover every gap). @default 100 */
  readonly maxGapDetails?: number;
  /** Re-enqueue each page's gaps as they are found (see repairAudit). */
  readonly repair?: boolean;
  /** Where the pass's progress is saved after every page. */
  readonly checkpoint?: AuditCheckpointStore;
  /** Continue the unfinished pass in `checkpoint` (of the same scope) instead of starting anew. */
  readonly resume?: boolean;
  /** Start no page after this (epoch ms); the pages under way finish and are saved. */
  readonly deadline?: number;
  /** Start no more than this many pages in this session (a budget; tests cut a pass with it). */
  readonly maxPages?: number;
  /**
   * Audit the versions an S3 Inventory report lists instead of listing the bucket (one segment
   * per data file; `segments` is ignored). Uploads after the report's date are not audited.
   */
  readonly inventory?: InventoryManifest;
}

const DEFAULTS = { pageSize: 1000, segments: 16, concurrency: 4, maxGapDetails: 100 } as const;

function fromStored(g: AuditCheckpoint['gaps'][number]): AuditGap {
  return { kind: g.kind, detail: g.detail, object: g.object };
}

export async function runAudit(
  ctx: OperatorContext,
  options: AuditOptions = {},
): Promise<AuditReport> {
  const started = performance.now();
  const now = (options.now ?? new Date()).getTime();
  const graceMs = (options.graceSeconds ?? 900) * 1000;
  // A silent message can be away for a whole visibility timeout before SQS shows it again, or
  // for the retry schedule's longest wait (which a failed record's visibility is set to).
  const silentMs =
    Math.max(ctx.visibilityTimeoutSeconds, RETRY_BACKOFF.maxSeconds) * 1000 + graceMs;
  const checkRenditions = options.checkRenditions !== false;
  const pageSize = Math.max(1, options.pageSize ?? DEFAULTS.pageSize);
  const maxGapDetails = Math.max(0, options.maxGapDetails ?? DEFAULTS.maxGapDetails);
  const { resources } = ctx;
  const store = options.checkpoint;

  const { inventory } = options;
  const scope = auditScope(ctx, inventory?.uri);
  let loaded = options.resume && store ? await store.load() : undefined;
  if (loaded && (loaded.scope !== scope || loaded.finished)) loaded = undefined;
  // A report of an empty bucket lists no file: one finished segment stands for it.
  const initialSegments = inventory
    ? inventory.files.length === 0
      ? [{ ...newSegmentState({}), finished: true }]
      : inventory.files.map(() => ({ ...newSegmentState({}), rows: 0 }))
    : splitSegments(resources.uploadsPrefix, options.segments ?? DEFAULTS.segments).map(
        newSegmentState,
      );
  const stamp = new Date(now).toISOString();
  const checkpoint: AuditCheckpoint = loaded ?? {
    version: 1,
    scope,
    startedAt: stamp,
    updatedAt: stamp,
    sessions: 0,
    finished: false,
    segments: initialSegments,
    gaps: [],
  };
  checkpoint.sessions++;
  const gapDetails: AuditGap[] = checkpoint.gaps.slice(0, maxGapDetails).map(fromStored);

  const peeked = await peekDeadLetters(ctx, { holdSeconds: 60 });
  const inDeadLetterQueue = new Set(
    peeked.letters.flatMap((l) =>
      l.item ? [identityOf(`${l.item.bucket}/${l.item.key}`, l.item.versionId ?? l.item.etag)] : [],
    ),
  );
  await peeked.release();
  const rules = { now, graceMs, silentMs, checkRenditions, inDeadLetterQueue };

  // Saves are chained so that a slower earlier write never lands after a later one.
  let saving: Promise<void> = Promise.resolve();
  const save = () => {
    if (!store) return saving;
    checkpoint.updatedAt = new Date().toISOString();
    const snapshot = JSON.parse(JSON.stringify(checkpoint)) as AuditCheckpoint;
    saving = saving.then(() => store.save(snapshot));
    return saving;
  };

  let pagesStarted = 0;
  let pages = 0;
  let peakHeldRows = 0;
  const outOfBudget = () =>
    (options.maxPages !== undefined && pagesStarted >= options.maxPages) ||
    (options.deadline !== undefined && Date.now() >= options.deadline);

  const auditSegment = async (state: SegmentState, index: number) => {
    if (state.finished) return;
    let page: AuditObject[] = [];
    let position: ((s: SegmentState) => void) | undefined;
    const flush = async () => {
      if (page.length === 0 || !position) return;
      const result = await auditPage(ctx, page, rules);
      page = [];
      const counts: AuditCounts = { ...result.counts };
      if (options.repair && result.gaps.length > 0) {
        const repaired = await repairAudit(ctx, result.gaps);
        counts.requeued += repaired.requeued;
        counts.repairSkipped += repaired.skipped.length;
      }
      addCounts(state.counts, counts);
      for (const g of result.gaps) {
        if (gapDetails.length < maxGapDetails) gapDetails.push(g);
        if (checkpoint.gaps.length < CHECKPOINT_GAP_DETAILS) checkpoint.gaps.push(storedGap(g));
      }
      position(state);
      peakHeldRows = Math.max(peakHeldRows, result.heldRows);
      pages++;
      await save();
    };
    for await (const { object, done } of segmentVersions(ctx, state, index, inventory)) {
      if (page.length === 0) {
        if (outOfBudget()) return;
        pagesStarted++;
      }
      page.push(object);
      position = done;
      if (page.length >= pageSize) await flush();
    }
    await flush();
    state.finished = true;
    await save();
  };
  await mapPool(checkpoint.segments, options.concurrency ?? DEFAULTS.concurrency, auditSegment);
  checkpoint.finished = checkpoint.segments.every((s) => s.finished);
  await save();

  const total = emptyCounts();
  for (const s of checkpoint.segments) addCounts(total, s.counts);
  const gapsByKind = Object.fromEntries(gapKinds.map((k) => [k, total[k]])) as Record<
    GapKind,
    number
  >;
  return {
    objects: total.objects,
    done: total.done,
    rejected: total.rejected,
    inFlight: total.inFlight,
    inDeadLetterQueue: total.inDeadLetterQueue,
    gapCount: gapKinds.reduce((n, k) => n + total[k], 0),
    gaps: gapDetails,
    gapsByKind,
    configHash: ctx.configHash ?? null,
    checkedRenditions: checkRenditions,
    complete: checkpoint.finished,
    sessions: checkpoint.sessions,
    pages,
    peakHeldRows,
    inventory: inventory
      ? {
          manifest: inventory.uri,
          createdAt: inventory.createdAt.toISOString(),
          files: inventory.files.length,
        }
      : null,
    repair: options.repair ? { requeued: total.requeued, skipped: total.repairSkipped } : null,
    seconds: Math.round((performance.now() - started) / 10) / 100,
  };
}
