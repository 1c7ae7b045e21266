/**
 * Streaming uploads, as ingest uses them: one PutObject for a small body, a multipart upload
 * for a large one, nothing at all when the same content is already there (so no second event),
 * and a body that fails part-way leaves no object and keeps its own error.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { expectedEtag } from '../../lib/aws/etag.ts';
import { startTestCloud } from '../helpers/local-cloud.ts';

const MiB = 1024 * 1024;

function chunks(body: Buffer, size = 64 * 1024): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < body.length; i += size) parts.push(body.subarray(i, i + size));
  return Readable.from(parts);
}

class BodyBroke extends Error {}

describe('ObjectStore.uploadStream', () => {
  it('puts small bodies, multiparts large ones, and skips content already there', async (t) => {
    const env = await startTestCloud(t);
    const bucket = env.cloud.topology.uploadsBucket;
    const small = randomBytes(300 * 1024);
    const large = randomBytes(20 * MiB + 123);

    const a = await env.store.uploadStream(bucket, 'uploads/s/small.bin', chunks(small), {
      unlessSame: true,
    });
    const b = await env.store.uploadStream(bucket, 'uploads/s/large.bin', chunks(large), {
      unlessSame: true,
      partsAtOnce: 2,
    });
    assert.deepEqual([a.alreadyThere, a.bytes, a.etag], [false, small.length, expectedEtag(small)]);
    assert.deepEqual([b.alreadyThere, b.bytes, b.etag], [false, large.length, expectedEtag(large)]);
    assert.match(b.etag, /-3$/, 'three 8 MiB parts');
    assert.deepEqual(
      await env.store.getBytes({ bucket, key: 'uploads/s/large.bin' }, 64 * MiB),
      large,
    );
    assert.equal(env.cloud.bridge.counts.delivered, 2);

    const again = await Promise.all([
      env.store.uploadStream(bucket, 'uploads/s/small.bin', chunks(small), { unlessSame: true }),
      env.store.uploadStream(bucket, 'uploads/s/large.bin', chunks(large), { unlessSame: true }),
    ]);
    assert.deepEqual(
      again.map((r) => r.alreadyThere),
      [true, true],
    );
    assert.equal(env.cloud.bridge.counts.delivered, 2, 'the same content raised no new event');

    const changed = Buffer.concat([large.subarray(0, large.length - 1), Buffer.from([1])]);
    const c = await env.store.uploadStream(bucket, 'uploads/s/large.bin', chunks(changed), {
      unlessSame: true,
    });
    assert.equal(c.alreadyThere, false);
    assert.equal(env.cloud.bridge.counts.delivered, 3);
  });

  it('passes on the body’s own error and leaves no object behind', async (t) => {
    const env = await startTestCloud(t);
    const bucket = env.cloud.topology.uploadsBucket;
    async function* failing() {
      yield randomBytes(9 * MiB);
      yield randomBytes(9 * MiB);
      throw new BodyBroke('entry over its ratio cap');
    }
    await assert.rejects(
      env.store.uploadStream(bucket, 'uploads/s/broken.bin', failing()),
      (error) => error instanceof BodyBroke,
    );
    assert.equal(await env.store.head(bucket, 'uploads/s/broken.bin'), undefined);
    assert.equal(env.cloud.bridge.counts.delivered, 0);
  });
});
