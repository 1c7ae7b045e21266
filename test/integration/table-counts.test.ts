/**
 * The counts the metadata table keeps of itself (lib/aws/image-counts.ts), on the embedded cloud
 * over real SDK calls: they follow the row transitions the workers and operators write, equal a
 * recount, and make `status` and `report` read a bounded number of items whatever the table's
 * size (requests counted through an SDK middleware on the document client, never timed).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeleteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { backlogThresholds } from '../../events/alarm-conditions.ts';
import { imageRowKey } from '../../events/image-row.ts';
import { recountTable } from '../../lib/ops/recount.ts';
import { readStatus, type StatusSources } from '../../lib/ops/status.ts';
import { collectReportData } from '../../lib/report/collect.ts';
import { startTestCloud, type TestCloud } from '../helpers/local-cloud.ts';
import { operatorContext } from '../helpers/operator.ts';
import { doneRow, putRows, type RowSpec, writeRows } from '../helpers/table-rows.ts';

/** Counts the DynamoDB requests the client sends from now on. */
function countRequests(doc: DynamoDBDocumentClient): { readonly n: number; reset(): void } {
  let n = 0;
  doc.middlewareStack.add(
    (next) => async (args) => {
      n++;
      return next(args);
    },
    { step: 'initialize', name: 'countRequests' },
  );
  return {
    get n() {
      return n;
    },
    reset() {
      n = 0;
    },
  };
}

function sources(env: TestCloud, configHash: string): StatusSources {
  return {
    target: 'test',
    workQueue: env.workQueue,
    deadLetterQueue: env.deadLetterQueue,
    table: env.table,
    configHash,
    oldestAgeSeconds: async () => null,
    thresholds: backlogThresholds({
      maxReceiveCount: 5,
      visibilityTimeoutSeconds: 30,
      expectedImagesPerSecond: 1,
    }),
  };
}

describe('table counts', () => {
  it('follow DONE, REJECTED, FAILED and a redrive, and equal a recount', async (t) => {
    const env = await startTestCloud(t);
    const ctx = await operatorContext(env);
    const hash = ctx.configHash ?? '';
    const bucket = env.cloud.topology.uploadsBucket;
    const specs: RowSpec[] = [
      { key: 'uploads/c/a.jpg', status: 'DONE', processingMs: 40 },
      { key: 'uploads/c/b.jpg', status: 'DONE', processingMs: 900 },
      { key: 'uploads/c/c.jpg', status: 'REJECTED', reason: 'corrupt', message: 'bad' },
      { key: 'uploads/c/d.jpg', status: 'REJECTED', reason: 'truncated', message: 'short' },
      { key: 'uploads/c/e.jpg', status: 'FAILED' },
      { key: 'uploads/c/f.jpg', status: 'FAILED' },
      { key: 'uploads/c/g.jpg', status: 'RETRYING' },
      { key: 'uploads/c/h.jpg', status: 'PROCESSING' },
    ];
    await writeRows(env.table, bucket, hash, specs);
    const now = new Date();
    const first = await env.table.counts.read(hash, now);
    assert.deepEqual(first.groups, { done: 2, rejected: 2, failed: 2, inProgress: 2 });
    assert.deepEqual(first.failed.get('timeout'), 2);
    assert.deepEqual([...first.rejected].map(([r, v]) => [r, v.n, v.examples[0]?.key]).sort(), [
      ['corrupt', 1, 'uploads/c/c.jpg'],
      ['truncated', 1, 'uploads/c/d.jpg'],
    ]);
    assert.deepEqual(
      first.slowest.map((s) => [s.key, s.ms]),
      [
        ['uploads/c/b.jpg', 900],
        ['uploads/c/a.jpg', 40],
      ],
    );
    assert.equal(first.recent.current.finished + first.recent.previous.finished, 4);

    // A redrive marks a FAILED row RETRYING (ImageTable.requeued), then flushes.
    const failed = imageRowKey({
      bucket,
      key: 'uploads/c/e.jpg',
      version: 'e-uploads/c/e.jpg',
      configHash: hash,
    });
    await env.table.requeued(
      failed,
      { at: new Date().toISOString(), event: 'redriven' },
      'redrives',
    );
    await env.table.flushCounts();
    const after = await env.table.counts.read(hash, new Date());
    assert.deepEqual(after.groups, { done: 2, rejected: 2, failed: 1, inProgress: 3 });
    assert.equal(after.failed.get('timeout'), 1);

    const recounted = await recountTable(env.table);
    assert.equal(recounted.rows, 8);
    const settled = await env.table.counts.read(hash, new Date());
    assert.deepEqual(settled.groups, after.groups, 'the maintained counts equal a recount');
    assert.equal(settled.failed.get('timeout'), 1);
    assert.ok(settled.baselineAt, 'a recount marks every row counted');
  });

  it('status costs the same requests at 200 rows as at 2,000; a table without counts says so', async (t) => {
    const env = await startTestCloud(t);
    const ctx = await operatorContext(env);
    const hash = ctx.configHash ?? '';
    const bucket = env.cloud.topology.uploadsBucket;
    const requests = countRequests(env.clients.dynamo);
    const measured: number[] = [];
    let written = 0;
    for (const n of [200, 2000]) {
      const rows = [];
      for (let i = written; i < n; i++)
        rows.push(doneRow(bucket, `uploads/s/${String(i).padStart(5, '0')}.jpg`, hash));
      // Written directly: rows without counts, as an older pixelmill left them.
      await putRows(env.clients.dynamo, env.cloud.topology.table, rows);
      written = n;
      await recountTable(env.table);
      requests.reset();
      const status = await readStatus(sources(env, hash));
      measured.push(requests.n);
      assert.deepEqual(
        [status.images.done, status.images.total, status.images.counts],
        [n, n, 'counted'],
      );
    }
    assert.equal(
      measured[0],
      measured[1],
      `requests at 200 and 2,000 rows: ${measured.join(', ')}`,
    );
    assert.ok((measured[0] ?? 99) <= 3, `${measured[0]} requests`);

    // Counts removed (as before pixelmill kept them): not zeros in silence.
    const fresh = await startTestCloud(t);
    const freshHash = (await operatorContext(fresh)).configHash ?? '';
    await putRows(fresh.clients.dynamo, fresh.cloud.topology.table, [
      doneRow(fresh.cloud.topology.uploadsBucket, 'uploads/o/1.jpg', freshHash),
    ]);
    await fresh.table.counts.replace(new Map(), new Date());
    await fresh.clients.dynamo.send(
      new DeleteCommand({
        TableName: fresh.cloud.topology.table,
        Key: { pk: 'counts#00', sk: 'baseline' },
      }),
    );
    const uncounted = await readStatus(sources(fresh, freshHash));
    assert.equal(uncounted.images.counts, 'not-initialised');
    await recountTable(fresh.table);
    const recounted = await readStatus(sources(fresh, freshHash));
    assert.deepEqual([recounted.images.counts, recounted.images.done], ['counted', 1]);
  });

  it('report of a large table shows a bounded sample and says so', async (t) => {
    const env = await startTestCloud(t);
    const ctx = await operatorContext(env);
    const hash = ctx.configHash ?? '';
    const bucket = env.cloud.topology.uploadsBucket;
    const rows = [];
    for (let i = 0; i < 2000; i++)
      rows.push(
        doneRow(bucket, `uploads/r/${String(i).padStart(5, '0')}.jpg`, hash, { processingMs: i }),
      );
    await putRows(env.clients.dynamo, env.cloud.topology.table, rows);
    await recountTable(env.table);
    const requests = countRequests(env.clients.dynamo);
    const data = await collectReportData(ctx, {
      title: 't',
      target: 'l',
      maxImages: 50,
      maxThumbnails: 0,
    });
    assert.deepEqual(
      [data.images.length, data.imagesOmitted, data.summary.total, data.sampled],
      [50, 1950, 2000, true],
    );
    assert.deepEqual(
      data.slowest.slice(0, 2).map((s) => s.ms),
      [1999, 1998],
    );
    // Counts (1 BatchGet + 16 minute Queries) and at most SAMPLE_PAGES scan pages.
    assert.ok(requests.n <= 22, `${requests.n} table requests for 2,000 rows`);

    // Above its limit the duplicates section does not scan the table: it says to run
    // `pixelmill duplicates`. Under it, it compares (one scan more).
    const before = requests.n;
    const over = await collectReportData(ctx, {
      title: 't',
      target: 'l',
      maxImages: 50,
      maxThumbnails: 0,
      duplicatesDistance: 8,
      duplicatesMaxImages: 1000,
    });
    assert.deepEqual(over.duplicates, { notCompared: { images: 2000, limit: 1000 } });
    assert.ok(requests.n - before <= 22, `${requests.n - before} table requests over the limit`);
    const under = await collectReportData(ctx, {
      title: 't',
      target: 'l',
      maxImages: 50,
      maxThumbnails: 0,
      duplicatesDistance: 8,
      duplicatesMaxImages: 2000,
    });
    assert.ok(under.duplicates && !('notCompared' in under.duplicates), 'compared at the limit');
  });
});
