/**
 * `node --expose-gc bench/inventory-read.ts [rows] [files]`: memory and speed of the S3 Inventory
 * reader (lib/ops/inventory-rows.ts) over a generated report in the local cloud, `rows` rows
 * (default 1,000,000) spread over `files` gzip CSV files (default 10; each must stay under the
 * local S3's request size). Only the reading is measured, not the audit of the rows (that is the
 * table reads, measured by `npm run bench -- scale`). The heap is read after a full GC every
 * 100,000 rows: flat memory shows as a retained heap that does not grow with the rows read.
 * Prints a table and saves bench/results/inventory-read-*.json. No corpus needed.
 */
import { gzipSync } from 'node:zlib';
import { md5 } from '../lib/aws/etag.ts';
import { readInventoryManifest } from '../lib/ops/inventory-manifest.ts';
import { inventoryRows } from '../lib/ops/inventory-rows.ts';
import { withOperatorCloud } from './lib/operator-cloud.ts';
import { reportRetainedHeapBench, retainedHeap } from './lib/retained-heap.ts';

const MB = 1e6;
const SCHEMA =
  'Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, LastModifiedDate, ETag, StorageClass';

export async function benchInventoryRead(rows: number, fileCount: number) {
  return withOperatorCloud(async (env, ctx) => {
    const source = env.cloud.topology.uploadsBucket;
    const bucket = 'pixelmill-inventory-bench';
    await env.store.ensureBucket(bucket);
    const prefix = `reports/${source}/bench/`;
    const perFile = Math.ceil(rows / fileCount);
    const files: { key: string; size: number; MD5checksum: string }[] = [];
    for (let f = 0; f * perFile < rows; f++) {
      const lines: string[] = [];
      for (let i = f * perFile; i < Math.min(rows, (f + 1) * perFile); i++) {
        // Spread, URL-encoded names as an inventory writes them.
        const name = `uploads/${((i * 2654435761) % 4294967296).toString(36)}/photo ${i}.jpg`;
        const key = encodeURIComponent(name).replaceAll('%20', '+');
        const etag = md5(Buffer.from(String(i))).toString('hex');
        lines.push(
          `"${source}","${key}","","true","false","${1000 + i}","2026-12-01T00:00:00.000Z","${etag}","STANDARD"\n`,
        );
      }
      const gz = gzipSync(lines.join(''));
      const key = `${prefix}data/${f}.csv.gz`;
      await env.store.put(bucket, key, gz);
      files.push({ key, size: gz.length, MD5checksum: md5(gz).toString('hex') });
    }
    const manifest = {
      sourceBucket: source,
      destinationBucket: `arn:aws:s3:::${bucket}`,
      creationTimestamp: String(Date.now()),
      fileFormat: 'CSV',
      fileSchema: SCHEMA,
      files,
    };
    await env.store.put(
      bucket,
      `${prefix}2026-12-07T00-00Z/manifest.json`,
      Buffer.from(JSON.stringify(manifest)),
    );
    const heap = retainedHeap();
    const report = await readInventoryManifest(ctx, `s3://${bucket}/${prefix}`);
    const started = performance.now();
    let read = 0;
    for (let i = 0; i < report.files.length; i++) {
      for await (const _ of inventoryRows(ctx, report, i)) {
        if (++read % 100_000 === 0) heap.sample();
      }
    }
    const seconds = (performance.now() - started) / 1000;
    const gzipMB = files.reduce((n, f) => n + f.size, 0) / MB;
    return {
      rows: read,
      files: files.length,
      gzipMB: Math.round(gzipMB * 10) / 10,
      seconds: Math.round(seconds * 10) / 10,
      rowsPerSecond: Math.round(read / seconds),
      ...heap.figures(),
    };
  });
}

if (import.meta.main) {
  const rows = Number(process.argv[2] ?? 1_000_000);
  const files = Number(process.argv[3] ?? 10);
  const result = await benchInventoryRead(rows, files);
  await reportRetainedHeapBench(
    'S3 Inventory reader',
    `${result.rows} rows`,
    'inventory-read',
    result,
  );
}
