/** What `pixelmill reprocess` prints for a person: the plan, the outcome and the prune. */

import { printable } from '../lib/ops/printable.ts';
import type { ReprocessPlan } from '../lib/ops/reprocess-plan.ts';
import type { PruneReport } from '../lib/ops/reprocess-prune.ts';
import { columns } from './format.ts';

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en')} ${n === 1 ? one : many}`;
}

function cpuLine(plan: ReprocessPlan): string {
  const { cpu } = plan;
  if (plan.toReprocess === 0) return 'none';
  if (cpu.seconds === null || cpu.fullSeconds === null)
    return 'unknown (no DONE row under the prefix recorded its CPU time)';
  return (
    `${cpu.seconds} s (${cpu.fullSeconds} s if every preset is rendered again): each image's ` +
    `recorded CPU × presets to render ÷ presets it rendered` +
    (cpu.averagedImages > 0
      ? `; ${plural(cpu.averagedImages, 'image')} with no measured row at the mean per preset`
      : '')
  );
}

export function planText(plan: ReprocessPlan, config: string): string {
  const lines = [
    `Reprocess plan: config ${plan.configHash} (${config}), ${plural(plan.versions, 'object version')} under ${printable(plan.prefix)}`,
    `  to reprocess   ${plural(plan.toReprocess, 'image')}` +
      (plan.rowOnly > 0 ? ` (${plan.rowOnly} lack no preset, only their row)` : '') +
      (plan.rejectedBefore > 0
        ? `, ${plan.rejectedBefore} REJECTED so far (likely again: counted below all the same)`
        : ''),
    `  up to date     ${plural(plan.upToDate, 'image')}`,
    ...(plan.inProgress > 0 ? [`  in progress    ${plural(plan.inProgress, 'image')}`] : []),
    `  to render      ${plural(plan.renditions, 'rendition')}`,
    `  estimated CPU  ${cpuLine(plan)}`,
    `  enqueueing     ${plural(plan.toReprocess, 'message')} at ${plan.ratePerSecond}/s: ${plan.enqueueSeconds} s`,
  ];
  const table = columns([
    ['PRESET', 'HASH', 'IMAGES', 'RENDITIONS'],
    ...plan.presets.map((p) => [p.name, p.hash, String(p.images), String(p.renditions)]),
  ]);
  return `${lines.join('\n')}\n${table.replace(/^/gm, '  ')}\n`;
}

export function pruneText(report: PruneReport): string {
  const verb = report.dryRun ? 'would delete' : 'deleted';
  const mb = (report.deletedBytes / 1_048_576).toFixed(1);
  return (
    `Prune${report.dryRun ? ' (dry run, nothing changed)' : ''}: ${verb} ` +
    `${plural(report.deletedObjects, 'rendition object')} (${mb} MB) and ` +
    `${plural(report.deletedRows, 'row')} of other configs, from ${plural(report.prunedVersions, 'object version')}` +
    (report.skippedVersions > 0
      ? `; ${plural(report.skippedVersions, 'version')} left whole (not up to date yet, or in a worker's hands: prune again once the queue drained)`
      : '') +
    (report.recounted ? '; the table’s counts rebuilt' : '') +
    '.\n' +
    report.examples.map((k) => `  ${printable(k)}\n`).join('')
  );
}
