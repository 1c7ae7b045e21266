/**
 * The local S3's object index: listings in S3's order and semantics through the real SDK against
 * the real cloud (prefix, delimiter, start-after, pages), overwrites and deletes kept over a
 * restart, and fauxqs's store holding nothing per object in memory.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DeleteObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { loadFauxqsParts } from '../../infra/local/fauxqs-internals.ts';
import { HashedS3Persistence } from '../../infra/local/hashed-s3-persistence.ts';
import { startTestCloud } from '../helpers/local-cloud.ts';
import { tempDir } from '../helpers/temp.ts';

// Ordered as S3 orders keys: by the bytes of their UTF-8. U+10FFFF, the largest code point, right
// after a prefix: no upper bound of a range may leave it out.
const KEYS = ['B', 'a', 'a/b/c', 'a/b/d', 'a/e', 'a/\u{10FFFF}x', 'ab', 'z', 'é', '\u{1F600}'];

describe('local S3 object index', () => {
  it('lists in UTF-8 byte order with S3’s prefix, delimiter, start-after and pages', async (t) => {
    const env = await startTestCloud(t);
    const bucket = env.cloud.topology.renditionsBucket;
    for (const key of [...KEYS].reverse()) await env.store.put(bucket, key, Buffer.from(key));
    const list = async (input: Record<string, unknown>) => {
      const r = await env.clients.s3.send(new ListObjectsV2Command({ Bucket: bucket, ...input }));
      return {
        keys: (r.Contents ?? []).map((o) => o.Key ?? ''),
        prefixes: (r.CommonPrefixes ?? []).map((p) => p.Prefix ?? ''),
        token: r.NextContinuationToken,
        truncated: r.IsTruncated === true,
      };
    };
    const sorted = [...KEYS].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    assert.deepEqual(sorted, KEYS, 'the test lists its keys in byte order');
    assert.deepEqual((await list({})).keys, KEYS);
    assert.deepEqual((await list({ Prefix: 'a/' })).keys, [
      'a/b/c',
      'a/b/d',
      'a/e',
      'a/\u{10FFFF}x',
    ]);
    assert.deepEqual(await list({ Prefix: 'a/', Delimiter: '/' }), {
      keys: ['a/e', 'a/\u{10FFFF}x'],
      prefixes: ['a/b/'],
      token: undefined,
      truncated: false,
    });
    assert.deepEqual((await list({ StartAfter: 'ab' })).keys, ['z', 'é', '\u{1F600}']);
    // Pages of two, the common prefix counting as one entry.
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await list({
        Delimiter: '/',
        MaxKeys: 2,
        ...(token ? { ContinuationToken: token } : {}),
      });
      assert.ok(page.keys.length + page.prefixes.length <= 2);
      seen.push(...page.keys, ...page.prefixes.map((p) => `prefix ${p}`));
      token = page.token;
      pages++;
      assert.equal(page.truncated, token !== undefined);
    } while (token && pages < 20);
    assert.deepEqual(seen.sort(), ['B', 'a', 'ab', 'prefix a/', 'z', 'é', '\u{1F600}'].sort());
    assert.equal(pages, 4);
  });

  it('keeps the last write of each key and forgets deleted ones, over a restart', async (t) => {
    const stateDir = await tempDir(t, 'object-index');
    const env = await startTestCloud(t, { stateDir });
    const bucket = env.cloud.topology.uploadsBucket;
    await env.store.put(bucket, 'uploads/x.jpg', Buffer.from('first'));
    await env.store.put(bucket, 'uploads/x.jpg', Buffer.from('second, longer'));
    await env.store.put(bucket, 'uploads/gone.jpg', Buffer.from('gone'));
    await env.store.put(bucket, 'uploads/empty.jpg', Buffer.alloc(0));
    await env.clients.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'uploads/gone.jpg' }));
    await env.cloud.stop();
    env.clients.destroy();
    const again = await startTestCloud(t, { stateDir });
    const read = (key: string) => again.store.getBytes({ bucket, key }, 1e6);
    assert.equal((await read('uploads/x.jpg')).toString(), 'second, longer');
    assert.equal((await read('uploads/empty.jpg')).length, 0);
    assert.equal(await again.store.head(bucket, 'uploads/gone.jpg'), undefined);
    const keys: string[] = [];
    for await (const o of again.store.list(bucket, 'uploads/')) keys.push(o.key);
    assert.deepEqual(keys, ['uploads/empty.jpg', 'uploads/x.jpg']);
  });

  it('holds nothing per object in memory', async (t) => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const dir = await tempDir(t, 'object-index-memory');
    const parts = await loadFauxqsParts();
    const store = new parts.S3Store();
    const persistence = new HashedS3Persistence(join(dir, 's3'), parts.S3Error);
    t.after(() => persistence.close());
    persistence.loadS3(store);
    store.persistence = persistence;
    store.createBucket('pixelmill-renditions');
    const heap = () => {
      gc();
      return process.memoryUsage().heapUsed;
    };
    const put = (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        store.putObject(
          'pixelmill-renditions',
          `uploads/p${i}.jpg/abcdef012345/w320-0a1b2c3d.webp`,
          Buffer.alloc(64, i),
        );
      }
    };
    put(0, 2000);
    const before = heap();
    put(2000, 32_000);
    const grown = heap() - before;
    // fauxqs's own map held ~300 bytes per object: 9 MB for these 30,000.
    assert.ok(
      grown < 2 * 1024 * 1024,
      `heap grew ${(grown / 1024 / 1024).toFixed(1)} MB over 30,000 objects`,
    );
    assert.equal(
      store.headObject('pixelmill-renditions', 'uploads/p31999.jpg/abcdef012345/w320-0a1b2c3d.webp')
        .contentLength,
      64,
    );
  });
});
