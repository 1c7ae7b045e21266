/**
 * Leases on the metadata table (dynalite, real SDK calls): a dead worker's claim expires and the
 * image is taken over; a live worker's claim is renewed by its heartbeat; a worker that lost its
 * lease before its final write leaves the outcome to the new holder, REJECTED as DONE.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { beforeStatusWrite } from '../../cli/fault-injection.ts';
import { imageRowKey } from '../../events/image-row.ts';
import { buildJobMessage } from '../../events/job-message.ts';
import { expectedEtag } from '../../lib/aws/etag.ts';
import { configHash, defaultConfig } from '../../lib/config/parse.ts';
import { startLeaseHeartbeat } from '../../lib/pipeline/lease.ts';
import { silentLogger } from '../../lib/pipeline/log.ts';
import { fixture } from '../fixtures/catalogue.ts';
import {
  invocationContext,
  startDirectHandler,
  uploadAndReceive,
} from '../helpers/direct-handler.ts';
import { startTestCloud, startTestWorker } from '../helpers/local-cloud.ts';
import { claimRow } from '../helpers/table-rows.ts';
import { eventually, sleep } from '../helpers/temp.ts';

describe('leases', () => {
  it('takes over an image whose worker died once its lease expires, not after the visibility timeout', async (t) => {
    // A visibility timeout of 5 minutes: only the lease-aware retry can make this finish quickly.
    const env = await startTestCloud(t, { visibilityTimeoutSeconds: 300 });
    const body = await fixture('small-photo.jpg').build();
    const key = 'uploads/lease/photo.jpg';
    const bucket = env.cloud.topology.uploadsBucket;
    const rowKey = imageRowKey({
      bucket,
      key,
      version: expectedEtag(body),
      configHash: configHash(defaultConfig()),
    });
    // A worker claimed the image and died: its lease runs 3 more seconds.
    const dead = await claimRow(env.table, rowKey, {
      owner: 'dead-worker',
      leaseUntil: Date.now() + 3000,
    });
    assert.equal(dead.outcome, 'claimed');

    const started = Date.now();
    startTestWorker(t, env);
    await env.store.put(bucket, key, body);
    const row = await eventually('DONE after the takeover', async () => {
      const r = await env.table.get(rowKey);
      return r?.status === 'DONE' ? r : undefined;
    });
    assert.ok(Date.now() - started < 15_000, `took ${Date.now() - started} ms`);
    assert.equal(row.attempts, 2, 'the dead claim and the takeover');
    assert.equal(row.leaseOwner, undefined);
  });

  it('lets a message that comes back take over the lease its own earlier receive left', async (t) => {
    // The earlier receive crashed holding a 60 s lease, and the message is back (a restarted
    // cloud, a failed DONE write): waiting for that lease would wait on nobody.
    const env = await startTestCloud(t, { cloud: { deliveriesOf: () => 0 } });
    const body = await fixture('small-photo.jpg').build();
    const key = 'uploads/lease/returned.jpg';
    const bucket = env.cloud.topology.uploadsBucket;
    const etag = expectedEtag(body);
    const rowKey = imageRowKey({
      bucket,
      key,
      version: etag,
      configHash: configHash(defaultConfig()),
    });
    await env.store.put(bucket, key, body);
    const messageId = await env.workQueue.send(
      JSON.stringify(
        buildJobMessage({ origin: 'repair', bucket, key, size: body.length, etag, sequencer: '0' }),
      ),
    );
    const crashed = await claimRow(env.table, rowKey, {
      owner: `${messageId}/crashed-receive`,
      leaseUntil: Date.now() + 60_000,
    });
    assert.equal(crashed.outcome, 'claimed');

    startTestWorker(t, env);
    const row = await eventually(
      'DONE without waiting for the 60 s lease',
      async () => {
        const r = await env.table.get(rowKey);
        return r?.status === 'DONE' ? r : undefined;
      },
      20_000,
    );
    assert.equal(row.attempts, 2, 'the crashed claim and the takeover');
  });

  it('renews a live lease until stopped, and only for its owner', async (t) => {
    const env = await startTestCloud(t);
    const rowKey = { pk: 'b/k', sk: 'v#1#c#x' };
    const first = Date.now() + 1000;
    await claimRow(env.table, rowKey, { owner: 'me', leaseUntil: first });
    const stop = startLeaseHeartbeat(
      env.table,
      rowKey,
      'me',
      { leaseMs: 1000, renewEveryMs: 100 },
      Date.now() + 60_000,
      silentLogger,
    );
    await sleep(600);
    assert.ok(
      ((await env.table.get(rowKey))?.leaseUntil ?? 0) > first,
      'the heartbeat pushed the lease forward',
    );
    await stop();
    const atStop = (await env.table.get(rowKey))?.leaseUntil;
    await sleep(300);
    assert.equal((await env.table.get(rowKey))?.leaseUntil, atStop, 'stopped means stopped');
    await assert.rejects(
      env.table.renewLease(rowKey, 'someone-else', Date.now() + 5000, new Date()),
      {
        name: 'ConditionFailedError',
      },
    );
    const busy = await claimRow(env.table, rowKey, {
      owner: 'other',
      leaseUntil: Date.now() + 1000,
    });
    assert.equal(busy.outcome, 'busy');
  });

  for (const status of ['DONE', 'REJECTED'] as const) {
    it(`acknowledges a record whose lease was taken over just before its ${status} write`, async (t) => {
      const env = await startTestCloud(t);
      // Just before the worker's final write goes out, another receive of the same message takes
      // the lease over (as one does after this worker's visibility lapsed): the write's condition
      // fails. The new holder finishes the image; this record is not a failure.
      let steal: () => Promise<void> = async () => undefined;
      const { handler, warnings } = startDirectHandler(t, env, {
        addMiddleware: beforeStatusWrite(status, () => steal()),
      });
      const key = `uploads/lease/lost-before-${status.toLowerCase()}.jpg`;
      const body =
        status === 'DONE' ? await fixture('small-photo.jpg').build() : Buffer.from('not an image');
      const batch = await uploadAndReceive(env, [{ key, body }]);
      const { record, rowKey } = batch.byKey.get(key) ?? assert.fail('no record');
      steal = async () => {
        const claimed = await claimRow(env.table, rowKey, {
          owner: 'new-holder',
          leaseUntil: Date.now() + 60_000,
          receiveCount: 2,
          takeOverPrefix: `${record.messageId}/`,
        });
        assert.equal(claimed.outcome, 'claimed');
      };

      const response = await handler({ Records: batch.records }, invocationContext(60));
      assert.deepEqual(response.batchItemFailures, [], 'the record is acknowledged');
      assert.ok(
        warnings.some((w) => w.message === `lease lost before ${status}; the new holder finishes`),
      );
      const row = await env.table.get(rowKey);
      assert.equal(row?.status, 'PROCESSING', 'the new holder has it');
      assert.equal(row?.leaseOwner, 'new-holder');
    });
  }
});
