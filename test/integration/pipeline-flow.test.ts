/**
 * The walking skeleton on the embedded cloud, through real SDK calls: an upload becomes an
 * "Object Created" event (the local EventBridge hop), a queue message, a worker invocation by the
 * local event-source mapping, renditions in the renditions bucket and a DONE row.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { configHash, defaultConfig } from '../../lib/config/parse.ts';
import { fixture } from '../fixtures/catalogue.ts';
import { isUprightMarker } from '../fixtures/orientation.ts';
import {
  startTestCloud,
  startTestWorker,
  type TestCloud,
  uploadImage,
} from '../helpers/local-cloud.ts';
import { eventually } from '../helpers/temp.ts';

const _hash = configHash(defaultConfig());

const upload = (env: TestCloud, key: string, body: Buffer) => uploadImage(env, key, body);

async function outcome(
  env: TestCloud,
  rowKey: { pk: string; sk: string },
  statuses = ['DONE', 'REJECTED', 'FAILED'],
) {
  return eventually(`an outcome for ${rowKey.pk}`, async () => {
    const row = await env.table.get(rowKey);
    return row && statuses.includes(row.status) ? row : undefined;
  });
}

describe('embedded cloud: upload → EventBridge hop → SQS → worker → S3 + DynamoDB', () => {
  it('takes uploaded images to DONE with six upright, metadata-free renditions each', async (t) => {
    const env = await startTestCloud(t);
    startTestWorker(t, env);
    const images = ['landscape-photo.jpg', 'orientation-6.jpg', 'alpha-logo.png'];
    const keys = await Promise.all(
      images.map(async (name) => upload(env, `uploads/flow/${name}`, await fixture(name).build())),
    );

    for (const [index, rowKey] of keys.entries()) {
      const row = await outcome(env, rowKey);
      const expected = fixture(images[index] ?? '').upright;
      assert.equal(row.status, 'DONE', `${rowKey.pk}: ${row.message ?? ''}`);
      assert.equal(row.width, expected?.width);
      assert.equal(row.height, expected?.height);
      assert.equal(row.attempts, 1);
      assert.equal(row.renditions?.length, 6);
      for (const r of row.renditions ?? []) {
        const bytes = await env.store.getBytes(
          { bucket: env.cloud.topology.renditionsBucket, key: r.key },
          1e9,
        );
        const meta = await sharp(bytes).metadata();
        assert.equal(meta.format, r.format);
        assert.equal(meta.width, r.width);
        assert.equal(meta.height, r.height);
        assert.equal(bytes.length, r.bytes);
        assert.equal(meta.exif, undefined, `${r.key} carries no EXIF`);
        assert.ok(r.width <= (expected?.width ?? 0), 'never larger than the source');
        if (images[index] === 'orientation-6.jpg')
          assert.ok(await isUprightMarker(bytes), `${r.key} is upright`);
      }
    }
    await eventually('the work queue to drain', async () => {
      const d = await env.workQueue.depth();
      return d.visible + d.inFlight === 0 ? true : undefined;
    });
    assert.equal(env.cloud.bridge.counts.delivered, 3);
  });

  it('raises no work for uploads outside the uploads prefix', async (t) => {
    const env = await startTestCloud(t);
    await env.store.put(
      env.cloud.topology.uploadsBucket,
      'elsewhere/photo.jpg',
      await fixture('small-photo.jpg').build(),
    );
    assert.equal(env.cloud.bridge.counts['not-matched'], 1);
    const depth = await env.workQueue.depth();
    assert.equal(depth.visible, 0);
  });

  it('rejects an unreadable file after one attempt and acknowledges it (never the DLQ)', async (t) => {
    // 3 s, not 1: on a loaded machine a 1 s visibility lapsed before the first receive's work
    // began, and the second receive (attempts 2) said nothing about rejections.
    const env = await startTestCloud(t, { visibilityTimeoutSeconds: 3 });
    startTestWorker(t, env);
    const rowKey = await upload(
      env,
      'uploads/bad/truncated.jpg',
      await fixture('truncated.jpeg').build(),
    );
    const row = await outcome(env, rowKey);
    assert.equal(row.status, 'REJECTED');
    assert.equal(row.reason, 'truncated');
    assert.match(row.message ?? '', /premature end/i);
    assert.equal(row.attempts, 1);
    await eventually('the message to be deleted', async () => {
      const d = await env.workQueue.depth();
      return d.visible + d.inFlight === 0 ? true : undefined;
    });
    // Well past two visibility timeouts: nothing came back, nothing reached the DLQ.
    await new Promise((resolve) => setTimeout(resolve, 7000));
    assert.equal((await env.table.get(rowKey))?.attempts, 1);
    assert.equal((await env.deadLetterQueue.depth()).visible, 0);
  });

  it('moves a record that fails transiently every time to the DLQ after maxReceiveCount receives', async (t) => {
    const env = await startTestCloud(t, { visibilityTimeoutSeconds: 2 });
    let injected = 0;
    // AWS itself cannot run here; its throttling is injected at the SDK layer (the fault plan),
    // below the SDK's own retries, so the worker sees what it would see in production.
    startTestWorker(t, env, {
      // One SDK attempt per call: each receive fails fast, well inside the visibility timeout.
      maxAttempts: 1,
      faults: {
        seed: 42,
        rules: [
          {
            service: 's3',
            commands: ['PutObjectCommand'],
            keyPrefix: 'uploads/doomed/',
            rate: 1,
            error: 'throttle',
          },
        ],
        onInjected: () => injected++,
      },
    });
    const rowKey = await upload(
      env,
      'uploads/doomed/photo.jpg',
      await fixture('small-photo.jpg').build(),
    );
    const maxReceiveCount = env.cloud.topology.maxReceiveCount;

    const inDlq = await eventually(
      'the message in the DLQ',
      async () => {
        const messages = await env.deadLetterQueue.receive({
          max: 10,
          waitSeconds: 1,
          visibilityTimeout: 30,
        });
        return messages.length > 0 ? messages : undefined;
      },
      60_000,
    );
    assert.equal(inDlq.length, 1);
    const event = JSON.parse(inDlq[0]?.body ?? '{}') as { detail?: { object?: { key?: string } } };
    assert.equal(event.detail?.object?.key, 'uploads/doomed/photo.jpg');
    // The last attempt records FAILED; SQS moves the message on the receive after it.
    const row = await outcome(env, rowKey, ['FAILED']);
    assert.equal(row?.status, 'FAILED');
    assert.equal(row?.attempts, maxReceiveCount);
    assert.equal(row?.lastError?.code, 'ThrottlingException');
    assert.ok(injected >= maxReceiveCount, `${injected} faults injected`);
    assert.equal((await env.workQueue.depth()).visible, 0);
  });

  it('in a mixed batch returns only the failing itemIdentifier and deletes the good records', async (t) => {
    const env = await startTestCloud(t, { visibilityTimeoutSeconds: 30 });
    const good = await Promise.all(
      ['a.jpg', 'b.jpg'].map(async (n) =>
        upload(env, `uploads/mixed/${n}`, await fixture('small-photo.jpg').build()),
      ),
    );
    await upload(env, 'uploads/mixed-fail/c.jpg', await fixture('landscape-photo.jpg').build());
    // All three are queued before the worker starts, so one receive takes them in one batch.
    const worker = startTestWorker(t, env, {
      concurrency: 1,
      batchWindowSeconds: 1,
      faults: {
        rules: [
          {
            service: 's3',
            commands: ['PutObjectCommand'],
            keyPrefix: 'uploads/mixed-fail/',
            rate: 1,
            error: 'server-error',
          },
        ],
      },
    });
    await eventually('one invocation', async () =>
      worker.invocations.length > 0 ? true : undefined,
    );
    const [first] = worker.invocations;
    const [response] = worker.responses;
    assert.equal(first?.records, 3);
    assert.equal(first?.deleted, 2);
    assert.equal(first?.failed, 1);
    assert.equal(response?.response.batchItemFailures.length, 1);
    const failedId = response?.response.batchItemFailures[0]?.itemIdentifier;
    assert.ok(failedId && response?.ids.includes(failedId));
    for (const rowKey of good) assert.equal((await env.table.get(rowKey))?.status, 'DONE');
    const depth = await env.workQueue.depth();
    assert.equal(depth.visible + depth.inFlight, 1, 'only the failed record is left on the queue');
  });
});
