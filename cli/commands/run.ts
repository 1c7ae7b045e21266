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
import { DEFAULT_DISTANCE } from '../../lib/duplicates/group.ts';
import { displayName } from '../../lib/ingest/sources/entry-names.ts';
import { archiveLimits } from '../../lib/ingest/sources/limits.ts';
import { UsageError } from '../../lib/ops/errors.ts';
import { printable } from '../../lib/ops/printable.ts';
import { REPORT_MAX_IMAGES } from '../../lib/report/collect.ts';
import { startQueueSampler } from '../../lib/report/queue-sampler.ts';
import { RowTally } from '../../lib/report/row-tally.ts';
import { REPORT_FILE, writeReport } from '../../lib/report/write-report.ts';
import { renditionFileNames } from '../../lib/run/export-renditions.ts';
import { planInputs, type RunSource } from '../../lib/run/inputs.ts';
import { RetryingImages } from '../../lib/run/retrying-images.ts';
import { redriveEarlierFailures, waitForDeadLetters } from '../../lib/run/run-failures.ts';
import { MANIFEST_FILE, type RunResult, runJob } from '../../lib/run/run-job.ts';
import {
  helpOption,
  type OptionSpec,
  optionsHelp,
  parseCommandArgs,
  positiveInt,
} from '../args.ts';
import { listenForInterrupt } from '../interrupt.ts';
import { loadConfig } from '../load-config.ts';
import { openLogFile } from '../log-file.ts';
import { writeErr } from '../output.ts';
import { createProgress } from '../progress.ts';
import { rememberConfig } from '../state-config.ts';
import { resolveTarget } from '../target.ts';
import { FAULTS_ENV, readTestFaults } from '../test-faults.ts';
import { startWorkers } from '../workers.ts';
import { assertWritableDir } from '../writable-path.ts';

export const options = {
  out: {
    type: 'string',
    value: 'DIR',
    help: 'where renditions and manifest.json are written (required)',
  },
  config: {
    type: 'string',
    value: 'FILE',
    help: [
      'presets and limits as JSON (default: 1600, 800 and 320 px wide,',
      'each as JPEG q80 and WebP q80)',
    ],
  },
  state: {
    type: 'string',
    value: 'DIR',
    help: [
      `local cloud state (default ${DEFAULT_STATE_DIR}), made if missing; run again`,
      'with the same state to resume an interrupted run: nothing is uploaded or',
      'processed twice; or to retry what FAILED. A run on a state whose cloud another process runs (a',
      '`stack up`, another run) joins it, and runs it itself if that one stops',
      "first. The state remembers this run's config for the operator commands.",
    ],
  },
  concurrency: {
    type: 'string',
    value: 'N',
    help: `batches processed at once (default: ${availableParallelism()}, the CPU cores)`,
  },
  json: {
    type: 'boolean',
    default: false,
    help: 'print manifest.json to stdout instead of the summary',
  },
  help: { ...helpOption, help: 'show this help' },
} as const satisfies OptionSpec;

export const help = `Usage: pixelmill run <file|dir|zip|tar|tgz>... --out DIR [options]

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

The summary counts inputs (a file that is not an image is one, REJECTED, and said to be no image)
and rates only the images this run processed. While images fail transiently the progress line
says how many retry and the last error's code; FAILED images end in the dead-letter queue, and
the summary names the next commands. Once the cause is fixed, the same command again retries
them: their dead letters are redriven to the work queue first (recorded on their rows).

${optionsHelp(options)}
Exit status: 0 when every image is DONE or REJECTED (refused inputs included), 1 when any is
FAILED or PENDING, 2 on a usage error (including an --out or --state that cannot be written,
found before anything is uploaded, and inputs holding nothing to run), 130 when interrupted.
`;

/**
 * How long a run with FAILED images keeps its workers for their messages to reach the DLQ: the
 * last failure's message comes back after ~1 s and is moved on that receive.
 */
const DLQ_WAIT_MS = 15_000;

/** A path as the user would type it: relative when below the working directory. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' ? '.' : rel.startsWith('..') ? resolve(path) : rel;
}

/** A word for the shell: as it is when it needs no quoting, else in single quotes. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

/** What to type next when images are FAILED: why, then retry (this run again, or a redrive). */
function nextCommands(argv: readonly string[], stateDir: string, sources: readonly RunSource[]) {
  const state = `--state ${shellWord(stateDir)}`;
  const only = sources.length === 1 ? sources[0] : undefined;
  // --prefix is relative to the uploads prefix, for every command.
  const prefix = only
    ? ` --prefix ${shellWord(only.keyPrefix.slice(topology.uploadsPrefix.length))}`
    : '';
  return [
    'Next:',
    `  pixelmill dlq list ${state}`,
    '      why each FAILED image failed (its last error and attempts)',
    `  pixelmill run ${argv.map(shellWord).join(' ')}`,
    '      once the cause is fixed: the same run again retries what FAILED (redriven from the DLQ)',
    `  pixelmill redrive ${state}${prefix} --dry-run`,
    '      or move them back yourself (drop --dry-run), and watch: pixelmill status --watch',
  ];
}

function summaryText(
  result: RunResult,
  outDir: string,
  logFile: string,
  report: string | undefined,
  next: readonly string[],
): string {
  const s = result.summary;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const rejectedDetail = [
    s.notImages ? `${s.notImages} not ${s.notImages === 1 ? 'an image' : 'images'}` : '',
    s.refused ? `${s.refused} refused before upload (REFUSED below)` : '',
  ].filter(Boolean);
  const lines = [
    // Inputs, not images: a file that is not an image is an input, REJECTED below. The rate is
    // of the images this run processed, over the time it spent on them.
    `pixelmill run: ${plural(s.total, 'input')} in ${s.seconds.toFixed(1)} s; ` +
      `${s.processed} processed by this run` +
      (s.processed > 0
        ? ` (${s.imagesPerSecond.toFixed(2)} images/s over ${s.processingSeconds.toFixed(1)} s)`
        : ''),
    `  DONE      ${String(s.done).padStart(5)}   ${result.renditions} renditions`,
    `  REJECTED  ${String(s.rejected).padStart(5)}${rejectedDetail.length ? `   ${rejectedDetail.join(', ')}` : ''}`,
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
  if (s.failed > 0) lines.push(...next.map(printable));
  return `${lines.join('\n')}\n`;
}

export async function run(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, options);
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
  // Test-only fault injection (test/chaos, test/e2e); never set in production.
  const faults = readTestFaults(process.env[FAULTS_ENV]);
  const target = await resolveTarget(
    { state: stateDir },
    {
      command: 'run',
      create: true,
      // Two runs on one state share one cloud; the one left running takes it over.
      host: true,
      config,
      log: logFile.logger('local-cloud'),
    },
  );
  // The operator commands (status, audit, dlq, …) count rows under this config from now on.
  rememberConfig(stateDir, config, values.config);
  // The run follows its images through the rows these workers finish; sweeps find the rest.
  type Settled = (row: ImageRow, stored?: ReadonlyMap<string, Buffer>) => void;
  const settled = new Set<Settled>();
  const retrying = new RetryingImages();
  const workers = startWorkers(target, {
    config,
    backoff: EMBEDDED_RETRY_BACKOFF,
    concurrency,
    logFile,
    faults,
    // Alone on the cloud it runs, a run takes Lambda's batches; on a cloud it joined, it shares
    // the queue with other consumers and holds only what it works on, as a worker does.
    shortLeases: target.cloud === undefined,
    onSettled: (row, stored) => {
      retrying.note(row);
      for (const listener of settled) listener(row, stored);
    },
  });
  const progress = createProgress();
  const interrupted = listenForInterrupt();
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
    // A rerun retries what an earlier run of these inputs left FAILED (run-failures.ts).
    const redriven = await redriveEarlierFailures(
      target,
      sources.map((s) => s.keyPrefix),
    );
    if (redriven && redriven.moved.length > 0)
      await writeErr(
        `pixelmill run: retrying ${redriven.moved.length} image(s) an earlier run left FAILED (moved back from the dead-letter queue)\n`,
      );
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
        progress.update(p, retrying.now);
      },
    );
    // FAILED images' messages into the DLQ before the workers stop (run-failures.ts), so that
    // `dlq list`, a redrive and a rerun find them there.
    if (result.summary.failed > 0 && !interrupted.signal.aborted)
      await waitForDeadLetters(target.workQueue, DLQ_WAIT_MS);
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
          imagesPerSecond: result.summary.imagesPerSecond,
          duplicatesDistance: DEFAULT_DISTANCE,
        },
        tally,
      )
    ).file;
  } finally {
    await sampler.stop();
    progress.done();
    interrupted.release();
    await workers.stop();
    await target.close();
    await logFile.close();
  }
  // The manifest file is written with printableJson already: it is copied as it is.
  if (values.json)
    await pipeline(createReadStream(result.manifestFile), process.stdout, { end: false });
  else
    await writeErr(
      summaryText(result, values.out, logFile.file, report, nextCommands(argv, stateDir, sources)),
    );
  if (interrupted.signal.aborted) return 130;
  if (result.summary.total === 0) {
    // Nothing to run is a mistake as "no path given" is: said, and exit 2.
    await writeErr(
      `pixelmill run: no inputs found in ${sources.map((s) => printable(shown(s.path))).join(', ')} (hidden files are skipped)\n`,
    );
    return 2;
  }
  return result.summary.failed + result.summary.pending === 0 ? 0 : 1;
}
