/**
 * The worker's environment contract: what the Lambda function is given (the CDK stack sets these)
 * and how it is read, once, at cold start. A missing or malformed variable fails the cold start
 * with every problem named, instead of becoming `NaN` or `undefined` deep inside a batch.
 */
import { z } from 'zod';
import { STORAGE_ENV, WORKER_ENV } from '../events/worker-environment.ts';

export { WORKER_ENV };

const positiveInt = z
  .string()
  .regex(/^[1-9][0-9]*$/, 'Expected a positive integer')
  .transform(Number);

const workerEnvSchema = z.object({
  [WORKER_ENV.uploadsBucket]: z.string().min(3),
  [WORKER_ENV.uploadsPrefix]: z.string(),
  [WORKER_ENV.renditionsBucket]: z.string().min(3),
  [WORKER_ENV.table]: z.string().min(3),
  [WORKER_ENV.maxReceiveCount]: positiveInt,
  [WORKER_ENV.config]: z.string().optional(),
  [WORKER_ENV.region]: z.string().min(1),
  [WORKER_ENV.memoryMb]: positiveInt.optional(),
});

export interface WorkerEnv {
  readonly uploadsBucket: string;
  readonly uploadsPrefix: string;
  readonly renditionsBucket: string;
  readonly table: string;
  readonly maxReceiveCount: number;
  readonly configJson?: string | undefined;
  readonly region: string;
  /** Lambda's memory for the function, when running on Lambda. */
  readonly memoryMb?: number | undefined;
}

export class WorkerEnvError extends Error {
  override readonly name = 'WorkerEnvError';
}

/**
 * A Lambda function's environment read against its schema, once at cold start: every missing or
 * malformed variable named in one WorkerEnvError (`<what> environment is incomplete: …`).
 */
export function parseEnvironment<S extends z.ZodType>(
  schema: S,
  env: Readonly<Record<string, string | undefined>>,
  what: string,
): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new WorkerEnvError(`${what} environment is incomplete:\n- ${problems.join('\n- ')}`);
  }
  return parsed.data;
}

/** The buckets, prefix and table of a parsed environment (worker or audit: STORAGE_ENV). */
export function storageOf(
  e: Readonly<Record<(typeof STORAGE_ENV)[keyof typeof STORAGE_ENV], string>>,
) {
  return {
    uploadsBucket: e[STORAGE_ENV.uploadsBucket],
    uploadsPrefix: e[STORAGE_ENV.uploadsPrefix],
    renditionsBucket: e[STORAGE_ENV.renditionsBucket],
    table: e[STORAGE_ENV.table],
  };
}

export function readWorkerEnv(env: Readonly<Record<string, string | undefined>>): WorkerEnv {
  const e = parseEnvironment(workerEnvSchema, env, 'Worker');
  return {
    ...storageOf(e),
    maxReceiveCount: e[WORKER_ENV.maxReceiveCount],
    configJson: e[WORKER_ENV.config],
    region: e[WORKER_ENV.region],
    memoryMb: e[WORKER_ENV.memoryMb],
  };
}
