/**
 * The worker function's memory, timeout, architecture and concurrency. Memory and timeout are
 * derived from the image limits (../worker-sizing.ts) unless given, and a given value is checked
 * against what the limits need.
 */
import { aws_lambda as lambda } from 'aws-cdk-lib';
import type { Limits } from '../../../events/config/schema.ts';
import { topology } from '../../topology.ts';
import { IMAGE_PIPELINE_DEFAULTS, type ImagePipelineProps } from '../image-pipeline-props.ts';
import { minimumTimeoutSeconds, requiredMemoryMb, WORKER_SIZING } from '../worker-sizing.ts';
import type { Problems } from './problems.ts';

/** Lambda's SQS event-source MaximumConcurrency range. */
const MAX_CONCURRENCY_RANGE = { min: 2, max: 1000 };

export interface ResolvedFunctionSize {
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
}

export interface ResolvedFunctionRuntime {
  readonly architecture: lambda.Architecture;
  readonly maxConcurrency: number;
  readonly reservedConcurrency: number | undefined;
}

type SizeProps = Partial<Pick<ImagePipelineProps, 'memoryMb' | 'timeoutSeconds'>>;

export function resolveFunctionSize(
  user: SizeProps,
  limits: Limits,
  limitsValid: boolean,
  problems: Problems,
): ResolvedFunctionSize {
  const s = WORKER_SIZING;
  const memoryNeeded = limitsValid ? requiredMemoryMb(limits) : topology.workerMemoryMb;
  const timeoutNeeded = limitsValid
    ? minimumTimeoutSeconds(limits)
    : s.safetyMarginSeconds + s.minRecordSeconds;
  if (memoryNeeded > s.maxMemoryMb) {
    problems.add(
      `limits.maxPixels ${limits.maxPixels} and limits.maxBytes ${limits.maxBytes} need ${memoryNeeded} MB ` +
        `for ${s.recordsAtOnce} images at once, above Lambda's ${s.maxMemoryMb} MB`,
    );
  }
  if (timeoutNeeded > s.maxTimeoutSeconds) {
    problems.add(
      `limits.timeoutSeconds ${limits.timeoutSeconds} needs a function timeout of ${timeoutNeeded} s, ` +
        `above Lambda's ${s.maxTimeoutSeconds} s`,
    );
  }
  const memoryMb =
    user.memoryMb ?? Math.min(s.maxMemoryMb, Math.max(topology.workerMemoryMb, memoryNeeded));
  const timeoutSeconds =
    user.timeoutSeconds ??
    Math.min(s.maxTimeoutSeconds, Math.max(topology.workerTimeoutSeconds, timeoutNeeded));
  if (
    problems.int('memoryMb', memoryMb, s.minMemoryMb, s.maxMemoryMb) &&
    memoryMb < memoryNeeded &&
    memoryNeeded <= s.maxMemoryMb
  ) {
    problems.add(
      `memoryMb ${memoryMb} is below the ${memoryNeeded} MB that ${s.recordsAtOnce} images ` +
        `at limits.maxPixels ${limits.maxPixels} need at once: raise memoryMb or lower limits.maxPixels`,
    );
  }
  if (
    problems.int('timeoutSeconds', timeoutSeconds, 1, s.maxTimeoutSeconds) &&
    timeoutSeconds < timeoutNeeded &&
    timeoutNeeded <= s.maxTimeoutSeconds
  ) {
    problems.add(
      `timeoutSeconds ${timeoutSeconds} is below the ${timeoutNeeded} s one image at ` +
        `limits.timeoutSeconds ${limits.timeoutSeconds} needs (with the record loop's margins)`,
    );
  }
  return { memoryMb, timeoutSeconds };
}

type RuntimeProps = Partial<
  Pick<ImagePipelineProps, 'architecture' | 'maxConcurrency' | 'reservedConcurrency'>
>;

export function resolveFunctionRuntime(
  user: RuntimeProps,
  problems: Problems,
): ResolvedFunctionRuntime {
  const architecture = user.architecture ?? IMAGE_PIPELINE_DEFAULTS.architecture;
  if (
    architecture.name !== lambda.Architecture.X86_64.name &&
    architecture.name !== lambda.Architecture.ARM_64.name
  ) {
    problems.add(`Expected x86_64 or arm64 for architecture but received ${architecture.name}`);
  }
  const maxConcurrency = user.maxConcurrency ?? IMAGE_PIPELINE_DEFAULTS.maxConcurrency;
  problems.int(
    'maxConcurrency',
    maxConcurrency,
    MAX_CONCURRENCY_RANGE.min,
    MAX_CONCURRENCY_RANGE.max,
  );
  const reservedConcurrency = user.reservedConcurrency;
  if (
    reservedConcurrency !== undefined &&
    problems.int('reservedConcurrency', reservedConcurrency, 1, 100_000) &&
    reservedConcurrency < maxConcurrency
  ) {
    problems.add(
      `reservedConcurrency ${reservedConcurrency} is below maxConcurrency ${maxConcurrency}: the event ` +
        'source would be throttled; make it at least maxConcurrency',
    );
  }
  return { architecture, maxConcurrency, reservedConcurrency };
}
