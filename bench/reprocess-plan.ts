/**
 * `node --expose-gc bench/reprocess-plan.ts [versions]`: how fast `pixelmill reprocess` plans
 * (lib/ops/reprocess-plan.ts: the uploads listing walked a page of keys at a time, one Query per
 * key) over `versions` objects (default 5,000) each with a DONE row under another config, in the
 * local cloud, and the heap it retains (read after a full GC every 2 s: flat memory shows as a
 * peak that does not grow with the versions; forcing it more often slows the walk itself). Only the plan is measured: enqueueing runs at
 * the --rate asked, and the work is the worker's. Prints a table and saves
 * bench/results/reprocess-plan-*.json. Figures, never asserted.
 */
import { imageRowKey } from '../events/image-row.ts';
import { mapPool } from '../lib/async/pool.ts';
import { md5 } from '../lib/aws/etag.ts';
import { configHash, defaultConfig } from '../lib/config/parse.ts';
import { planReprocess } from '../lib/ops/reprocess-plan.ts';
import { doneRow, putRows } from '../test/helpers/table-rows.ts';
import { withOperatorCloud } from './lib/operator-cloud.ts';
import { reportRetainedHeapBench, retainedHeap } from './lib/retained-heap.ts';

/** A full GC this often while planning (each one stops the walk for a moment: not more often). */
const GC_EVERY_MS = 2000;

export async function benchReprocessPlan(versions: number) {
  return withOperatorCloud(async (env, ctx) => {
    const bucket = env.cloud.topology.uploadsBucket;
    const oldHash = 'feedfacefeedface';
    const keys = Array.from({ length: versions }, (_, i) => `uploads/bench/${i}.jpg`);
    const rows = await mapPool(keys, 16, async (key, i) => {
      const body = Buffer.from(`image ${i}`);
      await env.store.put(bucket, key, body);
      const etag = md5(body).toString('hex');
      const row = doneRow(bucket, key, oldHash);
      return {
        ...row,
        ...imageRowKey({ bucket, key, version: etag, configHash: oldHash }),
        version: etag,
        etag,
        cpuMs: 600,
      };
    });
    await putRows(env.clients.dynamo, env.cloud.topology.table, rows);
    const config = defaultConfig();
    const heap = retainedHeap();
    const timer = setInterval(heap.sample, GC_EVERY_MS);
    const started = performance.now();
    const plan = await planReprocess({ ...ctx, configHash: configHash(config) }, config, {
      prefix: 'uploads/bench/',
      ratePerSecond: 50,
    });
    const seconds = (performance.now() - started) / 1000;
    clearInterval(timer);
    return {
      versions: plan.versions,
      toReprocess: plan.toReprocess,
      seconds: Math.round(seconds * 10) / 10,
      versionsPerSecond: Math.round(plan.versions / seconds),
      ...heap.figures(),
    };
  });
}

if (import.meta.main) {
  const versions = Number(process.argv[2] ?? 5_000);
  const result = await benchReprocessPlan(versions);
  await reportRetainedHeapBench(
    'reprocess plan',
    `${result.versions} versions`,
    'reprocess-plan',
    result,
  );
}
