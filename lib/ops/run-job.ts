/**
 * `pixelmill run` as a use case: upload inputs, wait for every image's outcome, export the
 * renditions and build the manifest. Whatever runs the workers (the local cloud, or Lambda on
 * AWS) is outside this function: it only talks to buckets, the queue and the table.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { imageRowKey } from '../../events/image-row.ts';
import type { ImageTable } from '../aws/image-table.ts';
import { rowId } from '../aws/image-table.ts';
import type { ObjectStore } from '../aws/object-store.ts';
import type { Queue } from '../aws/queue.ts';
import { awaitOutcomes, type OutcomeProgress } from './await-outcomes.ts';
import { exportRenditions, imageDirFor } from './export-renditions.ts';
import type { InputFile } from './inputs.ts';
import { type Manifest, type ManifestAnalysis, type ManifestImage, summarise } from './manifest.ts';
import { mapPool } from './pool.ts';
import type { PipelineResources } from './resources.ts';
import { uploadInputs } from './upload-inputs.ts';

export interface RunDeps {
  readonly store: ObjectStore;
  readonly table: ImageTable;
  readonly workQueue: Queue;
  readonly resources: PipelineResources;
  readonly configHash: string;
}

export interface RunRequest {
  /** From `collectInputs`: validated before any cloud is started. */
  readonly inputs: readonly InputFile[];
  readonly outDir: string;
  readonly uploadConcurrency?: number;
  readonly signal?: AbortSignal;
}

export type RunProgress =
  | {
      readonly phase: 'upload';
      readonly total: number;
      readonly uploaded: number;
      readonly bytes: number;
    }
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
  const { inputs } = request;

  let uploadedCount = 0;
  let uploadedBytes = 0;
  onProgress({ phase: 'upload', total: inputs.length, uploaded: 0, bytes: 0 });
  const uploaded = await uploadInputs(deps.store, resources.uploadsBucket, inputs, {
    concurrency: request.uploadConcurrency ?? 8,
    onUploaded: (u) => {
      uploadedCount++;
      uploadedBytes += u.size;
      onProgress({
        phase: 'upload',
        total: inputs.length,
        uploaded: uploadedCount,
        bytes: uploadedBytes,
      });
    },
  });

  const awaited = uploaded.map((u) => ({
    rowKey: imageRowKey({
      bucket: resources.uploadsBucket,
      key: u.input.key,
      version: u.versionId ?? u.etag,
      configHash: deps.configHash,
    }),
    bucket: resources.uploadsBucket,
    key: u.input.key,
    etag: u.etag,
    versionId: u.versionId,
    size: u.size,
  }));
  const outcomes = await awaitOutcomes({ table: deps.table, workQueue: deps.workQueue }, awaited, {
    onProgress: (p) => onProgress({ phase: 'process', ...p }),
    ...(request.signal ? { signal: request.signal } : {}),
  });

  await mkdir(request.outDir, { recursive: true });
  let exported = 0;
  const images: ManifestImage[] = await mapPool(uploaded, 4, async (u, index) => {
    const id = rowId(awaited[index]?.rowKey ?? { pk: '', sk: '' });
    const row = outcomes.rows.get(id);
    const base = { source: u.input.source, key: u.input.key, bytes: u.size };
    let image: ManifestImage;
    if (!row) {
      image = {
        ...base,
        status: 'PENDING',
        reason: 'pending',
        message: outcomes.unsettled.has(id)
          ? 'No outcome after the work queue drained twice (enqueued again once)'
          : 'The run was interrupted before this image had an outcome',
        renditions: [],
      };
    } else if (row.status === 'DONE') {
      const renditions = await exportRenditions(
        deps.store,
        resources.renditionsBucket,
        request.outDir,
        imageDirFor(u.input.key, resources.uploadsPrefix),
        row.renditions ?? [],
      );
      image = {
        ...base,
        status: 'DONE',
        ...(row.width !== undefined ? { width: row.width } : {}),
        ...(row.height !== undefined ? { height: row.height } : {}),
        ...(row.format !== undefined ? { format: row.format } : {}),
        ...(row.analysis ? { analysis: pickAnalysis(row.analysis) } : {}),
        renditions,
      };
    } else if (row.status === 'REJECTED') {
      image = {
        ...base,
        status: 'REJECTED',
        reason: row.reason ?? 'unknown',
        message: row.message ?? '',
        renditions: [],
      };
    } else {
      image = {
        ...base,
        status: 'FAILED',
        reason: row.lastError?.code ?? 'unknown',
        message: `${row.lastError?.message ?? 'failed'} (after ${row.attempts} attempts; the message is in the DLQ)`,
        renditions: [],
      };
    }
    exported++;
    onProgress({ phase: 'export', total: uploaded.length, exported });
    return image;
  });

  const manifest: Manifest = {
    summary: summarise(images, (performance.now() - started) / 1000),
    images,
  };
  await writeFile(join(request.outDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
