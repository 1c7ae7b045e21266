/**
 * `pixelmill ingest` as a use case: files, directories, archives and S3 prefixes into the
 * pipeline. Archive entries are streamed one at a time (nothing is extracted to disk) and
 * uploaded with bounded concurrency, each body read once; an S3 prefix is queued as backfill
 * jobs at a rate. The checkpoint lets `--resume` skip what an interrupted run finished.
 *
 * Memory: at most `concurrency` bodies are in flight, each read whole when it fits in one part
 * (8 MiB) and in at most `partsAtOnce` parts otherwise; the reader holds one entry at a time.
 *
 * What `--resume` skips: an archive's finished entries by their index (the archive must be
 * unchanged: same size and modification time), without inflating a zip's; a directory's or a
 * file's are read again and compared with what the bucket holds (same content: not uploaded,
 * no event), because files may have been added to a directory since.
 */

import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { TaskPool } from '../async/pool.ts';
import { contentTypeOfName } from '../imaging/content-types.ts';
import { UsageError } from '../ops/errors.ts';
import type { OperatorContext } from '../ops/operator-context.ts';
import { type BackfillReport, backfill, parseS3Uri } from './backfill.ts';
import type { IngestCheckpoint, SourceTracker } from './checkpoint.ts';
import { refusalOf } from './sources/errors.ts';
import type { ArchiveLimits } from './sources/limits.ts';
import { readSource } from './sources/read-source.ts';
import type { Refusal, SourceEntry, SourceKind } from './sources/source.ts';
import { sourceKindOf, stripArchiveExtension } from './sources/source-kind.ts';
import { uploadWhileReading } from './sources/upload-while-reading.ts';

export interface IngestOptions {
  /** The key prefix every name goes under (the uploads prefix and the user's `--prefix`). */
  readonly keyPrefix: string;
  readonly concurrency: number;
  readonly checkpoint: IngestCheckpoint;
  readonly limits?: ArchiveLimits | undefined;
  /** Backfill messages per second. */
  readonly ratePerSecond: number;
  /** Backfill objects whose row is already finished too. */
  readonly includeFinished?: boolean;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: IngestProgress) => void;
}

export interface IngestProgress {
  readonly source: string;
  /** Entries uploaded, found already there, or skipped as finished (resume). */
  readonly files: number;
  /** Bytes read from entries (uploaded or compared). */
  readonly bytes: number;
  readonly refused: number;
  readonly failed: number;
  /** Of the current and finished file sources: bytes consumed and in all, for an ETA. */
  readonly sourceBytesRead: number;
  readonly sourceBytesTotal: number;
  /** Backfill messages queued. */
  readonly enqueued: number;
}

export interface IngestFailure {
  readonly source: string;
  readonly error: string;
}

export interface SourceReport {
  readonly source: string;
  readonly kind: SourceKind | 's3';
  readonly uploaded: number;
  readonly alreadyThere: number;
  /** Finished by an earlier, interrupted run (`--resume`). */
  readonly skipped: number;
  readonly bytes: number;
  readonly refused: readonly Refusal[];
  readonly failed: readonly IngestFailure[];
  readonly backfill?: BackfillReport;
  /** Finished by an earlier run of the same ingest (`--resume`): not read again. */
  readonly finishedBefore: boolean;
  readonly interrupted: boolean;
}

/** Counts to one `IngestProgress`, across the sources of one ingest. */
class Tally {
  files = 0;
  bytes = 0;
  refused = 0;
  failed = 0;
  enqueued = 0;
  sourceBytesDone = 0;
  sourceBytesTotal = 0;
}

/** A local source, sniffed and stat'ed once. */
interface LocalSource {
  readonly path: string;
  readonly kind: SourceKind;
  /** Bytes of a file or an archive; 0 for a directory (its size is not known up front). */
  readonly size: number;
  readonly mtimeMs: number;
}

/** Identity of a file source for the checkpoint: an archive resumes only if unchanged. */
function identityOf({ kind, size, mtimeMs }: LocalSource): string {
  if (kind === 'directory' || kind === 'file') return kind;
  return `${kind} size=${size} mtime=${Math.round(mtimeMs)}`;
}

async function ingestFileSource(
  ctx: OperatorContext,
  { path, kind }: LocalSource,
  tracker: SourceTracker,
  tally: Tally,
  options: IngestOptions,
  report: (source: string, read: number) => void,
): Promise<SourceReport> {
  const archive = kind !== 'directory' && kind !== 'file';
  const refused: Refusal[] = [];
  const failed: IngestFailure[] = [];
  let uploaded = 0;
  let alreadyThere = 0;
  let skipped = 0;
  let bytes = 0;
  const reader = readSource(path, {
    kind,
    keyPrefix: options.keyPrefix,
    ...(options.limits ? { limits: options.limits } : {}),
    skip: (index) => {
      if (!archive || !tracker.isDone(index)) return false;
      skipped++;
      tally.files++;
      return true;
    },
  });
  const progress = () => {
    const p = reader.progress();
    // A file source's bytes count towards the ETA; a directory's size is not known up front.
    report(path, p.totalBytes === undefined ? 0 : p.bytesRead);
  };

  const pool = new TaskPool(options.concurrency);
  const upload = async (entry: SourceEntry, body: ReturnType<SourceEntry['open']>) => {
    try {
      const r = await ctx.store.uploadStream(
        ctx.resources.uploadsBucket,
        `${options.keyPrefix}${entry.name}`,
        body,
        { contentType: contentTypeOfName(entry.name), unlessSame: true, partsAtOnce: 2 },
      );
      if (r.alreadyThere) alreadyThere++;
      else uploaded++;
      bytes += r.bytes;
      tally.files++;
      tally.bytes += r.bytes;
      tracker.markDone(entry.index);
    } catch (error) {
      const refusal = refusalOf(error);
      if (refusal) {
        refused.push(refusal);
        tally.refused++;
        tracker.markDone(entry.index);
      } else {
        failed.push({
          source: entry.source,
          error: error instanceof Error ? error.message : String(error),
        });
        tally.failed++;
      }
      // A body the upload stopped reading must still be read past before the next entry.
      if (!body.readableEnded) await entry.discard().catch(() => undefined);
    }
    progress();
  };

  let interrupted = false;
  for await (const item of reader.items) {
    if (options.signal?.aborted) {
      interrupted = true;
      break;
    }
    if (item.kind === 'refused') {
      refused.push(item.refusal);
      tally.refused++;
      tracker.markDone(item.refusal.index);
      progress();
      continue;
    }
    await uploadWhileReading(pool, item.entry, upload);
  }
  await pool.idle();
  // A source with failed entries is not finished: `--resume` goes through it again.
  if (!interrupted && !options.signal?.aborted && failed.length === 0) tracker.finish();
  const p = reader.progress();
  tally.sourceBytesDone += p.totalBytes ?? 0;
  return {
    ...emptyReport(path, kind),
    uploaded,
    alreadyThere,
    skipped,
    bytes,
    refused,
    failed,
    interrupted: interrupted || options.signal?.aborted === true,
  };
}

/** Ingests every source in order; an interrupted ingest stops after the entries in flight. */
export async function ingest(
  ctx: OperatorContext,
  sources: readonly string[],
  options: IngestOptions,
): Promise<SourceReport[]> {
  const tally = new Tally();
  const emit = (source: string, read = 0) =>
    options.onProgress?.({
      source,
      files: tally.files,
      bytes: tally.bytes,
      refused: tally.refused,
      failed: tally.failed,
      sourceBytesRead: tally.sourceBytesDone + read,
      sourceBytesTotal: tally.sourceBytesTotal,
      enqueued: tally.enqueued,
    });
  // Sizes up front, so the progress has an ETA across all the file sources; and two sources
  // must not write the same keys (photos/ and photos.zip both go under photos/).
  const roots = new Map<string, string>();
  const locals = new Map<string, LocalSource>();
  for (const source of sources) {
    if (parseS3Uri(source)) continue;
    const path = resolve(source);
    const kind = await sourceKindOf(path);
    const s = await stat(path);
    const size = s.isFile() ? s.size : 0;
    locals.set(source, { path, kind, size, mtimeMs: s.mtimeMs });
    tally.sourceBytesTotal += size;
    const root = `${kind === 'file' ? 'file' : 'tree'}:${kind === 'file' || kind === 'directory' ? basename(path) : stripArchiveExtension(basename(path))}`;
    const other = roots.get(root);
    if (other) {
      throw new UsageError(
        `${other} and ${source} would both upload under ${options.keyPrefix}${root.slice(5)}: ingest them with different --prefix values`,
      );
    }
    roots.set(root, source);
  }

  const reports: SourceReport[] = [];
  // The checkpoint follows the work at most a second behind (and exactly at the end).
  const flusher = setInterval(() => void options.checkpoint.flush().catch(() => undefined), 1000);
  try {
    for (const source of sources) {
      if (options.signal?.aborted) break;
      const s3 = parseS3Uri(source);
      if (s3) {
        const tracker = options.checkpoint.source(source, 's3');
        if (tracker.finished) {
          reports.push({ ...emptyReport(source, 's3'), finishedBefore: true });
          continue;
        }
        const before = tally.enqueued;
        const r = await backfill(ctx, s3, {
          ratePerSecond: options.ratePerSecond,
          ...(options.includeFinished ? { includeFinished: true } : {}),
          tracker,
          ...(options.signal ? { signal: options.signal } : {}),
          onProgress: (p) => {
            tally.enqueued = before + p.enqueued;
            emit(source);
          },
        });
        reports.push({ ...emptyReport(source, 's3'), backfill: r, interrupted: r.interrupted });
        await options.checkpoint.flush();
        continue;
      }
      const local = locals.get(source);
      if (!local) throw new Error(`${source} was not sized up front`);
      const tracker = options.checkpoint.source(local.path, identityOf(local));
      if (tracker.finished) {
        tally.sourceBytesDone += local.size;
        reports.push({ ...emptyReport(local.path, local.kind), finishedBefore: true });
        continue;
      }
      reports.push(await ingestFileSource(ctx, local, tracker, tally, options, emit));
      await options.checkpoint.flush();
    }
  } finally {
    clearInterval(flusher);
  }
  if (!options.signal?.aborted && reports.every((r) => !r.interrupted && r.failed.length === 0))
    options.checkpoint.markComplete();
  await options.checkpoint.flush();
  return reports;
}

/** A source's report before any work: nothing uploaded, refused or failed. */
function emptyReport(source: string, kind: SourceKind | 's3'): SourceReport {
  return {
    source,
    kind,
    uploaded: 0,
    alreadyThere: 0,
    skipped: 0,
    bytes: 0,
    refused: [],
    failed: [],
    finishedBefore: false,
    interrupted: false,
  };
}
