/**
 * The audit's repair: each gap re-enqueued as a pixelmill job message (origin `repair`), its row
 * (if any) noting it first. A DONE row with missing renditions is reopened first, or the worker
 * would take the message for a duplicate; if the row changed since the audit read it, the gap is
 * skipped (the next audit sees it as it is now).
 */

import { buildJobMessage } from '../../events/job-message.ts';
import { mapPool } from '../async/pool.ts';
import type { AuditGap } from './audit.ts';
import { flushCountsQuietly } from './flush-counts.ts';
import type { OperatorContext } from './operator-context.ts';

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
