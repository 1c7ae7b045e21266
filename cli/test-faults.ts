/**
 * Fault injection for the chaos and end-to-end tests, read from PIXELMILL_FAULTS (JSON) by
 * `pixelmill worker` and `pixelmill run` only. Nothing in production sets it. It can fail a share
 * of SDK calls and crash the worker process with SIGKILL: after its k-th record, or (at a rate)
 * between the last rendition write and the DONE write — both through SDK middleware
 * (fault-injection.ts), so the worker's own code has no hook for them.
 */
import { z } from 'zod';
import type { RetryBackoff } from '../events/retry-schedule.ts';
import type { ClientMiddleware } from '../lib/aws/target.ts';
import { UsageError } from '../lib/ops/errors.ts';
import { allMiddleware, beforeStatusWrite, faultMiddleware } from './fault-injection.ts';

const faultsSchema = z.strictObject({
  seed: z.int().optional(),
  rules: z
    .array(
      z.strictObject({
        service: z.enum(['s3', 'sqs', 'dynamodb']),
        commands: z.array(z.string()).optional(),
        rate: z.number().min(0).max(1),
        keyPrefix: z.string().optional(),
        error: z.enum(['throttle', 'server-error']),
      }),
    )
    .default([]),
  crashAfterRecords: z.int().min(1).optional(),
  crashBeforeDoneRate: z.number().min(0).max(1).optional(),
  /** Retry backoff for failed records (tests want seconds, not production's 10 s, 20 s, 40 s…). */
  backoff: z
    .strictObject({
      baseSeconds: z.int().min(1),
      factor: z.number().min(1),
      maxSeconds: z.int().min(1),
    })
    .optional(),
});

export const FAULTS_ENV = 'PIXELMILL_FAULTS';

export interface TestFaults {
  /** For the worker's AwsTarget: the failures and the crash before DONE. */
  readonly addMiddleware: ClientMiddleware | undefined;
  /** Call once per finished record (crashes after the k-th). */
  readonly onRecord: () => void;
  readonly backoff: RetryBackoff | undefined;
}

function crash(): never {
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable: SIGKILL');
}

export function readTestFaults(value: string | undefined): TestFaults | undefined {
  if (!value) return undefined;
  let parsed: z.infer<typeof faultsSchema>;
  try {
    parsed = faultsSchema.parse(JSON.parse(value));
  } catch (error) {
    throw new UsageError(
      `Invalid ${FAULTS_ENV}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  let records = 0;
  let seed = (parsed.seed ?? Date.now()) >>> 0;
  const random = () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 4294967296;
  };
  return {
    addMiddleware: allMiddleware(
      parsed.rules.length > 0
        ? faultMiddleware({
            rules: parsed.rules,
            ...(parsed.seed !== undefined ? { seed: parsed.seed } : {}),
          })
        : undefined,
      parsed.crashBeforeDoneRate !== undefined
        ? beforeStatusWrite('DONE', () => {
            if (random() < (parsed.crashBeforeDoneRate ?? 0)) crash();
          })
        : undefined,
    ),
    backoff: parsed.backoff,
    onRecord: () => {
      records++;
      if (parsed.crashAfterRecords !== undefined && records >= parsed.crashAfterRecords) crash();
    },
  };
}
