/** `pixelmill run`: the whole pipeline over files and directories, on the embedded local cloud. */
import { createReadStream } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ImageRow } from '../../events/image-row.ts';
import { EMBEDDED_RETRY_BACKOFF } from '../../events/retry-schedule.ts';
import { DEFAULT_STATE_DIR } from '../../infra/local/state-dir.ts';
import { topology } from '../../infra/topology.ts';
import { configHash } from '../../lib/config/parse.ts';
import { UsageError } from '../../lib/ops/errors.ts';
import { renditionFileNames } from '../../lib/ops/export-renditions.ts';
import { planInputs } from '../../lib/ops/inputs.ts';
import { printable } from '../../lib/ops/printable.ts';
import { startQueueSampler } from '../../lib/ops/queue-sampler.ts';
import { REPORT_MAX_IMAGES, RowTally } from '../../lib/ops/report-collect.ts';
import { MANIFEST_FILE, type RunResult, runJob } from '../../lib/ops/run-job.ts';
import { displayName } from '../../lib/ops/sources/entry-names.ts';
import { archiveLimits } from '../../lib/ops/sources/limits.ts';
import { REPORT_FILE, writeReport } from '../../lib/ops/write-report.ts';
import { parseCommandArgs, positiveInt } from '../args.ts';
import { loadConfig } from '../load-config.ts';
import { openLogFile } from '../log-file.ts';
import { writeErr, writeOut } from '../output.ts';
import { createProgress } from '../progress.ts';
import { resolveTarget } from '../target.ts';
import { startWorkers } from '../workers.ts';
import { assertWritableDir } from '../writable-path.ts';

export const runHelp = `Usage: pixelmill run <file|dir|zip|tar|tgz>... --out DIR [options]

Process images end to end on the embedded local cloud: upload every input to the local uploads
bucket, let the workers make the renditions, wait until every image is DONE, REJECTED or FAILED
(in the dead-letter queue), then write the renditions, manifest.json and report.html (a page to
look at: pixelmill report --help) to DIR.

Inputs are read as \`pixelmill ingest\` reads them: directories recursively (hidden files
skipped), archives entry by entry. Symbolic links below a directory are followed only to files
inside it. An input that cannot be an image upload (a link out of its directory, a name that is
not UTF-8 or too long, a device, a nested archive, renditions that would collide in DIR with
manifest.json, report.html or an earlier image) is refused: REJECTED in the manifest with
"refused": true and its reason, and the run goes on. No AWS account is needed.

Options:
  --out DIR          where renditions and manifest.json are written (required)
  --config FILE      presets and limits as JSON (default: 1600, 800 and 320 px wide,
                     each as JPEG q80 and WebP q80)
  --state DIR        local cloud state (default ${DEFAULT_STATE_DIR}); run again with the same
                     state to resume an interrupted run: nothing is uploaded or processed twice
  --concurrency N    batches processed at once (default: ${availableParallelism()}, the CPU cores)
  --json             print manifest.json to stdout instead of the summary
  -h, --help         show this help

Exit status: 0 when every image is DONE or REJECTED (refused inputs included), 1 when any is
FAILED or PENDING, 2 on a usage error (including an --out or --state that cannot be written,
found before anything is uploaded), 130 when interrupted.
`;

/** A path as the user would type it: relative when below the working directory. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' ? '.' : rel.startsWith('..') ? resolve(path) : rel;
}

function summaryText(
  result: RunResult,
  outDir: string,
  logFile: string,
  report: string | undefined,
): string {
  const s = result.summary;
  const lines = [
    `pixelmill run: ${s.total} image${s.total === 1 ? '' : 's'} in ${s.seconds.toFixed(1)} s ` +
      `(${s.imagesPerSecond.toFixed(2)} images/s)`,
    `  DONE      ${String(s.done).padStart(5)}   ${result.renditions} renditions`,
    `  REJECTED  ${String(s.rejected).padStart(5)}${s.refused ? `   ${s.refused} refused before upload (REFUSED below)` : ''}`,
    `  FAILED    ${String(s.failed).padStart(5)}`,
    `  PENDING   ${String(s.pending).padStart(5)}`,
  ];
  for (const image of result.notDone) {
    const status = image.refused ? 'REFUSED' : image.status;
    lines.push(
      `  ${status.padEnd(9)} ${displayName(image.source)}: ${printable(image.reason ?? '')} — ${printable(image.message ?? '')}`,
    );
  }
  const more = s.total - s.done - result.notDone.length;
  if (more > 0) lines.push(`  … and ${more} more in the manifest`);
  lines.push(`Manifest: ${printable(shown(join(outDir, MANIFEST_FILE)))}`);
  if (report) lines.push(`Report:   ${printable(shown(report))}`);
  lines.push(`Log:      ${printable(shown(logFile))}`);
  return `${lines.join('\n')}\n`;
}

export async function runCommand(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    out: { type: 'string' },
    config: { type: 'string' },
    state: { type: 'string' },
    concurrency: { type: 'string' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) {
    await writeOut(runHelp);
    return 0;
  }
  if (!values.out) throw new UsageError('Expected --out DIR');
  if (positionals.length === 0) throw new UsageError('Expected at least one file or directory');
  const concurrency = positiveInt('concurrency', values.concurrency, availableParallelism());
  const config = await loadConfig(values.config);
  const stateDir = values.state ?? DEFAULT_STATE_DIR;
  const sources = await planInputs(positionals, topology.uploadsPrefix);
  const limits = archiveLimits({ maxEntryBytes: config.limits.maxBytes });

  // Before the cloud starts and anything is uploaded: an output that cannot be written would
  // otherwise be found only when the first image is exported.
  assertWritableDir(values.out, '--out');
  const logFile = openLogFile(stateDir);
  const target = await resolveTarget(
    { state: stateDir, config: values.config },
    logFile.logger('local-cloud'),
  );
  // The run follows its images through the rows these workers finish; sweeps find the rest.
  type Settled = (row: ImageRow, stored?: ReadonlyMap<string, Buffer>) => void;
  const settled = new Set<Settled>();
  const workers = startWorkers(target, {
    config,
    backoff: EMBEDDED_RETRY_BACKOFF,
    concurrency,
    logFile,
    onSettled: (row, stored) => {
      for (const listener of settled) listener(row, stored);
    },
  });
  const progress = createProgress();
  const interrupted = new AbortController();
  const onSignal = () => interrupted.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let finished = 0;
  const sampler = startQueueSampler({
    workQueue: target.workQueue,
    deadLetterQueue: target.deadLetterQueue,
    finished: () => finished,
  });
  let result: RunResult;
  let report: string | undefined;
  // The report counts the run's own images as they settle: no scan of the table at the end.
  const tally = new RowTally(REPORT_MAX_IMAGES);
  try {
    result = await runJob(
      {
        store: target.store,
        table: target.table,
        workQueue: target.workQueue,
        resources: target.resources,
        configHash: configHash(config),
        settledRows: (listener) => settled.add(listener),
      },
      {
        sources,
        outDir: values.out,
        renditionFiles: renditionFileNames(config.presets),
        limits,
        signal: interrupted.signal,
        tally,
      },
      (p) => {
        if (p.phase === 'process') finished = p.done + p.rejected;
        progress.update(p);
      },
    );
    const timeline = await sampler.stop();
    report = (
      await writeReport(
        target,
        join(values.out, REPORT_FILE),
        {
          title: `pixelmill run of ${positionals.join(' ')}`,
          target: `local cloud at ${stateDir}`,
          // The run's own images, each with its row as it settled; those without an outcome, as
          // pending.
          prefixes: sources.map((s) => s.keyPrefix),
          pending: {
            count: result.unfinished.length,
            examples: result.unfinished.slice(0, REPORT_MAX_IMAGES),
          },
          timeline,
          seconds: result.summary.seconds,
        },
        tally,
      )
    ).file;
  } finally {
    await sampler.stop();
    progress.done();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await workers.stop();
    await target.close();
    await logFile.close();
  }
  // The manifest file is written with printableJson already: it is copied as it is.
  if (values.json)
    await pipeline(createReadStream(result.manifestFile), process.stdout, { end: false });
  else await writeErr(summaryText(result, values.out, logFile.file, report));
  if (interrupted.signal.aborted) return 130;
  return result.summary.failed + result.summary.pending === 0 ? 0 : 1;
}
