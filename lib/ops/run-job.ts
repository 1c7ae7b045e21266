/**
 * `pixelmill run` as a use case: upload inputs, wait for every image's outcome, export the
 * renditions and build the manifest. Whatever runs the workers (the local cloud, or Lambda on
 * AWS) is outside this function: it only talks to buckets, the queue and the table. Every input
 * ends in the manifest with its own outcome, whatever its name or type: a refused or failed input
 * is one entry, never the end of the run.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { imageRowKey } from '../../events/image-row.ts';
import type { ImageTable } from '../aws/image-table.ts';
import { type RowKey, rowId } from '../aws/image-table.ts';
import type { ObjectStore } from '../aws/object-store.ts';
import type { Queue } from '../aws/queue.ts';
import {
  type AwaitedImage,
  awaitOutcomes,
  type OutcomeProgress,
  type Outcomes,
} from './await-outcomes.ts';
import { ExportPaths, ignoresCase } from './export-paths.ts';
import { exportRenditions, imageDirFor } from './export-renditions.ts';
import type { RunSource } from './inputs.ts';
import {
  type Manifest,
  type ManifestAnalysis,
  type ManifestImage,
  type ManifestRendition,
  summarise,
} from './manifest.ts';
import { mapPool } from './pool.ts';
import type { PipelineResources } from './resources.ts';
import type { ArchiveLimits } from './sources/limits.ts';
import { type InputOutcome, type UploadProgress, uploadInputs } from './upload-inputs.ts';
import { REPORT_FILE } from './write-report.ts';

export interface RunDeps {
  readonly store: ObjectStore;
  readonly table: ImageTable;
  readonly workQueue: Queue;
  readonly resources: PipelineResources;
  readonly configHash: string;
}

export interface RunRequest {
  /** From `planInputs`: checked before any cloud is started. */
  readonly sources: readonly RunSource[];
  readonly outDir: string;
  /** Every file name a rendition can have under the config (`renditionFileNames`). */
  readonly renditionFiles: ReadonlySet<string>;
  readonly uploadConcurrency?: number;
  readonly limits?: ArchiveLimits;
  readonly signal?: AbortSignal;
}

export type RunProgress =
  | ({ readonly phase: 'upload' } & UploadProgress)
  | ({ readonly phase: 'process' } & OutcomeProgress)
  | { readonly phase: 'export'; readonly total: number; readonly exported: number };

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

export async function runJob(
  deps: RunDeps,
  request: RunRequest,
  onProgress: (progress: RunProgress) => void = () => {},
): Promise<Manifest> {
  const started = performance.now();
  const { resources } = deps;

  // Nothing may share a path in the output: the run's own files, and each image's renditions.
  await mkdir(request.outDir, { recursive: true });
  const paths = new ExportPaths([MANIFEST_FILE, REPORT_FILE], request.renditionFiles, {
    ignoreCase: await ignoresCase(request.outDir),
  });
  onProgress({ phase: 'upload', settled: 0, uploaded: 0, bytes: 0, refused: 0, failed: 0 });
  const inputs = await uploadInputs(deps.store, resources.uploadsBucket, request.sources, {
    keyPrefix: resources.uploadsPrefix,
    concurrency: request.uploadConcurrency ?? 8,
    claimOutput: (name) =>
      paths.claim(imageDirFor(`${resources.uploadsPrefix}${name}`, resources.uploadsPrefix)),
    limits: request.limits,
    signal: request.signal,
    onProgress: (p) => onProgress({ phase: 'upload', ...p }),
  });

  const awaited: AwaitedImage[] = [];
  for (const input of inputs) {
    if (input.kind !== 'uploaded') continue;
    awaited.push({
      rowKey: rowKeyOf(deps, input),
      bucket: resources.uploadsBucket,
      key: input.key,
      etag: input.etag,
      versionId: input.versionId,
      size: input.size,
    });
  }
  const outcomes = await awaitOutcomes({ table: deps.table, workQueue: deps.workQueue }, awaited, {
    onProgress: (p) => onProgress({ phase: 'process', ...p }),
    ...(request.signal ? { signal: request.signal } : {}),
  });

  let exported = 0;
  const images: ManifestImage[] = await mapPool(inputs, 4, async (input) => {
    const image =
      input.kind === 'uploaded'
        ? await outcomeOf(deps, request, input, outcomes)
        : notUploaded(input);
    exported++;
    onProgress({ phase: 'export', total: inputs.length, exported });
    return image;
  });

  const manifest: Manifest = {
    summary: summarise(images, (performance.now() - started) / 1000),
    images,
  };
  await writeFile(join(request.outDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

type Uploaded = Extract<InputOutcome, { kind: 'uploaded' }>;

function rowKeyOf(deps: RunDeps, input: Uploaded): RowKey {
  return imageRowKey({
    bucket: deps.resources.uploadsBucket,
    key: input.key,
    version: input.versionId ?? input.etag,
    configHash: deps.configHash,
  });
}

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
  input: Uploaded,
  outcomes: Outcomes,
): Promise<ManifestImage> {
  const { resources } = deps;
  const id = rowId(rowKeyOf(deps, input));
  const row = outcomes.rows.get(id);
  const base = { source: input.source, key: input.key, bytes: input.size };
  if (!row) {
    return {
      ...base,
      status: 'PENDING',
      reason: 'pending',
      message: outcomes.unsettled.has(id)
        ? 'No outcome after the work queue drained twice (enqueued again once)'
        : 'The run was interrupted before this image had an outcome',
      renditions: [],
    };
  }
  if (row.status === 'DONE') {
    let renditions: ManifestRendition[];
    try {
      renditions = await exportRenditions(
        deps.store,
        resources.renditionsBucket,
        request.outDir,
        imageDirFor(input.key, resources.uploadsPrefix),
        row.renditions ?? [],
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
