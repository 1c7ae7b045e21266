/**
 * The object versions one S3 Inventory CSV file lists, streamed: the gzip is decompressed a chunk
 * at a time and split into rows, so memory holds one chunk and one row whatever the file's size.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory.html#storage-inventory-contents
 *
 * The file's contract, from the AWS doc and the manifest:
 * - no header; each row has the manifest's fileSchema columns, each field double-quoted;
 * - in CSV the key is URL-encoded and must be decoded. S3 encodes it form-style (a space is `+`,
 *   a `+` is `%2B`), so `+` reads as a space and `%XX` as a byte of the UTF-8 key. A key's
 *   newline or comma is encoded too, so one line is one row;
 * - VersionId is empty (or "null") for a version written while versioning was off;
 * - the manifest gives the gzip's size and MD5: both are checked when the file ends.
 *
 * Yielded: the versions under the uploads prefix that are not delete markers, each with its row
 * number in the file (rows skipped count too), which is where a resumed pass starts again. A
 * truncated or corrupt gzip, a malformed row, a row of another bucket or a checksum that does not
 * match throws InventoryError: never a partial pass that looks complete.
 */
import { createHash } from 'node:crypto';
import { createGunzip } from 'node:zlib';
import type { AuditObject } from './audit.ts';
import { InventoryError } from './errors.ts';
import type { InventoryManifest } from './inventory-manifest.ts';
import type { OperatorContext } from './operator-context.ts';

export interface InventoryRow {
  /** Rows of the file read so far, this one included (1-based). */
  readonly row: number;
  readonly object: AuditObject;
}

/** Far above any real row (a 1,024-byte key encodes to at most ~3 KB). */
const MAX_ROW_CHARS = 64 * 1024;

/** The fields of one CSV row: RFC 4180 quoting ("" inside a quoted field is one "). */
export function csvFields(line: string): string[] | undefined {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const close = line.indexOf('"', i);
        if (close < 0) return undefined;
        value += line.slice(i, close);
        if (line[close + 1] === '"') {
          value += '"';
          i = close + 2;
        } else {
          i = close + 1;
          break;
        }
      }
      fields.push(value);
    } else {
      const comma = line.indexOf(',', i);
      fields.push(line.slice(i, comma < 0 ? line.length : comma));
      i = comma < 0 ? line.length : comma;
    }
    if (i >= line.length) return fields;
    if (line[i] !== ',') return undefined;
    i++;
  }
}

/** An inventory CSV key as stored: form-decoded (`+` a space, `%XX` UTF-8 bytes). */
export function decodeInventoryKey(encoded: string): string {
  return decodeURIComponent(encoded.replaceAll('+', ' '));
}

/** The rows of file `index` of the manifest after the first `skipRows`. */
export async function* inventoryRows(
  ctx: OperatorContext,
  manifest: InventoryManifest,
  index: number,
  skipRows = 0,
): AsyncGenerator<InventoryRow> {
  const file = manifest.files[index];
  if (!file) throw new InventoryError(manifest.uri, `has no file ${index}`);
  const where = `s3://${manifest.bucket}/${file.key}`;
  const { uploadsPrefix } = ctx.resources;
  const c = manifest.columns;

  const body = await ctx.store.getStream(manifest.bucket, file.key);
  const digest = createHash('md5');
  let compressed = 0;
  const gunzip = createGunzip();
  body.on('data', (chunk: Buffer) => {
    digest.update(chunk);
    compressed += chunk.length;
  });
  body.on('error', (error) => gunzip.destroy(error));
  body.pipe(gunzip);
  gunzip.setEncoding('utf8');

  let row = 0;
  const parse = (line: string): AuditObject | undefined => {
    const fields = csvFields(line);
    if (!fields || fields.length !== manifest.width)
      throw new InventoryError(
        where,
        `row ${row}: expected ${manifest.width} quoted fields (the manifest's fileSchema), got ${fields ? fields.length : 'malformed CSV'}`,
      );
    const field = (i: number | undefined) => (i === undefined ? '' : (fields[i] ?? ''));
    if (field(c.Bucket) !== manifest.sourceBucket)
      throw new InventoryError(
        where,
        `row ${row}: bucket ${field(c.Bucket)} is not the inventory's`,
      );
    if (field(c.IsDeleteMarker) === 'true') return undefined;
    let key: string;
    try {
      key = decodeInventoryKey(field(c.Key));
    } catch (error) {
      throw new InventoryError(where, `row ${row}: the key is not URL-encoded UTF-8`, {
        cause: error,
      });
    }
    if (!key.startsWith(uploadsPrefix)) return undefined;
    const size = Number(field(c.Size));
    const lastModified = new Date(field(c.LastModifiedDate));
    if (!Number.isSafeInteger(size) || size < 0 || Number.isNaN(lastModified.getTime()))
      throw new InventoryError(where, `row ${row}: Size or LastModifiedDate does not parse`);
    const versionId = field(c.VersionId);
    return {
      bucket: manifest.sourceBucket,
      key,
      etag: field(c.ETag).replaceAll('"', ''),
      versionId: versionId === '' || versionId === 'null' ? undefined : versionId,
      size,
      lastModified,
    };
  };

  let rest = '';
  try {
    for await (const chunk of gunzip as AsyncIterable<string>) {
      rest += chunk;
      let start = 0;
      for (let nl = rest.indexOf('\n'); nl >= 0; nl = rest.indexOf('\n', start)) {
        const line = rest.slice(start, nl).replace(/\r$/, '');
        start = nl + 1;
        if (line === '') continue;
        row++;
        if (row <= skipRows) continue;
        const object = parse(line);
        if (object) yield { row, object };
      }
      rest = rest.slice(start);
      if (rest.length > MAX_ROW_CHARS)
        throw new InventoryError(
          where,
          `row ${row + 1} is longer than ${MAX_ROW_CHARS} characters`,
        );
    }
  } catch (error) {
    if (error instanceof InventoryError) throw error;
    throw new InventoryError(
      where,
      `cannot read the gzip CSV (${(error as Error).message}): the file is truncated or corrupt; the audit stops here rather than report a partial pass`,
      { cause: error },
    );
  } finally {
    body.destroy();
    gunzip.destroy();
  }
  const md5 = digest.digest('hex');
  if (compressed !== file.size || md5 !== file.md5)
    throw new InventoryError(
      where,
      `${compressed} bytes with MD5 ${md5}; the manifest says ${file.size} bytes with MD5 ${file.md5}: the file is not the one the manifest lists`,
    );
  if (rest.trim() !== '') {
    row++;
    if (row > skipRows) {
      const object = parse(rest.replace(/\r$/, ''));
      if (object) yield { row, object };
    }
  }
}
