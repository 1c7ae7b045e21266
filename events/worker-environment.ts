/** Where the images and their rows are: given to the image worker and the audit alike. */
export const STORAGE_ENV = {
  /** The only bucket, and key prefix, whose objects the functions process. */
  uploadsBucket: 'PIXELMILL_UPLOADS_BUCKET',
  uploadsPrefix: 'PIXELMILL_UPLOADS_PREFIX',
  renditionsBucket: 'PIXELMILL_RENDITIONS_BUCKET',
  table: 'PIXELMILL_TABLE',
} as const;

/**
 * The names of the environment variables the image worker reads at cold start: the contract
 * between whatever deploys the function (infra/cdk) and the function itself (workers/env.ts).
 * `AWS_REGION` is set, and reserved, by Lambda.
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime
 */
export const WORKER_ENV = {
  ...STORAGE_ENV,
  maxReceiveCount: 'PIXELMILL_MAX_RECEIVE_COUNT',
  /**
   * The pixelmill config file's JSON (presets, limits). Optional, and so is each key: the built-in
   * presets and limits apply where it says nothing.
   */
  config: 'PIXELMILL_CONFIG',
  region: 'AWS_REGION',
  /** Set by Lambda: the function's memory, which bounds how many pixel processes it runs. */
  memoryMb: 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
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

/**
 * The scheduled audit function's environment (workers/audit.ts): the resources it joins, and what
 * it does about gaps. `PIXELMILL_CONFIG` (above) tells it which rendition config's rows count.
 */
export const AUDIT_ENV = {
  ...STORAGE_ENV,
  workQueueUrl: 'PIXELMILL_WORK_QUEUE_URL',
  deadLetterQueueUrl: 'PIXELMILL_DEAD_LETTER_QUEUE_URL',
  /** "true": re-enqueue every gap found (the AuditGaps metric still reports them). */
  repair: 'PIXELMILL_AUDIT_REPAIR',
  /** "false": skip listing the renditions bucket (very large buckets). */
  checkRenditions: 'PIXELMILL_AUDIT_CHECK_RENDITIONS',
  /** Key ranges audited at once (each holds one page of rows). */
  concurrency: 'PIXELMILL_AUDIT_CONCURRENCY',
  /**
   * `s3://bucket/prefix/`: start each pass from the newest S3 Inventory report under it instead
   * of listing the uploads bucket. Unset: list.
   */
  inventory: 'PIXELMILL_AUDIT_INVENTORY',
  config: 'PIXELMILL_CONFIG',
  region: 'AWS_REGION',
} as const;
