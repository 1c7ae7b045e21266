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
  /**
   * The pixelmill config file's JSON (presets, limits). Optional, and so is each key: the built-in
   * presets and limits apply where it says nothing.
   */
  config: 'PIXELMILL_CONFIG',
  region: 'AWS_REGION',
} as const;

/**
 * Settings Powertools for AWS Lambda (TypeScript) reads from the environment itself; the CDK
 * construct sets them, the worker never parses them.
 * https://docs.aws.amazon.com/powertools/typescript/latest/environment-variables/
 */
export const POWERTOOLS_ENV = {
  /** The `service` key of every log line and the `service` dimension of every metric. */
  serviceName: 'POWERTOOLS_SERVICE_NAME',
  /** The minimum log level (`INFO` unless debugging). */
  logLevel: 'POWERTOOLS_LOG_LEVEL',
  /** The share of invocations (0–1) that log at DEBUG whatever the level. */
  debugSampleRate: 'POWERTOOLS_LOGGER_SAMPLE_RATE',
} as const;
