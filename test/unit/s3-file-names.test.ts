/** The local S3's file names: made of a safe alphabet, short, and one per bucket or key. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  bucketDirName,
  isPartNumber,
  isUploadId,
  objectFileName,
  SHARD_NAME,
} from '../../infra/local/s3-file-names.ts';

const SAFE_NAME = /^[a-z0-9%~-]{1,129}$/;

describe('local S3 file names', () => {
  it('gives each bucket name its own directory name, of safe characters, never a dot', () => {
    const buckets = [
      'pixelmill-uploads',
      'my.bucket',
      'my%2ebucket',
      'My.Bucket',
      'my.bucket.',
      '..',
      '.',
      '',
      '~x',
      'a/../b',
      'a\\b',
      'x'.repeat(63),
      'x'.repeat(200),
      'é',
      '\ud800',
      '\udbff',
    ];
    const seen = new Map<string, string>();
    for (const bucket of buckets) {
      const name = bucketDirName(bucket);
      assert.match(name, SAFE_NAME, JSON.stringify(bucket));
      assert.equal(seen.get(name), undefined, `${JSON.stringify(bucket)} shares ${name}`);
      seen.set(name, bucket);
    }
    assert.equal(bucketDirName('pixelmill-uploads'), 'pixelmill-uploads', 'readable when safe');
  });

  it('gives each (bucket, key) its own 64-hex name in a 2-hex shard', () => {
    const pairs: [string, string][] = [
      ['b', 'uploads/a/../b.jpg'],
      ['b', 'uploads/b.jpg'],
      ['b', 'Uploads/b.jpg'],
      ['b', ''],
      ['b', '\ud800'],
      ['b', '\udbff'],
      ['b1', 'x'],
      ['b', '1x'],
      ['b/', 'x'],
      ['b', '/x'],
    ];
    const seen = new Set<string>();
    for (const [bucket, key] of pairs) {
      const { shard, stem } = objectFileName(bucket, key);
      assert.match(stem, /^[0-9a-f]{64}$/);
      assert.match(shard, SHARD_NAME);
      assert.ok(stem.startsWith(shard));
      assert.equal(seen.has(stem), false, JSON.stringify([bucket, key]));
      seen.add(stem);
    }
  });

  it('accepts only the upload ids and part numbers fauxqs and S3 make', () => {
    assert.equal(isUploadId(randomUUID()), true);
    for (const id of ['', '..', '../x', 'x', `${randomUUID()}/..`, randomUUID().toUpperCase()])
      assert.equal(isUploadId(id), false, id);
    assert.deepEqual([0, 1, 10_000, 10_001, Number.NaN, 1.5, -1].map(isPartNumber), [
      false,
      true,
      true,
      false,
      false,
      false,
      false,
    ]);
  });
});
