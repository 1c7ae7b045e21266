/**
 * The alarms' thresholds, derived from the retry span and the expected throughput unless given
 * (events/alarm-conditions.ts holds the derivation `pixelmill status` shares).
 */
import type { aws_sns as sns } from 'aws-cdk-lib';
import { backlogThresholds } from '../../../events/alarm-conditions.ts';
import type { Topology } from '../../topology.ts';
import { IMAGE_PIPELINE_DEFAULTS, type PipelineAlarmProps } from '../image-pipeline-props.ts';
import { vcpusFor, WORKER_SIZING } from '../worker-sizing.ts';
import { defined, describe, type Problems } from './problems.ts';

/** The 14 days SQS keeps a message at most. */
const FOURTEEN_DAYS = 14 * 24 * 60 * 60;

export interface ResolvedAlarmSettings {
  readonly topic: sns.ITopic | undefined;
  readonly email: string | undefined;
  readonly vcpuSecondsPerImage: number;
  readonly expectedImagesPerSecond: number;
  readonly backlogObjectiveSeconds: number;
  readonly queueDepthThreshold: number;
  readonly workerErrorsThreshold: number;
  readonly workerThrottlesThreshold: number;
  readonly durationAlarmRatio: number;
  /** durationAlarmRatio × the timeout, in milliseconds. */
  readonly durationThresholdMs: number;
}

/** What the thresholds are derived from. */
export interface AlarmBasis {
  readonly topology: Topology;
  readonly maxConcurrency: number;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
}

export function resolveAlarms(
  props: PipelineAlarmProps | undefined,
  basis: AlarmBasis,
  problems: Problems,
): ResolvedAlarmSettings {
  const user = defined(props);
  const d = IMAGE_PIPELINE_DEFAULTS;
  const max = Number.MAX_SAFE_INTEGER;
  const vcpuSecondsPerImage = user.vcpuSecondsPerImage ?? d.vcpuSecondsPerImage;
  problems.number(
    'alarms.vcpuSecondsPerImage',
    vcpuSecondsPerImage,
    0,
    WORKER_SIZING.maxTimeoutSeconds,
  );
  const expectedImagesPerSecond =
    (basis.maxConcurrency * Math.min(vcpusFor(basis.memoryMb), WORKER_SIZING.recordsAtOnce)) /
    vcpuSecondsPerImage;
  const { backlogObjectiveSeconds, queueDepthThreshold } = backlogThresholds({
    maxReceiveCount: basis.topology.maxReceiveCount,
    visibilityTimeoutSeconds: basis.topology.visibilityTimeoutSeconds,
    expectedImagesPerSecond,
    backlogObjectiveSeconds: user.backlogObjectiveSeconds,
    queueDepthThreshold: user.queueDepthThreshold,
  });
  problems.int('alarms.backlogObjectiveSeconds', backlogObjectiveSeconds, 60, FOURTEEN_DAYS);
  problems.int('alarms.queueDepthThreshold', queueDepthThreshold, 1, max);
  const workerErrorsThreshold = user.workerErrorsThreshold ?? d.workerErrorsThreshold;
  problems.int('alarms.workerErrorsThreshold', workerErrorsThreshold, 0, max);
  const workerThrottlesThreshold = user.workerThrottlesThreshold ?? d.workerThrottlesThreshold;
  problems.int('alarms.workerThrottlesThreshold', workerThrottlesThreshold, 0, max);
  const durationAlarmRatio = user.durationAlarmRatio ?? d.durationAlarmRatio;
  problems.number('alarms.durationAlarmRatio', durationAlarmRatio, 0, 1);
  const email = user.email;
  if (
    email !== undefined &&
    (typeof email !== 'string' || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email))
  ) {
    problems.add(`Expected an e-mail address for alarms.email but received ${describe(email)}`);
  }
  return {
    topic: user.topic,
    email,
    vcpuSecondsPerImage,
    expectedImagesPerSecond,
    backlogObjectiveSeconds,
    queueDepthThreshold,
    workerErrorsThreshold,
    workerThrottlesThreshold,
    durationAlarmRatio,
    durationThresholdMs: Math.round(durationAlarmRatio * basis.timeoutSeconds * 1000),
  };
}
