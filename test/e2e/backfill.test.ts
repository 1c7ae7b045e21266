/**
 * `pixelmill ingest s3://…`: 1,000 objects already in the uploads bucket, put there with their
 * S3 events dropped (as for objects that predate the pipeline), are queued by the CLI at the rate
 * asked and every one ends DONE. The pace is observed from outside: the work queue's depth is
 * sampled while the CLI runs, and no one-second window may gain more than the rate allows (plus
 * one SendMessageBatch of 10). A second backfill skips what is finished.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isVersionRow } from '../../events/image-row.ts';
import { mapPool } from '../../lib/async/pool.ts';
import type { SourceReport } from '../../lib/ingest/ingest.ts';
import { chaosImages } from '../chaos/images.ts';
import { runCli } from '../helpers/cli.ts';
import { startTestCloud, startTestWorker } from '../helpers/local-cloud.ts';
import { eventually, sleep } from '../helpers/temp.ts';

const OBJECTS = 1_000;
const RATE = 200;
const PREFIX = 'uploads/archive-2016/';

interface Backfilled {
  readonly sources: readonly Required<Pick<SourceReport, 'backfill'>>[];
}

describe('pixelmill ingest s3://', () => {
  it(`queues ${OBJECTS} existing objects at --rate ${RATE}/s and every one is processed`, {
    timeout: 300_000,
  }, async (t) => {
    const env = await startTestCloud(t, {
      cloud: { deliveriesOf: (e) => (e.detail.object.key.startsWith(PREFIX) ? 0 : 1) },
    });
    const bucket = env.cloud.topology.uploadsBucket;
    const images = await chaosImages(OBJECTS, 30_000);
    await mapPool(images, 16, (i) => env.store.put(bucket, `${PREFIX}${i.name}`, i.body));
    await sleep(500);
    assert.deepEqual(await env.workQueue.depth(), { visible: 0, inFlight: 0, delayed: 0 });

    // Sample the queue while the CLI queues: (time, depth) every 100 ms.
    const samples: { at: number; depth: number }[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const d = await env.workQueue.depth();
        samples.push({ at: performance.now(), depth: d.visible + d.inFlight });
        await sleep(100);
      }
    })();
    const cli = await runCli([
      'ingest',
      `s3://${bucket}/${PREFIX}`,
      '--rate',
      String(RATE),
      '--state',
      env.stateDir,
      '--json',
    ]);
    sampling = false;
    await sampler;
    const end = await env.workQueue.depth();
    samples.push({ at: performance.now(), depth: end.visible + end.inFlight });
    assert.equal(cli.code, 0, cli.stderr);
    const backfill = (JSON.parse(cli.stdout) as Backfilled).sources[0]?.backfill;
    assert.equal(backfill?.listed, OBJECTS);
    assert.equal(backfill?.enqueued, OBJECTS);
    assert.equal((await env.workQueue.depth()).visible, OBJECTS);

    // Never faster than asked, seen from the queue: any 1 s window gains ≤ RATE + one batch.
    let fastest = 0;
    for (const a of samples) {
      const later = samples.filter((b) => b.at > a.at && b.at - a.at <= 1000).at(-1);
      if (later) fastest = Math.max(fastest, later.depth - a.depth);
    }
    assert.ok(fastest <= RATE + 10, `${fastest} messages queued within one second`);
    const first = samples.find((s) => s.depth > 0);
    const last = samples.find((s) => s.depth >= OBJECTS);
    assert.ok(first && last);
    const spread = (last.at - first.at) / 1000;
    t.diagnostic(`${OBJECTS} queued over ${spread.toFixed(1)} s, at most ${fastest} in a second`);
    // The last batch leaves (OBJECTS - 10) / RATE seconds after the first; sampling is 100 ms.
    assert.ok(spread >= (OBJECTS - 10) / RATE - 0.3, `queued over ${spread} s`);

    startTestWorker(t, env, { concurrency: 2 });
    const done = async () => {
      let n = 0;
      for await (const row of env.table.scan())
        if (isVersionRow(row) && row.key.startsWith(PREFIX) && row.status === 'DONE') n++;
      return n;
    };
    await eventually(
      `all ${OBJECTS} backfilled images DONE`,
      async () => ((await done()) === OBJECTS ? true : undefined),
      240_000,
      1_000,
    );

    // Again: everything is finished, so nothing is queued (unless --include-finished).
    const again = await runCli([
      'ingest',
      `s3://${bucket}/${PREFIX}`,
      '--state',
      env.stateDir,
      '--json',
    ]);
    assert.equal(again.code, 0, again.stderr);
    const second = (JSON.parse(again.stdout) as Backfilled).sources[0]?.backfill;
    assert.equal(second?.enqueued, 0);
    assert.equal(second?.alreadyFinished, OBJECTS);
  });
});
