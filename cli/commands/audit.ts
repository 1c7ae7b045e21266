/** `pixelmill audit`: prove every upload has an outcome, and repair the gaps. */
import { runAudit } from '../../lib/ops/audit.ts';
import { tableCheckpointStore } from '../../lib/ops/audit-checkpoint.ts';
import { readInventoryManifest } from '../../lib/ops/inventory-manifest.ts';
import { printable } from '../../lib/ops/printable.ts';
import { recountTable } from '../../lib/ops/recount.ts';
import {
  helpOption,
  type OptionSpec,
  optionsHelp,
  parseCommandArgs,
  positiveInt,
} from '../args.ts';
import { columns } from '../format.ts';
import { writeJson, writeOut } from '../output.ts';
import { resolveTarget, targetOptionSpec } from '../target.ts';

export const options = {
  repair: {
    type: 'boolean',
    default: false,
    help: [
      're-enqueue every gap (reopening DONE rows with missing renditions),',
      "then rebuild the table's counts from its rows (as status --recount)",
    ],
  },
  grace: {
    type: 'string',
    value: 'SECONDS',
    help: 'uploads younger than this with no row count as in flight (default 900)',
  },
  'skip-renditions': {
    type: 'boolean',
    default: false,
    help: "do not check that DONE rows' renditions exist (faster)",
  },
  concurrency: {
    type: 'string',
    value: 'N',
    help: 'key ranges (or inventory files) audited at once (default 4)',
  },
  'page-size': {
    type: 'string',
    value: 'N',
    help: 'object versions per page, what each range holds at once (default 1000)',
  },
  'time-limit': {
    type: 'string',
    value: 'SECONDS',
    help: 'start no page after this long; the pass stays resumable',
  },
  resume: {
    type: 'boolean',
    default: false,
    help: 'continue the last unfinished pass instead of starting a new one',
  },
  inventory: {
    type: 'string',
    value: 'URI',
    help: [
      'audit from an S3 Inventory report: s3://BUCKET/KEY/manifest.json, or',
      'the prefix holding the reports (s3://BUCKET/PREFIX/SOURCE/CONFIG/):',
      'its newest manifest',
    ],
  },
  json: { type: 'boolean', default: false, help: 'machine-readable report' },
  ...targetOptionSpec,
  help: helpOption,
} as const satisfies OptionSpec;

export const help = `Usage: pixelmill audit [--repair] [--grace SECONDS] [--skip-renditions] [--json]
                      [--concurrency N] [--page-size N] [--time-limit SECONDS] [--resume]
                      [--inventory s3://BUCKET/…/manifest.json] [--state DIR | --stack NAME]

List the uploads bucket and the metadata table and report every object version that is not
DONE, not REJECTED, not visibly in flight and not in the dead-letter queue: lost events
(no row), stuck work (a lease or retry silent for longer than any message can be away),
FAILED rows whose message left the DLQ, and DONE rows with renditions missing.
--repair re-enqueues exactly those, page by page as they are found.

The audit streams: the uploads listing is cut into 16 key ranges audited N at a time, a page
at a time, reading only the rows and renditions each page needs, so its memory does not grow
with the bucket. Its progress is saved in the metadata table after every page: --resume
continues the last unfinished pass (cut off by --time-limit, Ctrl-C or a crash) instead of
starting over, counting every version once. Gap details: the first 100 (counts cover all).
Exit status 1 when gaps remain or the pass is unfinished.

--inventory reads the object versions from an S3 Inventory report (CSV, gzip) instead of
listing the bucket: each data file is streamed and audited N at a time, a page at a time, and
--resume continues from the file and row where the pass stopped. The report is as of its date:
uploads since are not in it, and not audited (run the audit without --inventory for them).
Only an inventory of the uploads bucket, in CSV, with the fields Size, LastModifiedDate and ETag
(and VersionId, IsLatest, IsDeleteMarker for all versions) is read.

${optionsHelp(options, { width: 21 })}`;

export async function run(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, options);
  // 0 is allowed: right after a drill, every upload without a row is a gap.
  const graceSeconds = values.grace === '0' ? 0 : positiveInt('grace', values.grace, 900);
  const concurrency = positiveInt('concurrency', values.concurrency, 4);
  const pageSize = positiveInt('page-size', values['page-size'], 1000);
  const timeLimit =
    values['time-limit'] === undefined
      ? undefined
      : positiveInt('time-limit', values['time-limit'], 1);
  const target = await resolveTarget(values);
  try {
    const inventory =
      values.inventory === undefined
        ? undefined
        : await readInventoryManifest(target, values.inventory);
    const report = await runAudit(target, {
      graceSeconds,
      checkRenditions: !values['skip-renditions'],
      concurrency,
      pageSize,
      repair: values.repair,
      checkpoint: tableCheckpointStore(target.table, 'operator'),
      resume: values.resume,
      ...(timeLimit !== undefined ? { deadline: Date.now() + timeLimit * 1000 } : {}),
      ...(inventory ? { inventory } : {}),
    });
    const { repair } = report;
    // A repair also rebuilds the table's counts (status, report): whatever drifted is settled.
    const recounted = values.repair ? await recountTable(target.table) : undefined;
    const gaps = report.gaps.map((g) => ({
      kind: g.kind,
      key: g.object.key,
      version: g.object.versionId ?? g.object.etag,
      detail: g.detail,
    }));
    if (values.json) {
      await writeJson({ ...report, gaps, recounted: recounted ? recounted.rows : null });
    } else {
      const lines = [
        `Audit of ${printable(`s3://${target.resources.uploadsBucket}/${target.resources.uploadsPrefix}`)} in ${report.seconds} s: ${report.objects} object version(s)${report.sessions > 1 ? ` (over ${report.sessions} sessions)` : ''}`,
        ...(report.inventory
          ? [
              `  from the inventory of ${report.inventory.createdAt} (${printable(report.inventory.manifest)}, ${report.inventory.files} file(s)): uploads since are not audited; run a listing audit (without --inventory) for them`,
            ]
          : []),
        `  DONE ${report.done} · REJECTED ${report.rejected} · in flight ${report.inFlight} · in the DLQ ${report.inDeadLetterQueue} · gaps ${report.gapCount}`,
      ];
      if (gaps.length > 0)
        lines.push(
          columns([
            ['GAP', 'KEY', 'DETAIL'],
            ...gaps.slice(0, 50).map((g) => [g.kind, g.key, g.detail]),
          ]),
        );
      if (report.gapCount > Math.min(50, gaps.length))
        lines.push(
          `… and ${report.gapCount - Math.min(50, gaps.length)} more (--json for the first ${gaps.length}; counts by kind: ${Object.entries(
            report.gapsByKind,
          )
            .map(([k, n]) => `${k} ${n}`)
            .join(', ')})`,
        );
      if (repair)
        lines.push(
          `Repaired: ${repair.requeued} re-enqueued${repair.skipped ? `, ${repair.skipped} skipped (changed meanwhile)` : ''}.`,
        );
      else if (report.gapCount > 0) lines.push('Run again with --repair to re-enqueue them.');
      if (!report.complete)
        lines.push('Unfinished (time limit): run again with --resume to continue this pass.');
      await writeOut(`${lines.join('\n')}\n`);
    }
    if (!report.complete) return 1;
    return report.gapCount === 0 || (repair && repair.skipped === 0) ? 0 : 1;
  } finally {
    await target.close();
  }
}
