/**
 * The audit from an S3 Inventory report, on the embedded cloud through real SDK calls. The local
 * S3 has no inventory, so the test writes one as S3 would (a manifest.json and gzip CSV files with
 * URL-encoded keys, in a bucket of their own) for uploads of every outcome and gap kind, keys with
 * spaces, `+`, `%` and non-ASCII, plus a delete marker, a key outside the uploads prefix and a
 * non-current version (the local bucket keeps no versions: that one is in the report only).
 * The audit from the report must find what the listing audit finds; a report of another bucket,
 * in Parquet, or with a truncated gzip is refused, never a partial clean report.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { mapPool } from '../../lib/async/pool.ts';
import { md5 } from '../../lib/aws/etag.ts';
import { ObjectStore } from '../../lib/aws/object-store.ts';
import { configHash, defaultConfig } from '../../lib/config/parse.ts';
import { runAudit } from '../../lib/ops/audit.ts';
import { tableCheckpointStore } from '../../lib/ops/audit-checkpoint.ts';
import { InventoryError } from '../../lib/ops/errors.ts';
import { readInventoryManifest } from '../../lib/ops/inventory-manifest.ts';
import { csvFields, decodeInventoryKey } from '../../lib/ops/inventory-rows.ts';
import type { OperatorContext } from '../../lib/ops/operator-context.ts';
import {
  assertResumedLike,
  auditHandler,
  auditSummary,
  gapKeys,
  lambdaContext,
  seedAuditOutcomes,
} from '../helpers/audit.ts';
import { startTestCloud, type TestCloud } from '../helpers/local-cloud.ts';
import { operatorContext } from '../helpers/operator.ts';
import { type RowSpec, renditionsOf, writeRows } from '../helpers/table-rows.ts';

const hash = configHash(defaultConfig());
const INVENTORY_BUCKET = 'pixelmill-inventory-test';
const SCHEMA =
  'Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, LastModifiedDate, ETag, StorageClass';
/** Names an inventory must encode: each gets an outcome like the plain ones. */
const HOSTILE = [
  'uploads/a space.jpg',
  'uploads/b+plus.jpg',
  'uploads/c%25 not an escape.jpg',
  'uploads/dé ünï 日本.jpg',
  'uploads/e 100% +sure.jpg',
  'uploads/f%2B.jpg',
];
const KEYS = [...HOSTILE, ...Array.from({ length: 12 }, (_, i) => `uploads/p${i}.jpg`)];
/** A non-current version the report lists (the local bucket keeps none): its row is REJECTED. */
const OLD_VERSION = { key: 'uploads/p0.jpg', versionId: 'v-noncurrent-1' };

/** S3's form-style URL encoding of a key in an inventory CSV (`%20` is accepted too). */
const encodeKey = (key: string, plusForSpace = true) =>
  plusForSpace ? encodeURIComponent(key).replaceAll('%20', '+') : encodeURIComponent(key);
const csvRow = (fields: readonly string[]) =>
  `${fields.map((f) => `"${f.replaceAll('"', '""')}"`).join(',')}\n`;

interface Inventory {
  readonly prefix: string;
  readonly manifestUri: string;
  /** Writes a manifest (with these changes) over these gzip files; returns its URI. */
  write(
    files: readonly Buffer[],
    changes?: Record<string, unknown>,
    stamp?: string,
  ): Promise<string>;
  /** The gzip files of the report for the seeded uploads. */
  readonly files: readonly Buffer[];
}

/** The uploads (rows and renditions to match their outcome) and an inventory report of them. */
async function seed(env: TestCloud): Promise<Inventory> {
  const { uploadsBucket } = env.cloud.topology;
  await seedAuditOutcomes(env, hash, KEYS, [
    { key: OLD_VERSION.key, version: OLD_VERSION.versionId, status: 'REJECTED' },
  ]);
  // Outside the uploads prefix: in the bucket (and its inventory), never audited.
  await env.store.put(uploadsBucket, 'elsewhere/readme.txt', Buffer.from('not an upload'));

  // The report's rows, from the bucket as the listing sees it, plus what only an inventory shows.
  const rows: string[] = [];
  for await (const o of env.store.list(uploadsBucket, '')) {
    rows.push(
      csvRow([
        uploadsBucket,
        encodeKey(o.key, rows.length % 2 === 0),
        '',
        'true',
        'false',
        String(o.size),
        (o.lastModified ?? new Date()).toISOString(),
        o.etag,
        'STANDARD',
      ]),
    );
  }
  const old = new Date(Date.now() - 86_400_000).toISOString();
  rows.push(
    csvRow([
      uploadsBucket,
      encodeKey(OLD_VERSION.key),
      OLD_VERSION.versionId,
      'false',
      'false',
      '9',
      old,
      'abc',
      'STANDARD',
    ]),
    csvRow([uploadsBucket, encodeKey('uploads/gone.jpg'), 'dm-1', 'true', 'true', '', old, '', '']),
  );
  const half = Math.ceil(rows.length / 2);
  const files = [rows.slice(0, half), rows.slice(half)].map((r) => gzipSync(r.join('')));

  await env.store.ensureBucket(INVENTORY_BUCKET);
  const prefix = `inventories/${uploadsBucket}/daily/`;
  const write = async (
    gz: readonly Buffer[],
    changes: Record<string, unknown> = {},
    stamp = '2026-12-07T00-00Z',
  ) => {
    const entries = await mapPool(gz, 2, async (body, i) => {
      const key = `${prefix}data/${stamp}-${i}-${Math.random().toString(36).slice(2)}.csv.gz`;
      await env.store.put(INVENTORY_BUCKET, key, body);
      return { key, size: body.length, MD5checksum: md5(body).toString('hex') };
    });
    const manifest = {
      sourceBucket: uploadsBucket,
      destinationBucket: `arn:aws:s3:::${INVENTORY_BUCKET}`,
      version: '2016-11-30',
      creationTimestamp: String(Date.now()),
      fileFormat: 'CSV',
      fileSchema: SCHEMA,
      files: entries,
      ...changes,
    };
    const key = `${prefix}${stamp}/manifest.json`;
    await env.store.put(INVENTORY_BUCKET, key, Buffer.from(JSON.stringify(manifest)));
    return `s3://${INVENTORY_BUCKET}/${key}`;
  };
  // An older report first: the prefix form must pick the newest.
  await write(files.slice(0, 1), {}, '2026-12-01T00-00Z');
  const manifestUri = await write(files);
  return { prefix: `s3://${INVENTORY_BUCKET}/${prefix}`, manifestUri, write, files };
}

async function fromInventory(ctx: OperatorContext, uri: string, pageSize = 4) {
  return runAudit(ctx, {
    graceSeconds: 0,
    pageSize,
    concurrency: 2,
    inventory: await readInventoryManifest(ctx, uri),
  });
}

describe('audit from an S3 Inventory report', () => {
  it('decodes keys and fields as S3 writes them', () => {
    assert.equal(decodeInventoryKey('uploads/a+b%2Bc%25d%20e'), 'uploads/a b+c%d e');
    assert.equal(decodeInventoryKey('uploads/d%C3%A9+%E6%97%A5'), 'uploads/dé 日');
    assert.throws(() => decodeInventoryKey('uploads/%E6%97'));
    assert.deepEqual(csvFields('"a","b ""q"", c",""'), ['a', 'b "q", c', '']);
    assert.equal(csvFields('"a","b'), undefined);
  });

  it('finds what the listing audit finds, for hostile keys, skipping delete markers', async (t) => {
    const env = await startTestCloud(t);
    const inventory = await seed(env);
    const ctx = await operatorContext(env);
    const listing = await runAudit(ctx, { graceSeconds: 0, pageSize: 4 });
    assert.equal(listing.objects, KEYS.length);
    assert.equal(listing.gapCount, 12, '3 of each gap kind over 18 uploads');

    const report = await fromInventory(ctx, inventory.manifestUri);
    assert.equal(report.complete, true);
    // The same, plus the one non-current version only the report lists (its row is REJECTED).
    assert.deepEqual(auditSummary(report), {
      ...auditSummary(listing),
      objects: listing.objects + 1,
      rejected: listing.rejected + 1,
    });
    assert.deepEqual(gapKeys(report), gapKeys(listing));
    for (const gap of [
      'stuck uploads/dé ünï 日本.jpg',
      'no-row uploads/c%25 not an escape.jpg',
      'missing-renditions uploads/f%2B.jpg',
    ])
      assert.ok(gapKeys(report).includes(gap), gap);
    assert.ok(report.peakHeldRows <= 4);
    assert.deepEqual(report.inventory && { ...report.inventory, createdAt: '' }, {
      manifest: inventory.manifestUri,
      createdAt: '',
      files: 2,
    });
    assert.equal(listing.inventory, null);
    // The prefix form reads the newest report under it.
    const newest = await readInventoryManifest(ctx, inventory.prefix);
    assert.equal(newest.uri, inventory.manifestUri);
  });

  it('resumes a pass cut after two pages from the file and row where it stopped', async (t) => {
    const env = await startTestCloud(t);
    const inventory = await seed(env);
    const ctx = await operatorContext(env);
    const full = await fromInventory(ctx, inventory.manifestUri, 3);
    const manifest = await readInventoryManifest(ctx, inventory.manifestUri);
    const checkpoint = tableCheckpointStore(env.table, 'inventory-test');
    const options = { graceSeconds: 0, pageSize: 3, inventory: manifest, checkpoint };
    const cut = await runAudit(ctx, { ...options, concurrency: 1, maxPages: 2 });
    assert.equal(cut.complete, false);
    assert.equal(cut.objects, 6);
    const saved = await checkpoint.load();
    assert.ok((saved?.segments[0]?.rows ?? 0) >= 6, 'the row offset is saved');
    const resumed = await runAudit(ctx, { ...options, concurrency: 2, resume: true });
    assertResumedLike(resumed, full);
    // A listing audit never resumes an inventory pass (another scope): it starts its own.
    const listed = await runAudit(ctx, { graceSeconds: 0, checkpoint, resume: true });
    assert.equal(listed.sessions, 1);
  });

  it('refuses another bucket, ORC or Parquet, and a truncated gzip', async (t) => {
    const env = await startTestCloud(t);
    const inventory = await seed(env);
    const ctx = await operatorContext(env);
    const refused = async (uri: string, pattern: RegExp) =>
      assert.rejects(
        async () => await fromInventory(ctx, uri),
        (e: unknown) => e instanceof InventoryError && pattern.test(e.message),
      );
    await refused(
      await inventory.write(inventory.files, { sourceBucket: 'someone-elses-bucket' }),
      /inventory of bucket someone-elses-bucket; the audit is of the uploads bucket/,
    );
    await refused(
      await inventory.write(inventory.files, { fileFormat: 'Parquet' }),
      /only CSV inventories can be read/,
    );
    const second = inventory.files[1] ?? Buffer.alloc(0);
    // The manifest's size and MD5 are those of the truncated file: only the gzip can tell.
    const truncated = [
      inventory.files[0] ?? Buffer.alloc(0),
      second.subarray(0, second.length - 12),
    ];
    await refused(await inventory.write(truncated), /truncated or corrupt/);
    // A file that is not the one the manifest lists (another's bytes under its checksum).
    const swapped = await inventory.write(inventory.files);
    const manifest = await readInventoryManifest(ctx, swapped);
    const first = manifest.files[0];
    assert.ok(first);
    await env.store.put(INVENTORY_BUCKET, first.key, second);
    await refused(swapped, /not the one the manifest lists/);
  });
  it('runs as the scheduled handler from the newest report under its prefix', async (t) => {
    const env = await startTestCloud(t);
    const inventory = await seed(env);
    const ctx = await operatorContext(env);
    const lines: string[] = [];
    const handler = auditHandler(env, ctx, hash, lines, {
      inventory: inventory.prefix,
      serviceName: 'audit-inventory-test',
    });
    const result = await handler({}, lambdaContext());
    assert.deepEqual(
      { objects: result.objects, gaps: result.gaps, complete: result.complete },
      { objects: KEYS.length + 1, gaps: 12, complete: true },
    );
    const logged = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.message === 'audit finished');
    assert.ok(logged, lines.join('\n'));
    assert.equal((logged.inventory as { manifest?: string }).manifest, inventory.manifestUri);
    // No report yet (the first comes up to 48 hours after setup): a listing, with a warning.
    const early = auditHandler(env, ctx, hash, lines, {
      inventory: `s3://${INVENTORY_BUCKET}/not-delivered-yet/`,
    });
    const listed = await early({}, lambdaContext('r2'));
    assert.equal(listed.objects, KEYS.length, 'the bucket listed: no non-current version');
    assert.ok(lines.some((l) => l.includes('no inventory report yet: this run lists the bucket')));
  });
  it('checks renditions of keys far apart by jumping between them, not walking the bucket', async (t) => {
    const env = await startTestCloud(t);
    const { uploadsBucket, renditionsBucket } = env.cloud.topology;
    const far = ['uploads/a.jpg', 'uploads/z.jpg'];
    const specs: RowSpec[] = [];
    for (const [i, key] of far.entries()) {
      const body = Buffer.from(`far ${i}`);
      await env.store.put(uploadsBucket, key, body);
      specs.push({ key, version: md5(body).toString('hex'), status: 'DONE' });
      for (const r of renditionsOf(key)) await env.store.put(renditionsBucket, r.key, body);
    }
    await writeRows(env.table, uploadsBucket, hash, specs);
    // 1,200 renditions of other images between the two (as an inventory page's rows may be).
    await mapPool(
      Array.from({ length: 1200 }, (_, i) => `uploads/m${i}.jpg/w320-0123456789abcdef.webp`),
      16,
      (key) => env.store.put(renditionsBucket, key, Buffer.from('r')),
    );
    let walked = 0;
    class CountingStore extends ObjectStore {
      override async *list(...args: Parameters<ObjectStore['list']>) {
        for await (const o of super.list(...args)) {
          if (args[0] === renditionsBucket) walked++;
          yield o;
        }
      }
    }
    const ctx = { ...(await operatorContext(env)), store: new CountingStore(env.clients.s3) };
    const report = await runAudit(ctx, { graceSeconds: 0, segments: 1 });
    assert.deepEqual({ done: report.done, gaps: report.gapCount }, { done: 2, gaps: 0 });
    // 6 + 1,000 keys, a jump, then 6: not the 1,212 between the first and the last.
    assert.ok(walked < 1100, `${walked} rendition keys walked`);
  });
});
