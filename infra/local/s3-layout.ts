/**
 * The local S3's directories under `<state>/s3/` (hashed-s3-persistence.ts describes them), the
 * bucket's meta file, and the few file operations the persistence and the legacy migration share:
 * each treats a missing file or directory as empty rather than as an error.
 */
import type { Dirent } from 'node:fs';
import { mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { FauxqsBucketType } from './fauxqs-internals.ts';
import { bucketDirName, DATA_SUFFIX, META_SUFFIX, objectFileName } from './s3-file-names.ts';
import { readMeta } from './s3-object-meta.ts';

export const OBJECTS_DIR = 'objects';
export const MULTIPART_DIR = 'multipart';
export const BUCKET_META = '.bucket.json';
export const LIFECYCLE_FILE = '.lifecycle.xml';
export const UPLOAD_META = '.upload.json';

export interface ObjectPaths {
  readonly dir: string;
  readonly data: string;
  readonly meta: string;
}

export function isMissing(error: unknown): boolean {
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

export function unlinkIfThere(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if (!isMissing(error)) throw error;
  }
}

export function readIfThere(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The names of the entries of `dir` that `keep` takes; none when `dir` does not exist. */
function namesIn(dir: string, keep: (entry: Dirent) => boolean): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter(keep)
      .map((entry) => entry.name);
  } catch (error) {
    if (isMissing(error)) return [];
    throw error;
  }
}

export function subdirectories(dir: string): string[] {
  return namesIn(dir, (entry) => entry.isDirectory());
}

/** Where an object of the hashed layout lives, under `<s3>/objects`. */
export function objectPaths(objectsDir: string, bucket: string, key: string): ObjectPaths {
  const { shard, stem } = objectFileName(bucket, key);
  const dir = join(objectsDir, bucketDirName(bucket), shard);
  return { dir, data: join(dir, stem + DATA_SUFFIX), meta: join(dir, stem + META_SUFFIX) };
}

export function subfiles(dir: string): string[] {
  return namesIn(dir, (entry) => entry.isFile());
}

interface BucketMeta {
  name: string;
  type?: FauxqsBucketType;
  creationDate?: string;
}

export function bucketMeta(text: string): BucketMeta | undefined {
  const meta = readMeta(text, { name: 'string' });
  if (!meta) return undefined;
  const { name, type, creationDate } = meta;
  return {
    name,
    ...(type === 'general-purpose' || type === 'directory' ? { type } : {}),
    ...(typeof creationDate === 'string' ? { creationDate } : {}),
  };
}
