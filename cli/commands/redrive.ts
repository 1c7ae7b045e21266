/** `pixelmill redrive`: move dead letters back to the work queue, selectively and at a safe rate. */

import { UsageError } from '../../lib/ops/errors.ts';
import { printable } from '../../lib/ops/printable.ts';
import { redrive } from '../../lib/ops/redrive.ts';
import {
  helpOption,
  type OptionSpec,
  optionsHelp,
  parseCommandArgs,
  positiveInt,
} from '../args.ts';
import { columns, parseSince } from '../format.ts';
import { prefixWarning, selectedKeyPrefix } from '../key-prefix.ts';
import { writeErr, writeJson, writeOut } from '../output.ts';
import { resolveTarget, targetOptionSpec } from '../target.ts';

export const options = {
  'dry-run': { type: 'boolean', default: false, help: 'print what would move, change nothing' },
  reason: {
    type: 'string',
    value: 'CODE',
    help: "the last error's code, as `pixelmill dlq list` shows it",
  },
  prefix: {
    type: 'string',
    value: 'P',
    help: [
      'keys starting with <uploads prefix>P: what ingest --prefix P wrote, or a',
      "run's inputs (--prefix photos/ for `run ./photos`)",
    ],
  },
  since: {
    type: 'string',
    value: 'T',
    help: 'last failure at or after T: an ISO date, or 30m, 2h, 1d ago',
  },
  max: { type: 'string', value: 'N', help: 'at most N moves' },
  rate: { type: 'string', value: 'N', help: 'moves per second (default 20)' },
  json: {
    type: 'boolean',
    default: false,
    help: [
      'machine-readable report: "plan" lists every matching message and its',
      'action (move, delete-finished, skip), with --dry-run too',
    ],
  },
  ...targetOptionSpec,
  help: helpOption,
} as const satisfies OptionSpec;

export const help = `Usage: pixelmill redrive [--dry-run] [--reason CODE] [--prefix P] [--since T] [--max N] [--rate N] [--json]

Move messages from the dead-letter queue back to the work queue: those matching every filter
given, at most --rate per second, each move written on the image's row (history, redrives).
Each move is receive → send → delete, so a crash mid-way leaves at most one extra copy, which
the worker recognises as a duplicate. Images finished meanwhile are only deleted from the DLQ.
Messages that are not work items are moved only when asked for by their reason.
Run with --dry-run first: it prints the plan and changes nothing.

${optionsHelp(options)}`;

export async function run(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, options);
  const since = values.since === undefined ? undefined : parseSince(values.since);
  if (values.since !== undefined && !since)
    throw new UsageError(
      `Expected --since as an ISO date or 30m/2h/1d but received "${values.since}"`,
    );
  const max = values.max === undefined ? undefined : positiveInt('max', values.max, 1);
  const rate = positiveInt('rate', values.rate, 20);
  const target = await resolveTarget(values);
  try {
    const warning = prefixWarning(values.prefix, target.resources.uploadsPrefix);
    if (warning) await writeErr(warning);
    const prefix = selectedKeyPrefix(values.prefix, target.resources.uploadsPrefix);
    const report = await redrive(
      target,
      { reason: values.reason, prefix, since, max },
      { dryRun: values['dry-run'], ratePerSecond: rate },
    );
    if (values.json) {
      const view = (items: typeof report.moved) =>
        items.map((i) => ({
          messageId: i.letter.messageId,
          key: i.letter.item?.key ?? null,
          reason: i.letter.reason,
          decision: i.decision,
        }));
      await writeJson({
        dryRun: report.dryRun,
        examined: report.examined,
        matched: report.matched,
        // Every matching message and what was (with --dry-run: would be) done with it.
        plan: view(report.plan),
        moved: view(report.moved),
        deletedFinished: view(report.deletedFinished),
        skipped: view(report.skipped),
        failed: report.failed.map((f) => ({
          messageId: f.letter.messageId,
          key: f.letter.item?.key ?? null,
          error: f.error,
        })),
        seconds: report.seconds,
      });
      return report.failed.length === 0 ? 0 : 1;
    }
    const plan = report.dryRun ? 'would' : 'did';
    await writeOut(
      `${report.dryRun ? 'Plan (dry run, nothing changed)' : 'Redrive'}: ${report.examined} in the DLQ, ${report.matched} match.\n` +
        (report.matched > 0
          ? `${columns([
              ['ACTION', 'REASON', 'KEY'],
              ...report.plan.map((i) => [
                i.decision.action === 'move'
                  ? 'move'
                  : i.decision.action === 'delete-finished'
                    ? `delete (${i.decision.status})`
                    : 'skip',
                i.letter.reason,
                i.letter.item?.key ?? `(message ${i.letter.messageId})`,
              ]),
            ])}\n`
          : '') +
        `${report.dryRun ? report.matched - report.skipped.length : report.moved.length} ${plan} move, ` +
        `${report.skipped.length} skipped, ${report.failed.length} failed, in ${report.seconds} s.\n` +
        report.failed
          .map((f) => `  failed ${printable(f.letter.messageId)}: ${printable(f.error)}\n`)
          .join(''),
    );
    if (report.dryRun && report.matched > 0)
      await writeErr('Run again without --dry-run to move them.\n');
    return report.failed.length === 0 ? 0 : 1;
  } finally {
    await target.close();
  }
}
