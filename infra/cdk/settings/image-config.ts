/**
 * The image config the worker receives (PIXELMILL_CONFIG): the user's presets, if any, and the
 * limits, always, because the function is sized for them. Both are validated with the worker's
 * own schema (events/config/schema.ts), so a preset or limit the worker would refuse at cold
 * start fails `cdk synth` instead, in the same words.
 */
import { describeIssue } from '../../../events/config/issues.ts';
import { configSchema, type Limits, limitsSchema } from '../../../events/config/schema.ts';
import type { ImagePipelineProps } from '../image-pipeline-props.ts';
import type { Problems } from './problems.ts';

export interface ResolvedImageConfig {
  /** The limits with the schema's defaults filled in (the defaults alone when they had problems). */
  readonly limits: Limits;
  /** False when the limits had problems: nothing should be derived from them. */
  readonly limitsValid: boolean;
  /** PIXELMILL_CONFIG: the limits always, the presets as given (the worker fills in defaults). */
  readonly workerConfigJson: string;
}

const DEFAULT_LIMITS: Limits = limitsSchema.parse({});

export function resolveImageConfig(
  props: Pick<ImagePipelineProps, 'presets' | 'limits'>,
  problems: Problems,
): ResolvedImageConfig {
  const { limits, limitsValid } = resolveLimits(props.limits, problems);
  if (props.presets !== undefined) checkPresetsWithSchema(props.presets, problems);
  return {
    limits,
    limitsValid,
    workerConfigJson: JSON.stringify({
      ...(props.presets !== undefined ? { presets: props.presets } : {}),
      limits,
    }),
  };
}

function resolveLimits(
  given: ImagePipelineProps['limits'],
  problems: Problems,
): Pick<ResolvedImageConfig, 'limits' | 'limitsValid'> {
  const before = problems.list.length;
  const known =
    typeof given === 'object' && given !== null ? problems.knownAtSynth(given, 'limits.') : given;
  const result = limitsSchema.safeParse(known ?? {}, { reportInput: true });
  if (!result.success) {
    for (const issue of result.error.issues) problems.add(describeIssue(issue, 'limits'));
  }
  const limitsValid = result.success && problems.list.length === before;
  return { limits: result.success ? result.data : DEFAULT_LIMITS, limitsValid };
}

/** The whole config schema checks the presets, so its cross-preset rules (unique names) apply. */
function checkPresetsWithSchema(presets: unknown, problems: Problems): void {
  const result = configSchema.safeParse({ presets }, { reportInput: true });
  if (result.success) return;
  for (const issue of result.error.issues) problems.add(describeIssue(issue, ''));
}
