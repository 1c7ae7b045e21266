/**
 * `pixelmill run` as a use case: upload inputs, follow every image to its outcome, export the
 * renditions and write the manifest, each image as it settles. Whatever runs the workers (the local cloud, or Lambda on
 * AWS) is outside this function: it only talks to buckets, the queue and the table. Every input
 * ends in the manifest with its own outcome, whatever its name or type: a refused or failed input
 * is one entry, never the end of the run.
 */

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageRow } from '../../events/image-row.ts';
import { TaskPool } from '../async/pool.ts';
import type { ImageTable } from '../aws/image-table.ts';
import { rowId } from '../aws/image-table.ts';
import type { ObjectStore } from '../aws/object-store.ts';
import type { Queue } from '../aws/queue.ts';
import type { ArchiveLimits } from '../ingest/sources/limits.ts';
import type { PipelineResources } from '../ops/resources.ts';
import type { RowTally } from '../report/row-tally.ts';
import { REPORT_FILE } from '../report/write-report.ts';
import { BacklogGate, type BacklogGateOptions, DEFAULT_BACKLOG } from './backlog-gate.ts';
import { ExportPaths, ignoresCase } from './export-paths.ts';
import { exportRenditions, imageDirFor } from './export-renditions.ts';
import type { RunSource } from './inputs.ts';
import type { ManifestAnalysis, ManifestImage, ManifestRendition } from './manifest.ts';
import { type ManifestTotals, ManifestWriter } from './manifest-writer.ts';
import { type OutcomeProgress, OutcomeTracker, type TrackedImage } from './outcome-tracker.ts';
import {
  type InputOutcome,
  listExisting,
  type UploadProgress,
  uploadInputs,
} from './upload-inputs.ts';

export interface RunDeps {
  readonly store: ObjectStore;
  readonly table: ImageTable;
  readonly workQueue: Queue;
  readonly resources: PipelineResources;
  readonly configHash: string;
  /**
   * Rows finished by workers in this process (the handler's `onSettled`), if any: the run learns
   * their outcomes without reading the table. Workers elsewhere are found by sweeps.
   */
  readonly settledRows?: (
    listener: (row: ImageRow, stored?: ReadonlyMap<string, Buffer>) => void,
  ) => void;
}

export interface RunRequest {
  /** From `planInputs`: checked before any cloud is started. */
  readonly sources: readonly RunSource[];
  readonly outDir: string;
  /** Every file name a rendition can have under the config (`renditionFileNames`). */
  readonly renditionFiles: ReadonlySet<string>;
  readonly uploadConcurrency?: number;
  /** Images whose renditions are copied into the output at once. */
  readonly exportConcurrency?: number;
  readonly limits?: ArchiveLimits;
  readonly signal?: AbortSignal;
  /** How many images may wait in the work queue before uploads pause (`DEFAULT_BACKLOG`). */
  readonly backlog?: Partial<Omit<BacklogGateOptions, 'signal'>>;
  /** Counts each image's row for the report as it settles, so the report needs no scan. */
  readonly tally?: RowTally;
}

export type RunProgress =
  | ({ readonly phase: 'upload' } & UploadProgress)
  | ({ readonly phase: 'process' } & OutcomeProgress);

export interface RunResult extends ManifestTotals {
  readonly manifestFile: string;
  /** Keys of the uploaded images without an outcome when the run ended (the report's pending). */
  readonly unfinished: readonly string[];
}

export const MANIFEST_FILE = 'manifest.json';

function pickAnalysis(analysis: Readonly<Record<string, unknown>>): ManifestAnalysis {
  const text = (k: string) => (typeof analysis[k] === 'string' ? { [k]: analysis[k] } : {});
  const flag = (k: string) => (typeof analysis[k] === 'boolean' ? { [k]: analysis[k] } : {});
  const count = (k: string) => (typeof analysis[k] === 'number' ? { [k]: analysis[k] } : {});
  return {
    ...text('placeholder'),
    ...text('dominantColour'),
    ...text('phash'),
    ...text('sha256'),
    ...flag('hasAlpha'),
    ...count('frames'),
    ...flag('typeMismatch'),
  };
}

/**
 * Uploads the inputs, follows each image to its outcome, and, as each settles, copies its
 * renditions into the output and appends it to manifest.json: at no point does the run hold all
 * its images (memory stays flat from 500 to 100,000 inputs). Images are written in the order they
 * settle.
 */
export async function runJob(
  deps: RunDeps,
  request: RunRequest,
  onProgress: (progress: RunProgress) => void = () => {},
): Promise<RunResult> {
  const { resources } = deps;
  // Nothing may share a path in the output: the run's own files, and each image's renditions.
  await mkdir(request.outDir, { recursive: true });
  const manifestFile = join(request.outDir, MANIFEST_FILE);
  const manifest = new ManifestWriter(manifestFile);
  const paths = new ExportPaths([MANIFEST_FILE, REPORT_FILE], request.renditionFiles, {
    ignoreCase: await ignoresCase(request.outDir),
  });
  const exports = new TaskPool(request.exportConcurrency ?? 8);
  const tracker = new OutcomeTracker(
    { table: deps.table, workQueue: deps.workQueue },
    {
      configHash: deps.configHash,
      onSettled: (image, row, stored) => {
        request.tally?.add(row);
        return exports.run(async () =>
          manifest.add(await outcomeOf(deps, request, image, row, stored), row.updatedAt),
        );
      },
      onProgress: (p) => onProgress({ phase: 'process', ...p }),
      ...(request.signal ? { signal: request.signal } : {}),
    },
  );
  deps.settledRows?.((row, stored) => tracker.notify(row, stored));

  onProgress({ phase: 'upload', settled: 0, uploaded: 0, bytes: 0, refused: 0, failed: 0 });
  const existing = await listExisting(deps.store, resources.uploadsBucket, request.sources);
  const pendingWrites: Promise<void>[] = [];
  const gate = new BacklogGate(deps.workQueue, {
    ...DEFAULT_BACKLOG,
    ...request.backlog,
    signal: request.signal,
  });
  await uploadInputs(deps.store, resources.uploadsBucket, request.sources, {
    // Uploads wait for the queue's backlog, and for the exports: a settled image waits for its
    // turn to be written with its rendition bytes in hand, so that line must stay short too.
    ready: async () => {
      await gate.ready();
      await exports.below(EXPORTS_WAITING);
    },
    keyPrefix: resources.uploadsPrefix,
    concurrency: request.uploadConcurrency ?? 8,
    claimOutput: (name) =>
      paths.claim(imageDirFor(`${resources.uploadsPrefix}${name}`, resources.uploadsPrefix)),
    limits: request.limits,
    signal: request.signal,
    existing,
    onProgress: (p) => onProgress({ phase: 'upload', ...p }),
    onOutcome: (input) => {
      if (input.kind !== 'uploaded') {
        pendingWrites.push(exports.run(() => manifest.add(notUploaded(input))));
        return;
      }
      const image = {
        bucket: resources.uploadsBucket,
        key: input.key,
        etag: input.etag,
        versionId: input.versionId,
        size: input.size,
        source: input.source,
      };
      tracker.expect({ ...image, rowKey: tracker.rowKeyOf(image) }, input.alreadyThere);
    },
  });
  existing.clear();

  const left = await tracker.finish();
  await Promise.all(pendingWrites);
  await exports.idle();
  const unsettled = new Set(left.unsettled.map((image) => rowId(image.rowKey)));
  for (const image of [...left.unsettled, ...left.pending]) {
    await manifest.add({
      source: image.source,
      key: image.key,
      bytes: image.size,
      status: 'PENDING',
      reason: 'pending',
      message: unsettled.has(rowId(image.rowKey))
        ? 'No outcome after the work queue drained twice (enqueued again once)'
        : 'The run was interrupted before this image had an outcome',
      renditions: [],
    });
  }
  return {
    ...(await manifest.close()),
    manifestFile,
    unfinished: [...left.unsettled, ...left.pending].map((image) => image.key),
  };
}

/** Images settled and not yet exported (each holding its rendition bytes) before uploads wait. */
const EXPORTS_WAITING = 64;

/** A refused or failed input: REJECTED (`refused`) or FAILED, with no key, bytes or renditions. */
function notUploaded(input: Exclude<InputOutcome, { kind: 'uploaded' }>): ManifestImage {
  return {
    source: input.source,
    key: '',
    status: input.kind === 'refused' ? 'REJECTED' : 'FAILED',
    reason: input.reason,
    message: input.message,
    ...(input.kind === 'refused' ? { refused: true as const } : {}),
    bytes: 0,
    renditions: [],
  };
}

async function outcomeOf(
  deps: RunDeps,
  request: RunRequest,
  input: TrackedImage,
  row: ImageRow,
  stored: ReadonlyMap<string, Buffer> | undefined,
): Promise<ManifestImage> {
  const { resources } = deps;
  const base = { source: input.source, key: input.key, bytes: input.size };
  if (row.status === 'DONE') {
    let renditions: ManifestRendition[];
    try {
      renditions = await exportRenditions(
        deps.store,
        resources.renditionsBucket,
        request.outDir,
        imageDirFor(input.key, resources.uploadsPrefix),
        row.renditions ?? [],
        stored,
      );
    } catch (error) {
      // The image is DONE in the pipeline; only its copy into the output failed (a full disk,
      // a file in the way from an earlier run): this image is FAILED, the run goes on.
      return {
        ...base,
        status: 'FAILED',
        reason: 'export-failed',
        message: `DONE, but copying its renditions into the output failed: ${error instanceof Error ? error.message : String(error)}`,
        renditions: [],
      };
    }
    return {
      ...base,
      status: 'DONE',
      ...(row.width !== undefined ? { width: row.width } : {}),
      ...(row.height !== undefined ? { height: row.height } : {}),
      ...(row.format !== undefined ? { format: row.format } : {}),
      ...(row.analysis ? { analysis: pickAnalysis(row.analysis) } : {}),
      renditions,
    };
  }
  if (row.status === 'REJECTED') {
    return {
      ...base,
      status: 'REJECTED',
      reason: row.reason ?? 'unknown',
      message: row.message ?? '',
      renditions: [],
    };
  }
  return {
    ...base,
    status: 'FAILED',
    reason: row.lastError?.code ?? 'unknown',
    message: `${row.lastError?.message ?? 'failed'} (after ${row.attempts} attempts; the message is in the DLQ)`,
    renditions: [],
  };
}
