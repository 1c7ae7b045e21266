/**
 * `pixelmill audit --inventory` as an operator runs it, against `stack up`: it says which report
 * it read and that uploads since are not audited, finds the gaps the report lists, and refuses a
 * report of another bucket with a one-line error (exit 1) instead of any report.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { createTopology } from '../../infra/topology.ts';
import { md5 } from '../../lib/aws/etag.ts';
import { ObjectStore } from '../../lib/aws/object-store.ts';
import { runCli } from '../helpers/cli.ts';
import { startCliStack } from '../helpers/cli-stack.ts';
import { tempDir } from '../helpers/temp.ts';

const INVENTORY_BUCKET = 'pixelmill-inventory-cli';

describe('pixelmill audit --inventory', () => {
  it('reads a report, names its date, and refuses one of another bucket', {
    timeout: 120_000,
  }, async (t) => {
    const state = await tempDir(t, 'inventory-cli');
    const stack = await startCliStack(t, state);
    const store = new ObjectStore(stack.clients.s3);
    const { uploadsBucket } = createTopology();
    const keys = ['uploads/lost one.jpg', 'uploads/lost+two é.jpg'];
    const rows: string[] = [];
    for (const key of keys) {
      const body = Buffer.from(key);
      await store.put(uploadsBucket, key, body);
      const fields = [
        uploadsBucket,
        encodeURIComponent(key).replaceAll('%20', '+'),
        String(body.length),
        new Date(Date.now() - 3_600_000).toISOString(),
        md5(body).toString('hex'),
      ];
      rows.push(`${fields.map((f) => `"${f}"`).join(',')}\n`);
    }
    await store.ensureBucket(INVENTORY_BUCKET);
    const gz = gzipSync(rows.join(''));
    const dataKey = `inv/${uploadsBucket}/cfg/data/one.csv.gz`;
    await store.put(INVENTORY_BUCKET, dataKey, gz);
    const created = Date.UTC(2026, 11, 7);
    const manifest = (sourceBucket: string) =>
      Buffer.from(
        JSON.stringify({
          sourceBucket,
          destinationBucket: `arn:aws:s3:::${INVENTORY_BUCKET}`,
          creationTimestamp: String(created),
          fileFormat: 'CSV',
          fileSchema: 'Bucket, Key, Size, LastModifiedDate, ETag',
          files: [{ key: dataKey, size: gz.length, MD5checksum: md5(gz).toString('hex') }],
        }),
      );
    const good = `inv/${uploadsBucket}/cfg/2026-12-07T00-00Z/manifest.json`;
    await store.put(INVENTORY_BUCKET, good, manifest(uploadsBucket));
    const audit = (uri: string, ...more: string[]) =>
      runCli([
        'audit',
        '--state',
        state,
        '--grace',
        '0',
        '--skip-renditions',
        '--inventory',
        uri,
        ...more,
      ]);

    const text = await audit(`s3://${INVENTORY_BUCKET}/${good}`);
    assert.equal(text.code, 1, text.stderr);
    assert.match(
      text.stdout,
      /from the inventory of 2026-12-07T00:00:00\.000Z .*: uploads since are not audited; run a listing audit/,
    );
    assert.match(text.stdout, /no-row\s+uploads\/lost\+two é\.jpg/);
    // The prefix form, as JSON: the newest report under it.
    const json = await audit(`s3://${INVENTORY_BUCKET}/inv/${uploadsBucket}/cfg/`, '--json');
    const report = JSON.parse(json.stdout) as {
      objects: number;
      gapsByKind: Record<string, number>;
      inventory: { manifest: string; createdAt: string };
    };
    assert.equal(report.objects, 2);
    assert.equal(report.gapsByKind['no-row'], 2);
    assert.equal(report.inventory.manifest, `s3://${INVENTORY_BUCKET}/${good}`);

    const other = `inv/${uploadsBucket}/cfg/2026-12-08T00-00Z/manifest.json`;
    await store.put(INVENTORY_BUCKET, other, manifest('someone-elses-bucket'));
    const refused = await audit(`s3://${INVENTORY_BUCKET}/${other}`);
    assert.equal(refused.code, 1);
    assert.equal(refused.stdout, '');
    assert.match(
      refused.stderr,
      /an inventory of bucket someone-elses-bucket; the audit is of the uploads bucket/,
    );
  });
});
