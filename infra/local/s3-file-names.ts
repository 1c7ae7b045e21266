/**
 * File names for the local S3's storage. Storage keys are data, never paths (DESIGN.md): no part
 * of an object key, and no bucket name taken as is, ever becomes a path component. Each name here
 * is made of `[a-z0-9%~-]` only (no `.`, `/`, `\`, NUL, upper case), fits in a file name, and is
 * a one-to-one function of what it names, so no two buckets or (bucket, key) pairs share a file,
 * even on a case-insensitive filesystem.
 */
import { createHash } from 'node:crypto';

/**
 * One level of 256 shard directories: a bucket of 5 million objects (more than one local cloud
 * holds in memory) puts ~40,000 files in each. 4,096 shards made creating a file 2–5× dearer on
 * ext4 at 20,000 objects (more directory blocks touched per write), for no gain at this scale.
 */
export const SHARD_HEX_DIGITS = 2;
export const SHARD_NAME = /^[0-9a-f]{2}$/;
export const DATA_SUFFIX = '.data';
export const META_SUFFIX = '.meta.json';
/** S3 part numbers. https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPart.html */
export const MAX_PART_NUMBER = 10_000;

/** Longest percent-encoded bucket name kept readable; longer ones are hashed. */
const MAX_READABLE_BUCKET_DIR = 128;
const UPLOAD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function isReadable(byte: number): boolean {
  return (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x30 && byte <= 0x39) || byte === 0x2d;
}

/**
 * The directory of a bucket: its name with every byte outside `[a-z0-9-]` percent-encoded
 * (`my.bucket` → `my%2ebucket`), or `~` and the SHA-256 of its UTF-16 code units when that would
 * be empty, over 128 bytes or the name is not well-formed Unicode. `%` and `~` are encoded in the
 * readable form, so the two forms cannot meet.
 */
export function bucketDirName(bucket: string): string {
  if (bucket.isWellFormed()) {
    let out = '';
    for (const byte of Buffer.from(bucket, 'utf8')) {
      out += isReadable(byte)
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).padStart(2, '0')}`;
      if (out.length > MAX_READABLE_BUCKET_DIR) break;
    }
    if (out.length > 0 && out.length <= MAX_READABLE_BUCKET_DIR) return out;
  }
  return `~${createHash('sha256').update(bucket, 'utf16le').digest('hex')}`;
}

export interface ObjectFileName {
  /** The shard directory: the first hex digits of `stem`. */
  readonly shard: string;
  /** 64 hex digits; the files are `<stem>.data` and `<stem>.meta.json`. */
  readonly stem: string;
}

/**
 * The SHA-256 of (bucket, key): the bucket's length, the bucket and the key as UTF-16 code units,
 * an encoding that is one-to-one for every JavaScript string (UTF-8 is not for lone surrogates),
 * so distinct keys get distinct names whatever they contain.
 */
export function objectFileName(bucket: string, key: string): ObjectFileName {
  const stem = createHash('sha256')
    .update(`${bucket.length}:${bucket}/${key}`, 'utf16le')
    .digest('hex');
  return { shard: stem.slice(0, SHARD_HEX_DIGITS), stem };
}

/** fauxqs makes upload ids with `randomUUID()`; anything else is never used as a directory. */
export function isUploadId(value: string): boolean {
  return UPLOAD_ID.test(value);
}

export function isPartNumber(value: number): boolean {
  return Number.isInteger(value) && value >= 1 && value <= MAX_PART_NUMBER;
}
