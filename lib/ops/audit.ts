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
 * `repairAudit` re-enqueues exactly the gaps, as pixelmill job messages (origin `repair`); a DONE
 * row with missing renditions is first reopened, or the worker would take it for a duplicate.
 */

import { type ImageRow, isVersionRow } from '../../events/image-row.ts';
import { buildJobMessage } from '../../events/job-message.ts';
import { RETRY_BACKOFF } from '../../events/retry-schedule.ts';
import { peekDeadLetters } from './dead-letters.ts';
import { flushCountsQuietly } from './flush-counts.ts';
import type { OperatorContext } from './operator-context.ts';
import { mapPool } from './pool.ts';

export const gapKinds = ['no-row', 'stuck', 'failed-not-in-dlq', 'missing-renditions'] as const;
export type GapKind = (typeof gapKinds)[number];

export interface AuditObject {
  readonly bucket: string;
  readonly key: string;
  readonly etag: string;
  readonly versionId?: string | undefined;
  readonly size: number;
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
  readonly gaps: readonly AuditGap[];
  readonly gapsByKind: Readonly<Record<GapKind, number>>;
  readonly configHash: string | null;
  readonly checkedRenditions: boolean;
  readonly seconds: number;
}

export interface AuditOptions {
  /** Uploads younger than this with no row are in flight (their event may still be on its way). */
  readonly graceSeconds?: number;
  /** Check that every rendition of every DONE row exists (lists the renditions bucket). */
  readonly checkRenditions?: boolean;
  readonly now?: Date;
}

const identityOf = (pk: string, version: string) => `${pk}\u0000${version}`;

export async function runAudit(
  ctx: OperatorContext,
  options: AuditOptions = {},
): Promise<AuditReport> {
  const started = performance.now();
  const now = (options.now ?? new Date()).getTime();
  const grace = (options.graceSeconds ?? 900) * 1000;
  // A silent message can be away for a whole visibility timeout before SQS shows it again, or
  // for the retry schedule's longest wait (which a failed record's visibility is set to).
  const silentFor = Math.max(ctx.visibilityTimeoutSeconds, RETRY_BACKOFF.maxSeconds) * 1000 + grace;
  const { resources } = ctx;

  // Rows by object version (the context's config, or the newest row of any config).
  const rows = new Map<string, ImageRow>();
  for await (const row of ctx.table.scan()) {
    if (!isVersionRow(row)) continue;
    if (ctx.configHash && row.configHash !== ctx.configHash) continue;
    const id = identityOf(row.pk, row.version);
    const known = rows.get(id);
    if (!known || known.updatedAt < row.updatedAt) rows.set(id, row);
  }
  const peeked = await peekDeadLetters(ctx, { holdSeconds: 60 });
  const inDlq = new Set(
    peeked.letters.flatMap((l) =>
      l.item ? [identityOf(`${l.item.bucket}/${l.item.key}`, l.item.versionId ?? l.item.etag)] : [],
    ),
  );
  await peeked.release();
  const renditions = new Set<string>();
  if (options.checkRenditions !== false) {
    for await (const o of ctx.store.list(resources.renditionsBucket, resources.uploadsPrefix))
      renditions.add(o.key);
  }

  const gaps: AuditGap[] = [];
  const counts = { objects: 0, done: 0, rejected: 0, inFlight: 0, inDeadLetterQueue: 0 };
  for await (const o of ctx.store.listVersions(resources.uploadsBucket, resources.uploadsPrefix)) {
    counts.objects++;
    const object: AuditObject = { bucket: resources.uploadsBucket, ...o };
    const version = o.versionId ?? o.etag;
    const id = identityOf(`${object.bucket}/${o.key}`, version);
    const row = rows.get(id);
    const age = now - (o.lastModified?.getTime() ?? 0);
    const quiet = (r: ImageRow) => now - new Date(r.updatedAt).getTime();
    if (!row) {
      if (age < grace) counts.inFlight++;
      else
        gaps.push({
          kind: 'no-row',
          object,
          detail: 'no row: the upload event never reached a worker',
        });
    } else if (row.status === 'DONE') {
      const missing =
        options.checkRenditions === false
          ? []
          : (row.renditions ?? []).filter((r) => !renditions.has(r.key));
      if (missing.length > 0) {
        gaps.push({
          kind: 'missing-renditions',
          object,
          row,
          detail: `${missing.length} rendition(s) missing, e.g. ${missing[0]?.key}`,
        });
      } else counts.done++;
    } else if (row.status === 'REJECTED') {
      counts.rejected++;
    } else if (row.status === 'FAILED') {
      // A FAILED row's message may still be on its way to the DLQ, unless an operator deleted
      // it from there since its last failure (`dlq delete`, `dlq purge`): then it is a gap now.
      const deleted = row.history?.at(-1)?.event === 'dlq-deleted';
      if (inDlq.has(id) || (!deleted && quiet(row) < silentFor)) counts.inDeadLetterQueue++;
      else
        gaps.push({
          kind: 'failed-not-in-dlq',
          object,
          row,
          detail: deleted
            ? `FAILED ${row.updatedAt}, its message deleted from the DLQ by an operator`
            : `FAILED ${row.updatedAt}, its message is not in the DLQ`,
        });
    } else if (inDlq.has(id)) {
      // Its last failure could not be written (the claim or the failure write failed on the
      // last receive), but SQS moved its message: it is in the DLQ, not stuck.
      counts.inDeadLetterQueue++;
    } else {
      const live = (row.leaseUntil ?? 0) > now;
      if (live || quiet(row) < silentFor) counts.inFlight++;
      else
        gaps.push({
          kind: 'stuck',
          object,
          row,
          detail: `${row.status} since ${row.updatedAt} with no live lease or message`,
        });
    }
  }
  const gapsByKind = Object.fromEntries(
    gapKinds.map((k) => [k, gaps.filter((g) => g.kind === k).length]),
  ) as Record<GapKind, number>;
  return {
    ...counts,
    gaps,
    gapsByKind,
    configHash: ctx.configHash ?? null,
    checkedRenditions: options.checkRenditions !== false,
    seconds: Math.round((performance.now() - started) / 10) / 100,
  };
}

export interface RepairReport {
  readonly requeued: number;
  readonly skipped: readonly { readonly gap: AuditGap; readonly why: string }[];
}

/** Re-enqueues exactly the gaps of an audit. */
export async function repairAudit(
  ctx: OperatorContext,
  gaps: readonly AuditGap[],
): Promise<RepairReport> {
  const skipped: { gap: AuditGap; why: string }[] = [];
  let requeued = 0;
  await mapPool(gaps, 4, async (gap) => {
    const at = new Date().toISOString();
    const entry = {
      at,
      event: 'repaired' as const,
      code: gap.kind,
      message: gap.detail.slice(0, 300),
    };
    if (gap.row) {
      const key = { pk: gap.row.pk, sk: gap.row.sk };
      if (gap.kind === 'missing-renditions') {
        if (!(await ctx.table.reopen(key, gap.row.updatedAt, entry))) {
          skipped.push({ gap, why: 'the row changed since the audit read it' });
          return;
        }
      } else {
        await ctx.table.requeued(key, entry);
      }
    }
    const o = gap.object;
    const job = buildJobMessage({
      origin: 'repair',
      bucket: o.bucket,
      key: o.key,
      size: o.size,
      etag: o.etag,
      ...(o.versionId ? { versionId: o.versionId } : {}),
      // The real S3 sequencer of a lost event is unknown; "0" sorts before every real one, so a
      // repaired old version never takes the LATEST row from a version whose event did arrive.
      sequencer: gap.row?.sequencer ?? '0',
    });
    await ctx.workQueue.send(JSON.stringify(job));
    requeued++;
  });
  await flushCountsQuietly(ctx.table);
  return { requeued, skipped };
}
