/**
 * The image worker's environment, as ImageWorker's function gets it: the names of its buckets and
 * table, its queue settings, its config and its Powertools settings (events/worker-environment.ts
 * names the variables the worker reads). Together they must fit Lambda's 4 KB.
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-limits
 */
import { POWERTOOLS_ENV, WORKER_ENV } from '../../events/worker-environment.ts';
import type { Topology } from '../topology.ts';
import type { WorkerLogLevel } from './image-pipeline-props.ts';

/** Lambda's limit on all of a function's environment variables together (keys and values). */
export const LAMBDA_ENVIRONMENT_LIMIT_BYTES = 4096;
/** The longest a physical name behind a token can be: S3 bucket names, DynamoDB table names. */
const MAX_BUCKET_NAME = 63;
const MAX_TABLE_NAME = 255;

/** What the environment is made from (ImagePipelineSettings has all of it). */
export interface WorkerEnvironmentSettings {
  readonly topology: Topology;
  /** PIXELMILL_CONFIG: the limits always (the function is sized for them), presets if given. */
  readonly workerConfigJson: string;
  readonly serviceName: string;
  readonly logLevel: WorkerLogLevel;
  readonly debugLogSampleRate: number;
}

export interface WorkerResourceNames {
  readonly uploadsBucket: string;
  readonly renditionsBucket: string;
  readonly table: string;
}

export function workerEnvironment(
  settings: WorkerEnvironmentSettings,
  names: WorkerResourceNames,
): Record<string, string> {
  return {
    [WORKER_ENV.uploadsBucket]: names.uploadsBucket,
    [WORKER_ENV.uploadsPrefix]: settings.topology.uploadsPrefix,
    [WORKER_ENV.renditionsBucket]: names.renditionsBucket,
    [WORKER_ENV.table]: names.table,
    [WORKER_ENV.maxReceiveCount]: String(settings.topology.maxReceiveCount),
    [WORKER_ENV.config]: settings.workerConfigJson,
    [POWERTOOLS_ENV.serviceName]: settings.serviceName,
    [POWERTOOLS_ENV.logLevel]: settings.logLevel,
    [POWERTOOLS_ENV.debugSampleRate]: String(settings.debugLogSampleRate),
    // glibc's per-thread malloc arenas let repeated image decodes fragment the heap of a warm
    // function; two arenas keep its memory flat (bench/hostile-stress.ts measures it).
    MALLOC_ARENA_MAX: '2',
  };
}

/** Bytes of an environment (keys and values), the physical names behind tokens at their longest. */
export function environmentSizeBytes(env: Record<string, string>): number {
  let total = 0;
  for (const [key, value] of Object.entries(env)) {
    const longest =
      key === WORKER_ENV.renditionsBucket || key === WORKER_ENV.uploadsBucket
        ? MAX_BUCKET_NAME
        : key === WORKER_ENV.table
          ? MAX_TABLE_NAME
          : Buffer.byteLength(value);
    total += Buffer.byteLength(key) + longest;
  }
  return total;
}

/** The problem, if the environment these settings make would not fit Lambda's 4 KB. */
export function environmentSizeProblem(settings: WorkerEnvironmentSettings): string | undefined {
  const names = { uploadsBucket: '', renditionsBucket: '', table: '' };
  const bytes = environmentSizeBytes(workerEnvironment(settings, names));
  if (bytes <= LAMBDA_ENVIRONMENT_LIMIT_BYTES) return undefined;
  return (
    `The worker's environment would take ${bytes} bytes, over Lambda's ` +
    `${LAMBDA_ENVIRONMENT_LIMIT_BYTES}; the presets' JSON takes ` +
    `${Buffer.byteLength(settings.workerConfigJson)}: use fewer or shorter presets`
  );
}
