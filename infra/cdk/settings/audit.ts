/** The scheduled completeness audit's settings (../scheduled-audit.ts). */
import {
  type AuditInventoryProps,
  IMAGE_PIPELINE_DEFAULTS,
  type ScheduledAuditProps,
} from '../image-pipeline-props.ts';
import { defined, type Problems } from './problems.ts';

export interface ResolvedAuditSettings {
  readonly intervalMinutes: number;
  readonly repair: boolean;
  readonly checkRenditions: boolean;
  readonly reservedConcurrency: number | undefined;
  readonly entry: string;
  readonly inventory: AuditInventoryProps | undefined;
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
    inventory: user.inventory,
  };
  if (audit.inventory) {
    // S3 writes reports under `<prefix>/<source bucket>/<config id>/`: a prefix ending in `/`
    // gets a doubled slash the manifest then does not name (a known S3 Inventory pitfall).
    const known = problems.knownAtSynth(
      { configId: audit.inventory.configId, destinationPrefix: audit.inventory.destinationPrefix },
      'audit.inventory.',
    );
    if (known.configId !== undefined && !/^[\w.-]{1,64}$/.test(known.configId))
      problems.add(
        `Expected an inventory configuration id (letters, digits, - _ .) for audit.inventory.configId but received ${JSON.stringify(known.configId)}`,
      );
    const prefix = known.destinationPrefix;
    if (prefix !== undefined && (prefix === '' || prefix.startsWith('/') || prefix.endsWith('/')))
      problems.add(
        `Expected a prefix without a leading or trailing "/" for audit.inventory.destinationPrefix but received ${JSON.stringify(prefix)}`,
      );
  }
  problems.int('audit.intervalMinutes', audit.intervalMinutes, 5, 1440);
  if (audit.reservedConcurrency !== undefined) {
    problems.int('audit.reservedConcurrency', audit.reservedConcurrency, 1, 100_000);
  }
  return audit;
}
