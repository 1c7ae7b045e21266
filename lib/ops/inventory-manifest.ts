/**
 * An S3 Inventory report's manifest: which gzip CSV files list the uploads bucket, in which
 * column order, as of when. The audit can start from it instead of listing the bucket
 * (inventory-rows.ts reads the files). S3 publishes each report as
 * `<destination-prefix>/<source-bucket>/<config-id>/<YYYY-MM-DDTHH-MMZ>/manifest.json`, the data
 * files under `.../<config-id>/data/`, and the manifest names them with their size and MD5.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory-location.html
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory.html#storage-inventory-contents
 *
 * Refused, before anything is audited: a manifest of another source bucket (the audit is of the
 * uploads bucket only, as the listing audit is), ORC or Parquet files (only CSV is read), a
 * schema without the columns the audit needs, and a manifest whose destinationBucket is not the
 * bucket it was read from (the files are read from there, and nowhere else).
 */
import { z } from 'zod';
import { InventoryError, NoInventoryReportError } from './errors.ts';
import type { OperatorContext } from './operator-context.ts';

/** Columns every audited row needs: the identity (versionId or ETag), size and age. */
const REQUIRED_COLUMNS = ['Bucket', 'Key', 'Size', 'LastModifiedDate', 'ETag'] as const;
/** Columns read when present (an inventory of current versions only has none of them). */
const OPTIONAL_COLUMNS = ['VersionId', 'IsLatest', 'IsDeleteMarker'] as const;
export type InventoryColumn = (typeof REQUIRED_COLUMNS)[number] | (typeof OPTIONAL_COLUMNS)[number];

/** A manifest is a small JSON document; anything near this size is not one. */
const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

/** The manifest as S3 writes it; fields the audit does not use are ignored. */
const manifestSchema = z.object({
  sourceBucket: z.string().min(1),
  /** An ARN: `arn:aws:s3:::bucket` (`arn:aws-cn:…` in China). */
  destinationBucket: z.string().regex(/^arn:[a-z-]+:s3:::[^/]+$/),
  /** Epoch milliseconds, as a string: when S3 began scanning the bucket for this report. */
  creationTimestamp: z.string().regex(/^\d{1,15}$/),
  fileFormat: z.string().min(1),
  /** Column names in file order, comma-separated ("Bucket, Key, VersionId, …"). */
  fileSchema: z.string().min(1),
  files: z.array(
    z.object({
      key: z.string().min(1),
      size: z.int().min(0),
      MD5checksum: z.string().regex(/^[0-9a-fA-F]{32}$/),
    }),
  ),
});

export interface InventoryFile {
  readonly key: string;
  readonly size: number;
  readonly md5: string;
}

export interface InventoryManifest {
  /** Where the manifest was read (`s3://bucket/key`). */
  readonly uri: string;
  /** The bucket the manifest and its data files are in (the inventory's destination). */
  readonly bucket: string;
  readonly sourceBucket: string;
  /** When S3 began the scan: uploads since are not in the report. */
  readonly createdAt: Date;
  /** Each column's index in a row. */
  readonly columns: Readonly<Partial<Record<InventoryColumn, number>>> &
    Readonly<Record<(typeof REQUIRED_COLUMNS)[number], number>>;
  /** Fields a row has. */
  readonly width: number;
  readonly files: readonly InventoryFile[];
}

/** `s3://bucket/key` split; anything else is refused. */
export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.*)$/.exec(uri);
  if (!match?.[1]) throw new InventoryError(uri, 'expected s3://BUCKET/KEY');
  return { bucket: match[1], key: match[2] ?? '' };
}

/**
 * The newest report's manifest under `prefix` (`s3://bucket/<destination-prefix>/<source-bucket>/
 * <config-id>/`): its `<timestamp>/manifest.json` keys sort in time order, so the last is the
 * newest. S3 writes a report's manifest once its data files are written.
 */
export async function newestManifest(ctx: OperatorContext, prefixUri: string): Promise<string> {
  const { bucket, key } = parseS3Uri(prefixUri);
  const prefix = key === '' || key.endsWith('/') ? key : `${key}/`;
  const stamped = /^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}Z\/manifest\.json$/;
  let newest: string | undefined;
  for await (const o of ctx.store.list(bucket, prefix)) {
    if (stamped.test(o.key.slice(prefix.length))) newest = o.key;
  }
  if (!newest)
    throw new NoInventoryReportError(
      prefixUri,
      'no inventory report here (no <YYYY-MM-DDTHH-MMZ>/manifest.json under this prefix)',
    );
  return `s3://${bucket}/${newest}`;
}

/** Reads and checks a manifest (`s3://…/manifest.json`, or a prefix holding reports: the newest). */
export async function readInventoryManifest(
  ctx: OperatorContext,
  uri: string,
): Promise<InventoryManifest> {
  const at = uri.endsWith('.json') ? uri : await newestManifest(ctx, uri);
  const { bucket, key } = parseS3Uri(at);
  const bytes = await ctx.store.getBytes({ bucket, key }, MAX_MANIFEST_BYTES);
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new InventoryError(at, 'the manifest is not JSON', { cause: error });
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success)
    throw new InventoryError(
      at,
      `not an S3 Inventory manifest: ${parsed.error.issues
        .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
        .join('; ')}`,
    );
  const m = parsed.data;
  const uploads = ctx.resources.uploadsBucket;
  if (m.sourceBucket !== uploads)
    throw new InventoryError(
      at,
      `an inventory of bucket ${m.sourceBucket}; the audit is of the uploads bucket ${uploads} only`,
    );
  const destination = m.destinationBucket.slice(m.destinationBucket.lastIndexOf(':') + 1);
  if (destination !== bucket)
    throw new InventoryError(
      at,
      `its files are in bucket ${destination}, not in ${bucket} where the manifest is: read the manifest from there`,
    );
  if (m.fileFormat.toUpperCase() !== 'CSV')
    throw new InventoryError(
      at,
      `the report is ${m.fileFormat}; only CSV inventories can be read (configure the inventory's output format as CSV)`,
    );
  const names = m.fileSchema.split(',').map((c) => c.trim());
  const columns: Partial<Record<InventoryColumn, number>> = {};
  for (const name of [...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS]) {
    const index = names.indexOf(name);
    if (index >= 0) columns[name] = index;
  }
  const missing = REQUIRED_COLUMNS.filter((c) => columns[c] === undefined);
  if (missing.length > 0)
    throw new InventoryError(
      at,
      `the inventory lacks the field(s) ${missing.join(', ')} (add them to its optional fields)`,
    );
  return {
    uri: at,
    bucket,
    sourceBucket: m.sourceBucket,
    createdAt: new Date(Number(m.creationTimestamp)),
    columns: columns as InventoryManifest['columns'],
    width: names.length,
    files: m.files.map((f) => ({ key: f.key, size: f.size, md5: f.MD5checksum.toLowerCase() })),
  };
}
