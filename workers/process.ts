/**
 * Lambda entry point for the image worker (bundled by the CDK construct). Configuration is read
 * once, at cold start; a missing variable or an invalid config fails the cold start naming it.
 * Powertools reads its own settings (POWERTOOLS_SERVICE_NAME, POWERTOOLS_LOG_LEVEL,
 * POWERTOOLS_LOGGER_SAMPLE_RATE) from the environment.
 */
import { readWorkerEnv } from './env.ts';
import { createProcessHandler } from './process-handler.ts';
import { readWorkerConfig } from './worker-config.ts';

const env = readWorkerEnv(process.env);

export const handler = createProcessHandler({
  target: { region: env.region },
  renditionsBucket: env.renditionsBucket,
  table: env.table,
  maxReceiveCount: env.maxReceiveCount,
  config: readWorkerConfig(env.configJson),
});
