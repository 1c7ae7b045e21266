/**
 * Lambda entry point for the image worker (bundled by the CDK construct). Configuration is read
 * once, at cold start; a missing variable or an invalid config fails the cold start naming it.
 * Powertools reads its own settings (POWERTOOLS_SERVICE_NAME, POWERTOOLS_LOG_LEVEL,
 * POWERTOOLS_LOGGER_SAMPLE_RATE) from the environment.
 */
import { availableParallelism } from 'node:os';
import { readWorkerEnv } from './env.ts';
import { createProcessHandler } from './process-handler.ts';
import { readWorkerConfig } from './worker-config.ts';

const env = readWorkerEnv(process.env);
const config = readWorkerConfig(env.configJson);

/**
 * Pixel processes: one per core, as many as the function's memory holds at the per-image memory
 * cap beside this process (~256 MB), at least one. 2,048 MB and the 1,024 MiB default cap: one
 * (Lambda gives 2,048 MB 1.16 vCPU, which one pixel process and this one's I/O use up).
 */
const BESIDE_MB = 256;
const processes = Math.max(
  1,
  Math.min(
    availableParallelism(),
    Math.floor(((env.memoryMb ?? 0) - BESIDE_MB) / config.limits.maxMemoryMb),
  ),
);

export const handler = createProcessHandler({
  target: { region: env.region },
  uploadsBucket: env.uploadsBucket,
  uploadsPrefix: env.uploadsPrefix,
  renditionsBucket: env.renditionsBucket,
  table: env.table,
  maxReceiveCount: env.maxReceiveCount,
  config,
  // Bundled beside this file by the CDK construct (infra/cdk/worker-bundling.ts).
  pixels: { processes, childModule: new URL('./pixel-child.mjs', import.meta.url) },
});
