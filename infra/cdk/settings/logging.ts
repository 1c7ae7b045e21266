/** The worker's logging: the Powertools service name, level and debug sampling, and retention. */
import { type aws_logs as logs, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import {
  IMAGE_PIPELINE_DEFAULTS,
  type ImagePipelineProps,
  LOG_LEVELS,
  type WorkerLogLevel,
} from '../image-pipeline-props.ts';
import { describe, type Problems } from './problems.ts';

export interface ResolvedLogging {
  readonly serviceName: string;
  readonly logLevel: WorkerLogLevel;
  readonly debugLogSampleRate: number;
  readonly logRetention: logs.RetentionDays;
}

type LoggingProps = Partial<
  Pick<ImagePipelineProps, 'serviceName' | 'logLevel' | 'debugLogSampleRate' | 'logRetention'>
>;

/** "<stack name>/<construct path in the stack>": unique per account and region. */
function defaultServiceName(scope: IConstruct): string {
  const stack = Stack.of(scope);
  const relative = scope.node.path.slice(stack.node.path.length + 1);
  return relative ? `${stack.stackName}/${relative}` : stack.stackName;
}

export function resolveLogging(
  scope: IConstruct,
  user: LoggingProps,
  problems: Problems,
): ResolvedLogging {
  const serviceName = user.serviceName ?? defaultServiceName(scope);
  if (typeof serviceName !== 'string' || serviceName.length < 1 || serviceName.length > 255) {
    problems.add(`Expected 1-255 characters for serviceName but received ${describe(serviceName)}`);
  }
  const logLevel = user.logLevel ?? IMAGE_PIPELINE_DEFAULTS.logLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    problems.add(
      `Expected one of ${LOG_LEVELS.join(', ')} for logLevel but received ${describe(logLevel)}`,
    );
  }
  const debugLogSampleRate = user.debugLogSampleRate ?? IMAGE_PIPELINE_DEFAULTS.debugLogSampleRate;
  if (
    typeof debugLogSampleRate !== 'number' ||
    !(debugLogSampleRate >= 0 && debugLogSampleRate <= 1)
  ) {
    problems.add(
      `Expected a number from 0 to 1 for debugLogSampleRate but received ${describe(debugLogSampleRate)}`,
    );
  }
  const logRetention = user.logRetention ?? IMAGE_PIPELINE_DEFAULTS.logRetention;
  return { serviceName, logLevel, debugLogSampleRate, logRetention };
}
