/**
 * Lambda entry point for the image worker (bundled by the CDK stack). Configuration is read once,
 * at cold start; a missing variable fails the cold start naming it.
 */
import { defaultConfig, parseConfigText } from '../lib/config/parse.ts';
import { readWorkerEnv, WORKER_ENV } from './env.ts';
import { createProcessHandler } from './process-handler.ts';

const env = readWorkerEnv(process.env);

export const handler = createProcessHandler({
  target: { region: env.region },
  renditionsBucket: env.renditionsBucket,
  table: env.table,
  maxReceiveCount: env.maxReceiveCount,
  config: env.configJson ? parseConfigText(env.configJson, WORKER_ENV.config) : defaultConfig(),
});
