/** `pixelmill run`: the whole pipeline over files and directories, on the embedded local cloud. */
import { availableParallelism } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { DEFAULT_STATE_DIR } from '../../infra/local/state-dir.ts';
import { topology } from '../../infra/topology.ts';
import { configHash } from '../../lib/config/parse.ts';
import { UsageError } from '../../lib/ops/errors.ts';
import { collectInputs } from '../../lib/ops/inputs.ts';
import type { Manifest } from '../../lib/ops/manifest.ts';
import { startQueueSampler } from '../../lib/ops/queue-sampler.ts';
import { MANIFEST_FILE, runJob } from '../../lib/ops/run-job.ts';
import { REPORT_FILE, writeReport } from '../../lib/ops/write-report.ts';
import { parseCommandArgs, positiveInt } from '../args.ts';
import { loadConfig } from '../load-config.ts';
import { openLogFile } from '../log-file.ts';
import { writeErr, writeOut } from '../output.ts';
import { createProgress } from '../progress.ts';
import { resolveTarget } from '../target.ts';
import { startWorkers } from '../workers.ts';

export const runHelp = `Usage: pixelmill run <file|dir>... --out DIR [options]

Process images end to end on the embedded local cloud: upload every input (directories
recursively, hidden files skipped) to the local uploads bucket, let the workers make the
renditions, wait until every image is DONE, REJECTED or FAILED (in the dead-letter queue), then
write the renditions, manifest.json and report.html (a page to look at: pixelmill report --help)
to DIR. No AWS account is needed.

Options:
  --out DIR          where renditions and manifest.json are written (required)
  --config FILE      presets and limits as JSON (default: 1600, 800 and 320 px wide,
                     each as JPEG q80 and WebP q80)
  --state DIR        local cloud state (default ${DEFAULT_STATE_DIR}); run again with the same
                     state to resume an interrupted run: nothing is uploaded or processed twice
  --concurrency N    batches processed at once (default: ${availableParallelism()}, the CPU cores)
  --json             print manifest.json to stdout instead of the summary
  -h, --help         show this help

Exit status: 0 when every image is DONE or REJECTED, 1 when any is FAILED or PENDING,
2 on a usage error.
`;

/** A path as the user would type it: relative when below the working directory. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' ? '.' : rel.startsWith('..') ? resolve(path) : rel;
}

function summaryText(
  manifest: Manifest,
  outDir: string,
  logFile: string,
  report: string | undefined,
): string {
  const s = manifest.summary;
  const renditions = manifest.images.reduce((n, i) => n + i.renditions.length, 0);
  const lines = [
    `pixelmill run: ${s.total} image${s.total === 1 ? '' : 's'} in ${s.seconds.toFixed(1)} s ` +
      `(${s.imagesPerSecond.toFixed(2)} images/s)`,
    `  DONE      ${String(s.done).padStart(5)}   ${renditions} renditions`,
    `  REJECTED  ${String(s.rejected).padStart(5)}`,
    `  FAILED    ${String(s.failed).padStart(5)}`,
    `  PENDING   ${String(s.pending).padStart(5)}`,
  ];
  const notDone = manifest.images.filter((i) => i.status !== 'DONE');
  for (const image of notDone.slice(0, 20)) {
    lines.push(`  ${image.status.padEnd(9)} ${image.source}: ${image.reason} — ${image.message}`);
  }
  if (notDone.length > 20) lines.push(`  … and ${notDone.length - 20} more in the manifest`);
  lines.push(`Manifest: ${shown(join(outDir, MANIFEST_FILE))}`);
  if (report) lines.push(`Report:   ${shown(report)}`);
  lines.push(`Log:      ${shown(logFile)}`);
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
  const inputs = await collectInputs(positionals, topology.uploadsPrefix);

  const logFile = openLogFile(stateDir);
  const target = await resolveTarget(
    { state: stateDir, config: values.config },
    logFile.logger('local-cloud'),
  );
  const workers = startWorkers(target, { config, concurrency, logFile });
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
  let manifest: Manifest;
  let report: string | undefined;
  try {
    manifest = await runJob(
      {
        store: target.store,
        table: target.table,
        workQueue: target.workQueue,
        resources: target.resources,
        configHash: configHash(config),
      },
      { inputs, outDir: values.out, signal: interrupted.signal },
      (p) => {
        if (p.phase === 'process') finished = p.done + p.rejected;
        progress.update(p);
      },
    );
    const timeline = await sampler.stop();
    report = (
      await writeReport(target, join(values.out, REPORT_FILE), {
        title: `pixelmill run of ${positionals.join(' ')}`,
        target: `local cloud at ${stateDir}`,
        keys: new Set(manifest.images.map((i) => i.key)),
        timeline,
        seconds: manifest.summary.seconds,
      })
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
  if (values.json) await writeOut(`${JSON.stringify(manifest, null, 2)}\n`);
  else await writeErr(summaryText(manifest, values.out, logFile.file, report));
  if (interrupted.signal.aborted) return 130;
  return manifest.summary.failed + manifest.summary.pending === 0 ? 0 : 1;
}
