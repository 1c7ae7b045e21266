/**
 * Moves a state directory's S3 data from fauxqs's own layout (`s3/buckets/<bucket>/objects/<key
 * as a path>.data` + `.meta.json`, `s3/_multipart/<id>/`) into the hashed layout of
 * `hashed-s3-persistence.ts`. Runs on start, before anything is loaded or served.
 *
 * - Each object is identified by its meta file's `key`, never by its path (the old layout put
 *   `a/../b` and `b` in one file; its meta names the key that wrote last). Its data file is
 *   renamed into place, then its meta file: both renames stay inside `s3/`, cost no copy, and
 *   leave the meta file's JSON unchanged (the formats are the same).
 * - Resumable: an interrupted run leaves each object either still in the old tree (moved next
 *   time), or with its data moved and its meta not (the next run sees the data in place and moves
 *   the meta). Buckets are recorded in the new tree first and their old `.bucket.json` removed
 *   last. The old tree is only read through directories (symlinks are not followed), so nothing
 *   outside `s3/` is read or moved.
 * - When everything has moved, the old tree (empty directories by then) is removed. Whatever
 *   could not be moved (a meta file that is not JSON, a data file without a meta, an object with
 *   no data) is kept, as found, under `s3/unmigrated/<time>/` and counted in the report: the old
 *   store never served it either, so it is not loaded, but neither is it deleted.
 * - Objects the old layout wrote outside the state directory (keys with `..`) are not looked for:
 *   finding them would mean following keys out of `s3/`, which is the hole being closed.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { bucketDirName, DATA_SUFFIX, isUploadId, META_SUFFIX } from './s3-file-names.ts';
import {
  BUCKET_META,
  bucketMeta,
  isMissing,
  LIFECYCLE_FILE,
  MULTIPART_DIR,
  OBJECTS_DIR,
  objectPaths,
  UPLOAD_META,
  writeMakingDir,
} from './s3-layout.ts';
import { parseObjectMeta } from './s3-object-meta.ts';

export const LEGACY_BUCKETS_DIR = 'buckets';
export const LEGACY_MULTIPART_DIR = '_multipart';
export const UNMIGRATED_DIR = 'unmigrated';

export interface LegacyMigration {
  buckets: number;
  objects: number;
  multipartUploads: number;
  /** Files left where they were: moved, as found, to `unmigratedDir`. */
  leftBehind: number;
  unmigratedDir?: string;
}

/** How many entries other than directories are under `dir` (links are counted, not followed). */
function countFiles(dir: string): number {
  let n = 0;
  const stack = [dir];
  for (let current = stack.pop(); current !== undefined; current = stack.pop()) {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      if (entry.isDirectory()) stack.push(join(current, entry.name));
      else n++;
    }
  }
  return n;
}

/** Renames `from` to `to`; false when `from` is not there. */
function moveIfThere(from: string, to: string): boolean {
  try {
    renameSync(from, to);
    return true;
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
}

function migrateBucket(oldBucketDir: string, objectsDir: string, report: LegacyMigration): void {
  const metaPath = join(oldBucketDir, BUCKET_META);
  let metaText: string;
  try {
    metaText = readFileSync(metaPath, 'utf8');
  } catch {
    return; // Not a bucket fauxqs made: left behind.
  }
  const meta = bucketMeta(metaText);
  if (!meta) return;
  const bucketDir = join(objectsDir, bucketDirName(meta.name));
  writeMakingDir(join(bucketDir, BUCKET_META), metaText);
  moveIfThere(join(oldBucketDir, LIFECYCLE_FILE), join(bucketDir, LIFECYCLE_FILE));
  const oldObjects = join(oldBucketDir, 'objects');
  const made = new Set<string>();
  // One directory at a time, each listed once before its files move: memory stays bounded by
  // the largest directory, not the bucket.
  const stack = existsSync(oldObjects) ? [oldObjects] : [];
  for (let dir = stack.pop(); dir !== undefined; dir = stack.pop()) {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) stack.push(join(dir, entry.name));
      // Links are never followed: their targets may be anywhere.
      if (!entry.isFile() || !entry.name.endsWith(META_SUFFIX)) continue;
      const oldMeta = join(dir, entry.name);
      const object = parseObjectMeta(readFileSync(oldMeta, 'utf8'));
      if (!object) continue;
      const oldData = join(dir, entry.name.slice(0, -META_SUFFIX.length) + DATA_SUFFIX);
      const to = objectPaths(objectsDir, meta.name, object.key);
      if (!made.has(to.dir)) {
        mkdirSync(to.dir, { recursive: true });
        made.add(to.dir);
      }
      // No data in either place: the object was already broken; its meta stays behind.
      if (!moveIfThere(oldData, to.data) && !existsSync(to.data)) continue;
      renameSync(oldMeta, to.meta);
      report.objects++;
    }
  }
  rmSync(metaPath, { force: true });
  report.buckets++;
}

function migrateUploads(oldDir: string, multipartDir: string, report: LegacyMigration): void {
  mkdirSync(multipartDir, { recursive: true });
  for (const entry of readdirSync(oldDir, { withFileTypes: true })) {
    if (!entry.isDirectory() || !isUploadId(entry.name)) continue;
    const from = join(oldDir, entry.name);
    const to = join(multipartDir, entry.name);
    if (!existsSync(join(from, UPLOAD_META)) || existsSync(to)) continue;
    renameSync(from, to);
    report.multipartUploads++;
  }
}

/** Puts what is left of an old tree aside, or removes it when only directories are left. */
function retire(oldDir: string, s3Dir: string, stamp: string, report: LegacyMigration): void {
  const left = countFiles(oldDir);
  if (left === 0) {
    rmSync(oldDir, { recursive: true, force: true });
    return;
  }
  const aside = join(s3Dir, UNMIGRATED_DIR, stamp);
  mkdirSync(aside, { recursive: true });
  renameSync(oldDir, join(aside, oldDir.slice(s3Dir.length + 1)));
  report.leftBehind += left;
  report.unmigratedDir = aside;
}

/** Migrates `<s3Dir>` if it holds the old layout; undefined when there was nothing to migrate. */
export function migrateLegacyS3Layout(
  s3Dir: string,
  now = new Date(),
): LegacyMigration | undefined {
  const oldBuckets = join(s3Dir, LEGACY_BUCKETS_DIR);
  const oldUploads = join(s3Dir, LEGACY_MULTIPART_DIR);
  const hasBuckets = existsSync(oldBuckets);
  const hasUploads = existsSync(oldUploads);
  if (!hasBuckets && !hasUploads) return undefined;
  const report: LegacyMigration = { buckets: 0, objects: 0, multipartUploads: 0, leftBehind: 0 };
  const stamp = now.toISOString().replaceAll(':', '-');
  if (hasBuckets) {
    const objectsDir = join(s3Dir, OBJECTS_DIR);
    for (const entry of readdirSync(oldBuckets, { withFileTypes: true })) {
      if (entry.isDirectory()) migrateBucket(join(oldBuckets, entry.name), objectsDir, report);
    }
    retire(oldBuckets, s3Dir, stamp, report);
  }
  if (hasUploads) {
    migrateUploads(oldUploads, join(s3Dir, MULTIPART_DIR), report);
    retire(oldUploads, s3Dir, stamp, report);
  }
  return report;
}
