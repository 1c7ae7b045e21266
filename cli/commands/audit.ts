/** `pixelmill audit`: prove every upload has an outcome, and repair the gaps. */
import { repairAudit, runAudit } from '../../lib/ops/audit.ts';
import { printable } from '../../lib/ops/printable.ts';
import { recountTable } from '../../lib/ops/recount.ts';
import { parseCommandArgs, positiveInt } from '../args.ts';
import { columns } from '../format.ts';
import { writeJson, writeOut } from '../output.ts';
import { resolveTarget, targetHelp, targetOptionSpec } from '../target.ts';

export const auditHelp = `Usage: pixelmill audit [--repair] [--grace SECONDS] [--skip-renditions] [--json] [--state DIR | --stack NAME]

List the uploads bucket and the metadata table and report every object version that is not
DONE, not REJECTED, not visibly in flight and not in the dead-letter queue: lost events
(no row), stuck work (a lease or retry silent for longer than any message can be away),
FAILED rows whose message left the DLQ, and DONE rows with renditions missing.
--repair re-enqueues exactly those. Exit status 1 when gaps remain.

Options:
  --repair           re-enqueue every gap (reopening DONE rows with missing renditions), then
                     rebuild the table's counts from its rows (as status --recount)
  --grace SECONDS    uploads younger than this with no row count as in flight (default 900)
  --skip-renditions  do not list the renditions bucket to check DONE rows (faster)
  --json             machine-readable report
${targetHelp}
  -h, --help
`;

export async function auditCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    ...targetOptionSpec,
    repair: { type: 'boolean', default: false },
    grace: { type: 'string' },
    'skip-renditions': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) {
    await writeOut(auditHelp);
    return 0;
  }
  // 0 is allowed: right after a drill, every upload without a row is a gap.
  const graceSeconds = values.grace === '0' ? 0 : positiveInt('grace', values.grace, 900);
  const target = await resolveTarget(values);
  try {
    const report = await runAudit(target, {
      graceSeconds,
      checkRenditions: !values['skip-renditions'],
    });
    const repair =
      values.repair && report.gaps.length > 0 ? await repairAudit(target, report.gaps) : undefined;
    // A repair also rebuilds the table's counts (status, report): whatever drifted is settled.
    const recounted = values.repair ? await recountTable(target.table) : undefined;
    const gaps = report.gaps.map((g) => ({
      kind: g.kind,
      key: g.object.key,
      version: g.object.versionId ?? g.object.etag,
      detail: g.detail,
    }));
    if (values.json) {
      await writeJson({
        ...report,
        gaps,
        repair: repair ? { requeued: repair.requeued, skipped: repair.skipped.length } : null,
        recounted: recounted ? recounted.rows : null,
      });
    } else {
      const lines = [
        `Audit of ${printable(`s3://${target.resources.uploadsBucket}/${target.resources.uploadsPrefix}`)} in ${report.seconds} s: ${report.objects} object version(s)`,
        `  DONE ${report.done} · REJECTED ${report.rejected} · in flight ${report.inFlight} · in the DLQ ${report.inDeadLetterQueue} · gaps ${report.gaps.length}`,
      ];
      if (gaps.length > 0)
        lines.push(
          columns([
            ['GAP', 'KEY', 'DETAIL'],
            ...gaps.slice(0, 50).map((g) => [g.kind, g.key, g.detail]),
          ]),
        );
      if (gaps.length > 50) lines.push(`… and ${gaps.length - 50} more (--json for all)`);
      if (repair)
        lines.push(
          `Repaired: ${repair.requeued} re-enqueued${repair.skipped.length ? `, ${repair.skipped.length} skipped (changed meanwhile)` : ''}.`,
        );
      else if (gaps.length > 0) lines.push('Run again with --repair to re-enqueue them.');
      await writeOut(`${lines.join('\n')}\n`);
    }
    return report.gaps.length === 0 || (repair && repair.skipped.length === 0) ? 0 : 1;
  } finally {
    await target.close();
  }
}
