/**
 * The names of the environment variables the image worker reads at cold start: the contract
 * between whatever deploys the function (infra/cdk) and the function itself (workers/env.ts).
 * `AWS_REGION` is set, and reserved, by Lambda.
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime
 */
export const WORKER_ENV = {
  renditionsBucket: 'PIXELMILL_RENDITIONS_BUCKET',
  table: 'PIXELMILL_TABLE',
  maxReceiveCount: 'PIXELMILL_MAX_RECEIVE_COUNT',
  /** The pixelmill config file's JSON (presets, limits). Optional: defaults apply. */
  config: 'PIXELMILL_CONFIG',
  region: 'AWS_REGION',
} as const;
