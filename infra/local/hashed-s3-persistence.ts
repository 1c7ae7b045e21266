/**
 * The local S3's storage, in place of fauxqs's `FileS3Persistence` (which turns keys into paths:
 * `..` climbs out of the state directory, `a/../b` and `b` share a file, a segment of 246+ bytes
 * cannot be stored). Every key S3 accepts is stored inside `<state>/s3/` under a name derived
 * from a hash, never from the key itself:
 *
 *   objects/<bucket dir>/.bucket.json                    { name, creationDate, type }
 *   objects/<bucket dir>/.lifecycle.xml                  when the bucket has one
 *   objects/<bucket dir>/<shard>/<sha-256>.data          the bytes
 *   objects/<bucket dir>/<shard>/<sha-256>.meta.json     the real key, ETag, type, metadata…
 *   multipart/<upload id>/.upload.json                   an upload in progress
 *   multipart/<upload id>/parts/<n>.data, <n>.meta.json
 *
 * (`s3-file-names.ts` says how each name is made.) Costs per request are those of the old layout
 * or less: a PUT hashes the key and writes two files (a directory is made only when a write finds
 * it missing), a GET reads one file, a DELETE unlinks two; nothing lists a directory or syncs.
 * Like fauxqs's, writes are not atomic: a crash during a PUT can leave that object torn.
 */
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import type {
  FauxqsBucketType,
  FauxqsMultipartPart,
  FauxqsMultipartUpload,
  FauxqsS3ErrorClass,
  FauxqsS3Object,
  FauxqsS3Persistence,
  FauxqsS3Store,
} from './fauxqs-internals.ts';
import {
  bucketDirName,
  DATA_SUFFIX,
  isPartNumber,
  isUploadId,
  MAX_PART_NUMBER,
  META_SUFFIX,
  objectFileName,
  SHARD_NAME,
} from './s3-file-names.ts';
import {
  objectMeta,
  parseObjectMeta,
  parsePartMeta,
  parseUploadMeta,
  partMeta,
  uploadMeta,
} from './s3-object-meta.ts';

export const OBJECTS_DIR = 'objects';
export const MULTIPART_DIR = 'multipart';
export const BUCKET_META = '.bucket.json';
export const LIFECYCLE_FILE = '.lifecycle.xml';
export const UPLOAD_META = '.upload.json';

/** What a start found on disk; `skipped` names (relative to `s3/`) files that were not loaded. */
export interface S3LoadSummary {
  buckets: number;
  objects: number;
  multipartUploads: number;
  skipped: string[];
}

export interface ObjectPaths {
  readonly dir: string;
  readonly data: string;
  readonly meta: string;
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

/** Writes a file, making its directory only when the write finds it missing. */
export function writeMakingDir(path: string, data: string | Buffer): void {
  try {
    writeFileSync(path, data);
  } catch (error) {
    if (!isMissing(error)) throw error;
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, data);
  }
}

function unlinkIfThere(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if (!isMissing(error)) throw error;
  }
}

function readIfThere(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function subdirectories(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
  } catch (error) {
    if (isMissing(error)) return [];
    throw error;
  }
}

/** Where an object of the hashed layout lives, under `<s3>/objects`. */
export function objectPaths(objectsDir: string, bucket: string, key: string): ObjectPaths {
  const { shard, stem } = objectFileName(bucket, key);
  const dir = join(objectsDir, bucketDirName(bucket), shard);
  return { dir, data: join(dir, stem + DATA_SUFFIX), meta: join(dir, stem + META_SUFFIX) };
}

export class HashedS3Persistence implements FauxqsS3Persistence {
  readonly #objectsDir: string;
  readonly #multipartDir: string;
  readonly #S3Error: FauxqsS3ErrorClass;

  /** `s3Dir` is `<state>/s3`; `S3Error` is fauxqs's, so that refusals reach the client as S3's. */
  constructor(s3Dir: string, S3Error: FauxqsS3ErrorClass) {
    this.#objectsDir = join(s3Dir, OBJECTS_DIR);
    this.#multipartDir = join(s3Dir, MULTIPART_DIR);
    this.#S3Error = S3Error;
    mkdirSync(this.#objectsDir, { recursive: true });
    mkdirSync(this.#multipartDir, { recursive: true });
  }

  #bucketDir(bucket: string): string {
    return join(this.#objectsDir, bucketDirName(bucket));
  }

  #paths(bucket: string, key: string): ObjectPaths {
    return objectPaths(this.#objectsDir, bucket, key);
  }

  /** The directory of an upload; throws for an id fauxqs could not have made. */
  #uploadDir(uploadId: string): string {
    if (!isUploadId(uploadId)) {
      throw new this.#S3Error(
        'NoSuchUpload',
        'The specified multipart upload does not exist.',
        404,
      );
    }
    return join(this.#multipartDir, uploadId);
  }

  // ── Buckets ──

  insertBucket(name: string, creationDate: Date, type: FauxqsBucketType): void {
    writeMakingDir(
      join(this.#bucketDir(name), BUCKET_META),
      JSON.stringify({ name, creationDate: creationDate.toISOString(), type }),
    );
  }

  deleteBucket(name: string): void {
    rmSync(this.#bucketDir(name), { recursive: true, force: true });
  }

  saveBucketLifecycleConfiguration(bucket: string, config: string): void {
    writeMakingDir(join(this.#bucketDir(bucket), LIFECYCLE_FILE), config);
  }

  deleteBucketLifecycleConfiguration(bucket: string): void {
    unlinkIfThere(join(this.#bucketDir(bucket), LIFECYCLE_FILE));
  }

  // ── Objects ──

  upsertObject(bucket: string, object: FauxqsS3Object): void {
    const paths = this.#paths(bucket, object.key);
    writeMakingDir(paths.data, object.body);
    writeFileSync(paths.meta, objectMeta(object));
  }

  readBody(bucket: string, key: string): Buffer {
    return readFileSync(this.#paths(bucket, key).data);
  }

  deleteObject(bucket: string, key: string): void {
    const paths = this.#paths(bucket, key);
    // Meta first: an object whose meta is gone is not loaded again, whatever happens next.
    unlinkIfThere(paths.meta);
    unlinkIfThere(paths.data);
  }

  /** Only for directory buckets (fauxqs checks): the bytes move, the meta is rewritten. */
  renameObject(bucket: string, sourceKey: string, destKey: string): void {
    const from = this.#paths(bucket, sourceKey);
    const to = this.#paths(bucket, destKey);
    if (from.data === to.data) return;
    const object = parseObjectMeta(readFileSync(from.meta, 'utf8'));
    if (!object) throw new Error(`unreadable object meta for ${bucket}/${sourceKey}`);
    mkdirSync(to.dir, { recursive: true });
    renameSync(from.data, to.data);
    writeFileSync(to.meta, objectMeta({ ...object, key: destKey }));
    unlinkIfThere(from.meta);
  }

  deleteObjectsByBucket(bucket: string): void {
    const dir = this.#bucketDir(bucket);
    for (const shard of subdirectories(dir)) {
      if (SHARD_NAME.test(shard)) rmSync(join(dir, shard), { recursive: true, force: true });
    }
  }

  deleteAllObjects(): void {
    for (const dir of subdirectories(this.#objectsDir)) {
      const bucketDir = join(this.#objectsDir, dir);
      for (const shard of subdirectories(bucketDir)) {
        if (SHARD_NAME.test(shard))
          rmSync(join(bucketDir, shard), { recursive: true, force: true });
      }
    }
  }

  // ── Multipart uploads ──

  insertMultipartUpload(upload: FauxqsMultipartUpload): void {
    const dir = this.#uploadDir(upload.uploadId);
    mkdirSync(join(dir, 'parts'), { recursive: true });
    writeFileSync(join(dir, UPLOAD_META), uploadMeta(upload));
  }

  upsertMultipartPart(uploadId: string, part: FauxqsMultipartPart): void {
    const dir = join(this.#uploadDir(uploadId), 'parts');
    if (!isPartNumber(part.partNumber)) {
      throw new this.#S3Error(
        'InvalidArgument',
        `Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive`,
        400,
      );
    }
    writeMakingDir(join(dir, `${part.partNumber}${DATA_SUFFIX}`), part.body);
    writeFileSync(join(dir, `${part.partNumber}${META_SUFFIX}`), partMeta(part));
  }

  deleteMultipartUpload(uploadId: string): void {
    if (isUploadId(uploadId)) {
      rmSync(join(this.#multipartDir, uploadId), { recursive: true, force: true });
    }
  }

  completeMultipartUpload(uploadId: string, bucket: string, object: FauxqsS3Object): void {
    this.upsertObject(bucket, object);
    this.deleteMultipartUpload(uploadId);
  }

  deleteAllMultipartUploads(): void {
    rmSync(this.#multipartDir, { recursive: true, force: true });
    mkdirSync(this.#multipartDir, { recursive: true });
  }

  purgeAll(): void {
    rmSync(this.#objectsDir, { recursive: true, force: true });
    mkdirSync(this.#objectsDir, { recursive: true });
    this.deleteAllMultipartUploads();
  }

  close(): void {
    // Nothing is held open: every call opens and closes its own files.
  }

  // ── Start ──

  /**
   * Loads every bucket, object (metadata only: bodies are read on demand) and multipart upload.
   * Files that do not belong where they are (a meta whose key hashes elsewhere, a bucket
   * directory that is not its name's, an unknown upload id) are skipped and named in the summary.
   */
  loadS3(store: FauxqsS3Store): S3LoadSummary {
    const summary: S3LoadSummary = { buckets: 0, objects: 0, multipartUploads: 0, skipped: [] };
    for (const dir of subdirectories(this.#objectsDir)) this.#loadBucket(store, dir, summary);
    for (const id of subdirectories(this.#multipartDir)) this.#loadUpload(store, id, summary);
    return summary;
  }

  #loadBucket(store: FauxqsS3Store, dir: string, summary: S3LoadSummary): void {
    const bucketDir = join(this.#objectsDir, dir);
    const text = readIfThere(join(bucketDir, BUCKET_META));
    const meta = text === undefined ? undefined : bucketMeta(text);
    if (!meta || bucketDirName(meta.name) !== dir) {
      summary.skipped.push(join(OBJECTS_DIR, dir));
      return;
    }
    try {
      store.createBucket(meta.name, meta.type);
    } catch {
      summary.skipped.push(join(OBJECTS_DIR, dir));
      return;
    }
    if (meta.creationDate) store.setBucketCreationDate(meta.name, new Date(meta.creationDate));
    const lifecycle = readIfThere(join(bucketDir, LIFECYCLE_FILE));
    if (lifecycle !== undefined) store.restoreBucketLifecycleConfiguration(meta.name, lifecycle);
    summary.buckets++;
    for (const shard of subdirectories(bucketDir)) {
      if (!SHARD_NAME.test(shard)) {
        summary.skipped.push(join(OBJECTS_DIR, dir, shard));
        continue;
      }
      const shardDir = join(bucketDir, shard);
      for (const file of readdirSync(shardDir)) {
        if (!file.endsWith(META_SUFFIX)) continue;
        const object = parseObjectMeta(readIfThere(join(shardDir, file)) ?? '');
        const expected = object && objectFileName(meta.name, object.key);
        if (!object || expected?.shard !== shard || `${expected.stem}${META_SUFFIX}` !== file) {
          summary.skipped.push(join(OBJECTS_DIR, dir, shard, file));
          continue;
        }
        store.restoreObject(meta.name, object);
        summary.objects++;
      }
    }
  }

  #loadUpload(store: FauxqsS3Store, id: string, summary: S3LoadSummary): void {
    const uploadDir = join(this.#multipartDir, id);
    const upload = isUploadId(id)
      ? parseUploadMeta(readIfThere(join(uploadDir, UPLOAD_META)) ?? '')
      : undefined;
    if (!upload || upload.uploadId !== id || !store.hasBucket(upload.bucket)) {
      summary.skipped.push(join(MULTIPART_DIR, id));
      return;
    }
    // Parts are loaded whole, as fauxqs does: CompleteMultipartUpload concatenates them.
    const partsDir = join(uploadDir, 'parts');
    for (const file of subfiles(partsDir)) {
      if (!file.endsWith(META_SUFFIX)) continue;
      const part = parsePartMeta(readIfThere(join(partsDir, file)) ?? '');
      if (!part || !isPartNumber(part.partNumber) || file !== `${part.partNumber}${META_SUFFIX}`) {
        summary.skipped.push(join(MULTIPART_DIR, id, 'parts', file));
        continue;
      }
      let body: Buffer;
      try {
        body = readFileSync(join(partsDir, `${part.partNumber}${DATA_SUFFIX}`));
      } catch {
        summary.skipped.push(join(MULTIPART_DIR, id, 'parts', file));
        continue;
      }
      upload.parts.set(part.partNumber, { ...part, body });
    }
    store.restoreMultipartUpload(upload);
    summary.multipartUploads++;
  }
}

function subfiles(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => entry.name);
  } catch (error) {
    if (isMissing(error)) return [];
    throw error;
  }
}

interface BucketMeta {
  name: string;
  type?: FauxqsBucketType;
  creationDate?: string;
}

export function bucketMeta(text: string): BucketMeta | undefined {
  let meta: unknown;
  try {
    meta = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof meta !== 'object' || meta === null) return undefined;
  const { name, type, creationDate } = meta as Record<string, unknown>;
  if (typeof name !== 'string') return undefined;
  return {
    name,
    ...(type === 'general-purpose' || type === 'directory' ? { type } : {}),
    ...(typeof creationDate === 'string' ? { creationDate } : {}),
  };
}
