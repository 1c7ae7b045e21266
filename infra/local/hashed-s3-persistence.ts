/**
 * The local S3's storage, in place of fauxqs's `FileS3Persistence` (which turns keys into paths:
 * `..` climbs out of the state directory, `a/../b` and `b` share a file, a segment of 246+ bytes
 * cannot be stored). Every key S3 accepts is stored inside `<state>/s3/`, as data, never as a
 * name:
 *
 *   index.sqlite, segments/*.bin                         every object (s3-object-index.ts)
 *   objects/<bucket dir>/.bucket.json                    { name, creationDate, type }
 *   objects/<bucket dir>/.lifecycle.xml                  when the bucket has one
 *   multipart/<upload id>/.upload.json                   an upload in progress
 *   multipart/<upload id>/parts/<n>.data, <n>.meta.json
 *
 * (`s3-file-names.ts` says how bucket and upload directory names are made.) A PUT appends its
 * bytes to a segment and writes one row; a GET reads one range. Objects stored as files by the
 * layout of earlier versions (`objects/<bucket dir>/<shard>/<sha-256>.data` + `.meta.json`) move
 * into the index on start, and those of the key-as-path layout before it first move into that
 * one (s3-legacy-migration.ts).
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
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
import { installIndex } from './s3-indexed-store.ts';
import {
  BUCKET_META,
  bucketMeta,
  LIFECYCLE_FILE,
  MULTIPART_DIR,
  OBJECTS_DIR,
  readIfThere,
  subdirectories,
  subfiles,
  UPLOAD_META,
  unlinkIfThere,
  writeMakingDir,
} from './s3-layout.ts';
import { S3ObjectIndex } from './s3-object-index.ts';
import {
  parseObjectMeta,
  parsePartMeta,
  parseUploadMeta,
  partMeta,
  uploadMeta,
} from './s3-object-meta.ts';

/** What a start found on disk; `skipped` names (relative to `s3/`) files that were not loaded. */
export interface S3LoadSummary {
  buckets: number;
  objects: number;
  multipartUploads: number;
  skipped: string[];
}

export class HashedS3Persistence implements FauxqsS3Persistence {
  readonly #objectsDir: string;
  readonly #multipartDir: string;
  readonly #S3Error: FauxqsS3ErrorClass;
  readonly #index: S3ObjectIndex;

  /** `s3Dir` is `<state>/s3`; `S3Error` is fauxqs's, so that refusals reach the client as S3's. */
  constructor(s3Dir: string, S3Error: FauxqsS3ErrorClass) {
    this.#objectsDir = join(s3Dir, OBJECTS_DIR);
    this.#multipartDir = join(s3Dir, MULTIPART_DIR);
    this.#S3Error = S3Error;
    mkdirSync(this.#objectsDir, { recursive: true });
    mkdirSync(this.#multipartDir, { recursive: true });
    this.#index = new S3ObjectIndex(s3Dir);
  }

  #bucketDir(bucket: string): string {
    return join(this.#objectsDir, bucketDirName(bucket));
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
    this.#index.put(bucket, object);
  }

  readBody(bucket: string, key: string): Buffer {
    return this.#index.body(bucket, key);
  }

  deleteObject(bucket: string, key: string): void {
    this.#index.delete(bucket, key);
  }

  /** Only for directory buckets (fauxqs checks): the bytes are written again under the new key. */
  renameObject(bucket: string, sourceKey: string, destKey: string): void {
    if (sourceKey === destKey) return;
    const object = this.#index.get(bucket, sourceKey);
    if (!object) throw new Error(`no object ${bucket}/${sourceKey} to rename`);
    this.#index.put(bucket, { ...object, key: destKey, body: this.#index.body(bucket, sourceKey) });
    this.#index.delete(bucket, sourceKey);
  }

  deleteObjectsByBucket(bucket: string): void {
    this.#index.deleteBucket(bucket);
  }

  deleteAllObjects(): void {
    this.#index.clear();
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
    this.#index.clear();
    rmSync(this.#objectsDir, { recursive: true, force: true });
    mkdirSync(this.#objectsDir, { recursive: true });
    this.deleteAllMultipartUploads();
  }

  close(): void {
    this.#index.close();
  }

  // ── Start ──

  /**
   * Puts the store's objects on the index, then loads every bucket and multipart upload (objects
   * are not loaded: the index serves them). Object files of the earlier layout move into the
   * index. Files that do not belong where they are (a meta whose key hashes elsewhere, a bucket
   * directory that is not its name's, an unknown upload id) are skipped and named in the summary.
   */
  loadS3(store: FauxqsS3Store): S3LoadSummary {
    installIndex(store, this.#index, this.#S3Error);
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
      this.#importShard(meta.name, join(bucketDir, shard), join(OBJECTS_DIR, dir, shard), summary);
    }
  }

  /**
   * Moves a shard of the earlier file-per-object layout into the index: each object's row and
   * bytes are committed before its two files are removed, so an interrupted start resumes.
   */
  #importShard(bucket: string, shardDir: string, shown: string, summary: S3LoadSummary): void {
    const moved: string[] = [];
    this.#index.batch(() => {
      for (const file of readdirSync(shardDir)) {
        if (!file.endsWith(META_SUFFIX)) continue;
        const object = parseObjectMeta(readIfThere(join(shardDir, file)) ?? '');
        const expected = object && objectFileName(bucket, object.key);
        if (
          !object ||
          expected?.shard !== basename(shardDir) ||
          `${expected.stem}${META_SUFFIX}` !== file
        ) {
          summary.skipped.push(join(shown, file));
          continue;
        }
        const stem = file.slice(0, -META_SUFFIX.length);
        let body: Buffer;
        try {
          body = readFileSync(join(shardDir, `${stem}${DATA_SUFFIX}`));
        } catch {
          summary.skipped.push(join(shown, file));
          continue;
        }
        this.#index.put(bucket, { ...object, body });
        moved.push(stem);
        summary.objects++;
      }
    });
    for (const stem of moved) {
      unlinkIfThere(join(shardDir, `${stem}${META_SUFFIX}`));
      unlinkIfThere(join(shardDir, `${stem}${DATA_SUFFIX}`));
    }
    if (readdirSync(shardDir).length === 0) rmSync(shardDir, { recursive: true, force: true });
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
