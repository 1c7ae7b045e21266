/**
 * Merges and validates the ImagePipeline's props: each resolver below merges defaults ← the
 * user's props ← derived values for one concern and adds what is wrong to one list of problems,
 * so one synth shows them all (ImagePipelinePropsError). Later resolvers get the earlier ones'
 * results (the function's size from the limits, the visibility timeout from the function's
 * timeout, the alarm thresholds from both), falling back to defaults where those had problems.
 */
import type {
  aws_lambda as lambda,
  aws_logs as logs,
  RemovalPolicy,
  aws_s3 as s3,
} from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { Limits } from '../../../events/config/schema.ts';
import type { Topology } from '../../topology.ts';
import {
  IMAGE_PIPELINE_DEFAULTS,
  type ImagePipelineProps,
  ImagePipelinePropsError,
  type PresetJson,
  type WorkerLogLevel,
} from '../image-pipeline-props.ts';
import { environmentSizeProblem } from '../worker-environment.ts';
import { type ResolvedAlarmSettings, resolveAlarms } from './alarms.ts';
import { type ResolvedAuditSettings, resolveAudit } from './audit.ts';
import { resolveFunctionRuntime, resolveFunctionSize } from './function-size.ts';
import { resolveImageConfig } from './image-config.ts';
import { resolveLogging } from './logging.ts';
import { defined, Problems } from './problems.ts';
import { queueOverrides, resolveTopology } from './queues.ts';
import { resolveStorage } from './storage.ts';

export interface ImagePipelineSettings {
  /** The merged queue, batching and naming settings, visibility timeout derived. */
  readonly topology: Topology;
  readonly uploadsBucket: s3.IBucket | undefined;
  readonly architecture: lambda.Architecture;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  readonly maxConcurrency: number;
  readonly reservedConcurrency: number | undefined;
  readonly limits: Limits;
  readonly presets: readonly PresetJson[] | undefined;
  /** PIXELMILL_CONFIG: the limits always (the function is sized for them), presets if given. */
  readonly workerConfigJson: string;
  readonly serviceName: string;
  readonly logLevel: WorkerLogLevel;
  readonly debugLogSampleRate: number;
  readonly logRetention: logs.RetentionDays;
  readonly noncurrentVersionExpirationDays: number;
  readonly removalPolicy: RemovalPolicy;
  readonly workerEntry: string;
  readonly alarms: ResolvedAlarmSettings;
  readonly audit: ResolvedAuditSettings;
}

/**
 * Merges and validates the props of the ImagePipeline at `scope`. Throws ImagePipelinePropsError
 * listing every problem, so one synth shows them all.
 */
export function resolveImagePipelineSettings(
  scope: IConstruct,
  props: ImagePipelineProps,
): ImagePipelineSettings {
  const problems = new Problems();
  const user = defined(props);

  const overrides = queueOverrides(props, problems);
  const imageConfig = resolveImageConfig(props, problems);
  const size = resolveFunctionSize(user, imageConfig.limits, imageConfig.limitsValid, problems);
  const topology = resolveTopology(overrides, size, problems);
  const runtime = resolveFunctionRuntime(user, problems);
  const logging = resolveLogging(scope, user, problems);
  const storage = resolveStorage(props, problems);
  const sizeProblem = environmentSizeProblem({
    topology,
    workerConfigJson: imageConfig.workerConfigJson,
    ...logging,
  });
  if (sizeProblem) problems.add(sizeProblem);
  const alarms = resolveAlarms(props.alarms, { topology, ...runtime, ...size }, problems);
  const audit = resolveAudit(props.audit, problems);

  if (problems.list.length > 0) throw new ImagePipelinePropsError(scope.node.path, problems.list);

  return {
    topology,
    ...storage,
    ...runtime,
    ...size,
    limits: imageConfig.limits,
    presets: props.presets,
    workerConfigJson: imageConfig.workerConfigJson,
    ...logging,
    workerEntry: user.workerEntry ?? IMAGE_PIPELINE_DEFAULTS.workerEntry,
    alarms,
    audit,
  };
}
