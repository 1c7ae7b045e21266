/** The scheduled completeness audit's settings (../scheduled-audit.ts). */
import { IMAGE_PIPELINE_DEFAULTS, type ScheduledAuditProps } from '../image-pipeline-props.ts';
import { defined, type Problems } from './problems.ts';

export interface ResolvedAuditSettings {
  readonly intervalMinutes: number;
  readonly repair: boolean;
  readonly checkRenditions: boolean;
  readonly reservedConcurrency: number | undefined;
  readonly entry: string;
}

export function resolveAudit(
  props: ScheduledAuditProps | undefined,
  problems: Problems,
): ResolvedAuditSettings {
  const user = defined(props);
  const d = IMAGE_PIPELINE_DEFAULTS;
  const audit: ResolvedAuditSettings = {
    intervalMinutes: user.intervalMinutes ?? d.auditIntervalMinutes,
    repair: user.repair ?? d.auditRepair,
    checkRenditions: user.checkRenditions ?? d.auditCheckRenditions,
    reservedConcurrency: user.reservedConcurrency,
    entry: user.entry ?? d.auditEntry,
  };
  problems.int('audit.intervalMinutes', audit.intervalMinutes, 5, 1440);
  if (audit.reservedConcurrency !== undefined) {
    problems.int('audit.reservedConcurrency', audit.reservedConcurrency, 1, 100_000);
  }
  return audit;
}
