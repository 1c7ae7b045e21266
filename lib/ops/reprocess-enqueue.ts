/**
 * Enqueues the plan: one work item per object version the plan would reprocess, decided again as
 * the walk reaches it (what finished since the plan is not sent), at most `ratePerSecond`
 * messages a second through the one pacer. The message is the one a backfill sends
 * (events/job-message.ts), origin `reprocess`, carrying the S3 sequencer the version's rows
 * recorded, so that processing an older version never takes a key's LATEST row from a newer one.
 */
import type { PixelmillConfig } from '../../events/config/schema.ts';
import { buildJobMessage } from '../../events/job-message.ts';
import { Pacer } from '../async/pacer.ts';
import { SQS_MAX_BATCH } from '../aws/queue.ts';
import { configHash } from '../config/parse.ts';
import type { OperatorContext } from './operator-context.ts';
import { decideVersion, targetPresets } from './reprocess-plan.ts';
import { walkVersions } from './reprocess-walk.ts';

export interface EnqueueProgress {
  readonly enqueued: number;
}

export async function enqueueReprocess(
  ctx: OperatorContext,
  config: PixelmillConfig,
  options: {
    readonly prefix: string;
    readonly ratePerSecond: number;
    readonly signal?: AbortSignal | undefined;
    readonly onProgress?: ((progress: EnqueueProgress) => void) | undefined;
  },
): Promise<{ readonly enqueued: number; readonly interrupted: boolean }> {
  const hash = configHash(config);
  const presets = targetPresets(config);
  const pacer = new Pacer(options.ratePerSecond);
  let enqueued = 0;
  let batch: string[] = [];
  const send = async () => {
    const bodies = batch;
    batch = [];
    if (bodies.length === 0) return;
    // Paced per message: a batch of n waits n intervals after the previous one.
    await pacer.take(bodies.length);
    let failed = await ctx.workQueue.sendBatch(bodies);
    if (failed.length > 0)
      failed = await ctx.workQueue.sendBatch(failed.map((f) => bodies[f] ?? ''));
    if (failed.length > 0) throw new Error(`SQS refused ${failed.length} reprocess message(s)`);
    enqueued += bodies.length;
    options.onProgress?.({ enqueued });
  };
  for await (const walked of walkVersions(ctx, options.prefix)) {
    for (const v of walked.versions) {
      const d = decideVersion(v.rows, hash, presets);
      if (d.kind !== 'reprocess') continue;
      batch.push(
        JSON.stringify(
          buildJobMessage({
            origin: 'reprocess',
            bucket: v.bucket,
            key: v.key,
            size: v.size,
            etag: v.etag,
            ...(v.versionId ? { versionId: v.versionId } : {}),
            sequencer: d.sequencer,
          }),
        ),
      );
      if (batch.length >= SQS_MAX_BATCH) await send();
      if (options.signal?.aborted) return { enqueued, interrupted: true };
    }
  }
  await send();
  return { enqueued, interrupted: false };
}
