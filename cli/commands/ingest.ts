/** `pixelmill ingest`: files, directories, archives and S3 prefixes into the pipeline. */

import { join, resolve, sep } from 'node:path';
import { DEFAULT_STATE_DIR } from '../../infra/local/state-dir.ts';
import { IngestCheckpoint, ingestJobId } from '../../lib/ingest/checkpoint.ts';
import { ingest, type SourceReport } from '../../lib/ingest/ingest.ts';
import { displayName } from '../../lib/ingest/sources/entry-names.ts';
import { archiveLimits, defaultArchiveLimits } from '../../lib/ingest/sources/limits.ts';
import {
  type Refusal,
  type RefusalReason,
  refusalReasons,
} from '../../lib/ingest/sources/source.ts';
import { sourceKindOf } from '../../lib/ingest/sources/source-kind.ts';
import { UsageError } from '../../lib/ops/errors.ts';
import { printable } from '../../lib/ops/printable.ts';
import {
  helpOption,
  type OptionSpec,
  optionsHelp,
  parseCommandArgs,
  positiveInt,
} from '../args.ts';
import { columns } from '../format.ts';
import { createIngestProgress } from '../ingest-progress.ts';
import { listenForInterrupt } from '../interrupt.ts';
import { ingestKeyPrefix } from '../key-prefix.ts';
import { writeErr, writeJson } from '../output.ts';
import { peakRssBytes } from '../peak-rss.ts';
import { resolveTarget, targetOptionSpec } from '../target.ts';

export const options = {
  prefix: {
    type: 'string',
    value: 'P',
    help: [
      'put the keys under <uploads prefix>P/ (default: the uploads prefix);',
      'report and redrive --prefix P then select them',
    ],
  },
  concurrency: { type: 'string', value: 'N', help: 'uploads at once (default 8)' },
  resume: {
    type: 'boolean',
    default: false,
    help: 'continue the interrupted ingest of the same sources, prefix and target',
  },
  rate: { type: 'string', value: 'N', help: 'backfill messages per second (default 50)' },
  'include-finished': {
    type: 'boolean',
    default: false,
    help: 'backfill objects whose image is already DONE or REJECTED too',
  },
  json: { type: 'boolean', default: false, help: 'print the report as JSON' },
  'max-entries': {
    type: 'string',
    value: 'N',
    section: 'Archive caps (each counted from the bytes actually inflated, not from the headers):',
    help: 'entries read from one archive, then it stops (default 1,000,000)',
  },
  'max-ratio': {
    type: 'string',
    value: 'N',
    help: [
      'inflated/compressed ratio of an entry past 1 MiB, and of an archive past',
      '1 GiB (default 100: images barely compress; bombs reach 1000)',
    ],
  },
  'max-archive-gib': {
    type: 'string',
    value: 'N',
    help: 'bytes one archive may inflate to in all (default 1024)',
    note: [
      "An entry may inflate to the config's limits.maxBytes (--config; default 64 MiB): a larger one",
      'would be REJECTED byte-limit after its upload, so it is refused before.',
    ],
  },
  ...targetOptionSpec,
  help: helpOption,
} as const satisfies OptionSpec;

export const help = `Usage: pixelmill ingest <source>... [--prefix P] [--concurrency N] [--resume] [--rate N] [--json] [--state DIR | --stack NAME]

Feed the pipeline and return (watch it with \`pixelmill status\`). A source is:
  a file or a directory   uploaded (directories recursively; hidden files skipped; links
                          followed only to files inside the directory, a link out of it
                          refused as link-outside-source, names not UTF-8 refused)
  a .zip, .tar, .tar.gz   streamed entry by entry, nothing extracted to disk; entries with
  or .tgz archive         unsafe names (.., absolute, backslashes), links and devices, empty or
                          nested archives, names too long or colliding, and entries or archives
                          over the caps (counted from the bytes actually inflated) are refused
                          with a reason, and the rest still goes in
  s3://bucket/prefix      objects already in the uploads bucket that never raised an event:
                          queued as backfill jobs at --rate per second (finished ones skipped)
Each upload raises the S3 event that queues its work; content already in the bucket under the
same key is not uploaded again (no second event). Keys: <uploads prefix><--prefix>/<name>, an
archive's entries under the archive's name (photos.zip → photos/…).

Progress is saved in the state directory as it goes: after an interruption (Ctrl-C, a crash, a
sleeping laptop), run the same command with --resume to skip what was finished.
Exit status: 0 all in, 1 anything refused or failed (listed), 130 interrupted, 2 usage error.

${optionsHelp(options)}`;

/** An entry's source (`archive:entry` or a path) without the working directory in front. */
function shown(source: string): string {
  const here = `${process.cwd()}${sep}`;
  return source.startsWith(here) ? source.slice(here.length) : source;
}

const EXAMPLES_PER_REASON = 5;

/** Refusals grouped by reason: the count, what the reason means, and the first few entries. */
function refusalLines(reports: readonly SourceReport[]): string[] {
  const refusals = reports.flatMap((r) => r.refused);
  if (refusals.length === 0) return [];
  const byReason = new Map<string, Refusal[]>();
  for (const r of refusals) {
    const list = byReason.get(r.reason);
    if (list) list.push(r);
    else byReason.set(r.reason, [r]);
  }
  const lines = [`Refused ${refusals.length.toLocaleString('en-US')} (--json lists every one):`];
  for (const [reason, list] of byReason) {
    lines.push(
      `  ${list.length.toLocaleString('en-US')} ${reason}: ${refusalReasons[reason as RefusalReason]}`,
    );
    lines.push(
      columns(list.slice(0, EXAMPLES_PER_REASON).map((r) => ['     ', shown(r.source), r.detail])),
    );
    if (list.length > EXAMPLES_PER_REASON)
      lines.push(`      … and ${(list.length - EXAMPLES_PER_REASON).toLocaleString('en-US')} more`);
  }
  return lines;
}

function summary(reports: readonly SourceReport[], seconds: number, where: string): string {
  const sum = (f: (r: SourceReport) => number) => reports.reduce((n, r) => n + f(r), 0);
  const bytes = sum((r) => r.bytes);
  const files = sum((r) => r.uploaded + r.alreadyThere);
  const lines = [
    `pixelmill ingest: ${sum((r) => r.uploaded)} uploaded, ${sum((r) => r.alreadyThere)} already there` +
      `${sum((r) => r.skipped) ? `, ${sum((r) => r.skipped)} finished before (resumed)` : ''}` +
      ` · ${(bytes / 1e6).toFixed(1)} MB in ${seconds.toFixed(1)} s` +
      ` (${(bytes / 1e6 / Math.max(seconds, 0.001)).toFixed(1)} MB/s, ${(files / Math.max(seconds, 0.001)).toFixed(0)} files/s) → ${printable(where)}`,
  ];
  for (const r of reports) {
    if (r.finishedBefore) lines.push(`  ${displayName(r.source)}: finished by the interrupted run`);
    if (r.backfill)
      lines.push(
        `  ${displayName(r.backfill.source)}: ${r.backfill.enqueued} queued at ${r.backfill.ratePerSecond}/s, ${r.backfill.alreadyFinished} already finished, ${r.backfill.listed} listed`,
      );
  }
  lines.push(...refusalLines(reports));
  const failed = reports.flatMap((r) => r.failed);
  if (failed.length > 0) {
    lines.push(`Failed ${failed.length} (run again with --resume to retry them):`);
    lines.push(columns(failed.slice(0, 30).map((f) => ['', f.source, f.error])));
  }
  return `${lines.join('\n')}\n`;
}

export async function run(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, options);
  if (positionals.length === 0) throw new UsageError('Expected at least one source');
  const concurrency = positiveInt('concurrency', values.concurrency, 8);
  const rate = positiveInt('rate', values.rate, 50);
  const sources = positionals.map((p) => (p.startsWith('s3://') ? p : resolve(p)));
  const caps = {
    maxEntries: positiveInt('max-entries', values['max-entries'], defaultArchiveLimits.maxEntries),
    maxRatio: positiveInt('max-ratio', values['max-ratio'], defaultArchiveLimits.maxRatio),
    maxTotalBytes: positiveInt('max-archive-gib', values['max-archive-gib'], 1024) * 1024 ** 3,
  };
  // A local source that cannot be read is said before the state is looked at (as `run` does):
  // it is what the user mistyped.
  for (const source of sources) if (!source.startsWith('s3://')) await sourceKindOf(source);
  const target = await resolveTarget(values);
  const limits = archiveLimits({
    ...caps,
    ...(target.config ? { maxEntryBytes: target.config.limits.maxBytes } : {}),
  });
  const interrupted = listenForInterrupt();
  const progress = createIngestProgress();
  try {
    const keyPrefix = ingestKeyPrefix(values.prefix, target.resources.uploadsPrefix);
    const targetId =
      target.kind === 'aws'
        ? `stack:${target.stackName}:${target.target.region}`
        : `local:${resolve(target.stateDir ?? DEFAULT_STATE_DIR)}`;
    const checkpoint = await IngestCheckpoint.open(
      join(target.stateDir ?? DEFAULT_STATE_DIR, 'ingest'),
      ingestJobId({ target: targetId, prefix: keyPrefix, sources }),
      { resume: values.resume, description: sources.join(' ') },
    );
    if (checkpoint.replacedUnfinished && !values.json)
      await writeErr(
        'An earlier ingest of these sources did not finish: starting over (files already in the bucket are not uploaded again). --resume would skip its finished entries without reading them.\n',
      );
    const started = performance.now();
    const reports = await ingest(target, sources, {
      keyPrefix,
      concurrency,
      checkpoint,
      limits,
      ratePerSecond: rate,
      includeFinished: values['include-finished'],
      signal: interrupted.signal,
      onProgress: (p) => progress.update(p),
    });
    progress.done();
    const seconds = (performance.now() - started) / 1000;
    const where = `s3://${target.resources.uploadsBucket}/${keyPrefix}`;
    if (values.json) {
      await writeJson({
        seconds: Math.round(seconds * 100) / 100,
        target: where,
        checkpoint: checkpoint.file,
        interrupted: interrupted.signal.aborted,
        peakRssBytes: peakRssBytes(),
        sources: reports,
      });
    } else {
      await writeErr(summary(reports, seconds, where));
      if (interrupted.signal.aborted)
        await writeErr('Interrupted: run the same command with --resume to finish.\n');
    }
    if (interrupted.signal.aborted) return 130;
    return reports.some((r) => r.refused.length > 0 || r.failed.length > 0) ? 1 : 0;
  } finally {
    progress.done();
    interrupted.release();
    await target.close();
  }
}
