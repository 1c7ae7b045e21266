/** `pixelmill status`: queues, images, throughput, ETA and the alarm conditions, once or live. */

import { availableParallelism } from 'node:os';
import {
  backlogThresholds,
  DEFAULT_VCPU_SECONDS_PER_IMAGE,
} from '../../events/alarm-conditions.ts';
import { topology } from '../../infra/topology.ts';
import { CloudWatchReader } from '../../lib/aws/cloudwatch.ts';
import { fetchLocalQueueMetrics } from '../../lib/aws/local-queue-metrics.ts';
import { printable } from '../../lib/ops/printable.ts';
import { recountTable } from '../../lib/ops/recount.ts';
import { type PipelineStatus, readStatus, type StatusSources } from '../../lib/ops/status.ts';
import {
  helpOption,
  type OptionSpec,
  optionsHelp,
  parseCommandArgs,
  positiveInt,
} from '../args.ts';
import { age, columns } from '../format.ts';
import { listenForInterrupt } from '../interrupt.ts';
import { writeControl, writeErr, writeJson, writeOut } from '../output.ts';
import { type ResolvedTarget, resolveTarget, targetOptionSpec } from '../target.ts';

export const options = {
  watch: {
    type: 'boolean',
    default: false,
    help: 'read again every --interval seconds until Ctrl-C',
  },
  interval: {
    type: 'string',
    value: 'N',
    help: 'seconds between readings with --watch (default 2; 30 with --stack)',
  },
  json: {
    type: 'boolean',
    default: false,
    help: 'the reading as JSON (with --watch: one JSON object per line)',
  },
  recount: {
    type: 'boolean',
    default: false,
    help: [
      "first rebuild the table's counts from its rows (one full scan; best run",
      'while no worker is writing)',
    ],
  },
  ...targetOptionSpec,
  help: helpOption,
} as const satisfies OptionSpec;

export const help = `Usage: pixelmill status [--watch] [--interval SECONDS] [--json] [--recount] [--state DIR | --stack NAME]

One reading of the pipeline: the work queue (visible, in flight, delayed, age of the oldest
message), the dead-letter queues, images by status in the metadata table, images finished in
the last minute, the time to drain the queue at that rate (or why there is none), and the
alarm conditions the CDK stack watches, marked ALARM when they hold (on AWS: the deployed
alarms' own states).
Exit status 1 when an alarm condition holds (without --watch).

Pending counts the work queue's messages (SQS's approximate counts). Images are the counts the
metadata table keeps of its rows, as of the last batch that wrote its changes (each batch writes
them as it ends): a reading costs a few requests whatever the table's size. A crash between a
row's write and its batch's end leaves the counts off by that batch; --recount reads the whole
table once and rewrites them (also needed once on a table written before pixelmill kept counts).
Images per second: those finished in this clock minute and the one before, over that window.

${optionsHelp(options)}`;

const thousands = (n: number) => n.toLocaleString('en-US');

/** What the image counts cover, when that is not simply every row. */
function countsNote(s: PipelineStatus): string[] {
  switch (s.images.counts) {
    case 'not-initialised':
      return [
        'Image counts not initialised: the table has rows but no counts (written before pixelmill kept them) — run `pixelmill status --recount`.',
        '',
      ];
    case 'since-first-flush':
      return [
        'Image counts cover rows written since workers began keeping them; if this table holds older rows, run `pixelmill status --recount` once.',
        '',
      ];
    default:
      return [];
  }
}

function render(s: PipelineStatus): string {
  const w = s.workQueue;
  const rule = s.ruleDeadLetterQueue;
  const eta =
    s.pending === 0
      ? 'drained'
      : s.etaSeconds === null
        ? `ETA unknown (${s.etaUnknownBecause ?? 'nothing finished in the last minute'})`
        : `ETA ${age(s.etaSeconds)}`;
  const alarmRows = s.alarms.map((a) => [
    a.state === 'NOT_MEASURED' ? '—' : a.state,
    a.title,
    a.value === undefined
      ? ''
      : `${a.value === null ? 'no data' : thousands(a.value)}${a.threshold === undefined ? '' : ` (threshold ${thousands(a.threshold)})`}`,
    a.state === 'ALARM' ? a.runbook : a.detail,
  ]);
  return [
    `pixelmill status · ${printable(s.target)} · ${s.at} (read in ${s.seconds} s)`,
    '',
    ...countsNote(s),
    columns([
      [
        'Work queue',
        `visible ${thousands(w.visible)} · in flight ${thousands(w.inFlight)} · delayed ${thousands(w.delayed)} · oldest ${w.oldestAgeSeconds === null ? '—' : age(w.oldestAgeSeconds)}`,
      ],
      [
        'Dead letters',
        `work DLQ ${thousands(s.deadLetterQueue.visible + s.deadLetterQueue.inFlight)}${rule ? ` · rule DLQ ${thousands(rule.visible + rule.inFlight)}` : ''}`,
      ],
      [
        'Images',
        `DONE ${thousands(s.images.done)} · REJECTED ${thousands(s.images.rejected)} · FAILED ${thousands(s.images.failed)} · in progress ${thousands(s.images.inProgress)} (${thousands(s.images.total)} with a row; counted ${s.images.countedAt ?? 'never'})`,
      ],
      [
        'Progress',
        `pending ${thousands(s.pending)} · ${s.throughput.imagesPerSecond} images/s over the last ${s.throughput.windowSeconds} s · ${eta}`,
      ],
    ]),
    '',
    'Alarms',
    columns(alarmRows.map((r) => ['', ...r])),
    '',
  ].join('\n');
}

function sourcesFor(target: ResolvedTarget): StatusSources {
  const common = {
    workQueue: target.workQueue,
    deadLetterQueue: target.deadLetterQueue,
    ruleDeadLetterQueue: target.ruleDeadLetterQueue,
    table: target.table,
    configHash: target.configHash,
  };
  if (target.kind === 'aws') {
    const cloudwatch = new CloudWatchReader(target.target);
    const queueName = target.resources.workQueueUrl.split('/').pop() ?? '';
    const prefix = target.alarmNamePrefix;
    return {
      ...common,
      target: `stack ${target.stackName ?? ''} (${target.target.region})`,
      oldestAgeSeconds: () => cloudwatch.oldestMessageAgeSeconds(queueName),
      ...(prefix ? { alarmStates: () => cloudwatch.alarms(prefix), alarmNamePrefix: prefix } : {}),
      // Only used without deployed alarm states (a stack without the AlarmNamePrefix output).
      thresholds: backlogThresholds({
        maxReceiveCount: target.maxReceiveCount,
        visibilityTimeoutSeconds: target.visibilityTimeoutSeconds,
        expectedImagesPerSecond: 10 / DEFAULT_VCPU_SECONDS_PER_IMAGE,
      }),
    };
  }
  // Where the cloud listens now (it may have been restarted on another port since).
  const endpoint = () => target.target.cloudLink?.endpoint() ?? target.target.endpoint ?? '';
  return {
    ...common,
    target: `local cloud at ${target.stateDir ?? ''}`,
    oldestAgeSeconds: async () => {
      const queues = await fetchLocalQueueMetrics(endpoint());
      const work = queues.find((q) => q.name === topology.workQueue);
      return work?.oldestSentAt == null
        ? null
        : Math.max(0, Math.round((Date.now() - work.oldestSentAt) / 1000));
    },
    // One machine's worth of workers: the same derivation as the stack's, with this machine's
    // cores in place of the Lambda concurrency.
    thresholds: backlogThresholds({
      maxReceiveCount: target.maxReceiveCount,
      visibilityTimeoutSeconds: target.visibilityTimeoutSeconds,
      expectedImagesPerSecond: availableParallelism() / DEFAULT_VCPU_SECONDS_PER_IMAGE,
    }),
  };
}

export async function run(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, options);
  const interval = positiveInt('interval', values.interval, values.stack ? 30 : 2);
  const target = await resolveTarget(values);
  const sources = sourcesFor(target);
  try {
    if (values.recount) {
      const recounted = await recountTable(target.table);
      await writeErr(
        `pixelmill status: recounted ${thousands(recounted.rows)} row(s) in ${recounted.seconds} s\n`,
      );
    }
    if (!values.watch) {
      const status = await readStatus(sources);
      if (values.json) await writeJson(status);
      else await writeOut(render(status));
      return status.alarms.some((a) => a.state === 'ALARM') ? 1 : 0;
    }
    const interrupted = listenForInterrupt();
    let wake: () => void = () => undefined;
    void interrupted.requested.then(() => wake());
    const redraw = process.stdout.isTTY && !values.json;
    while (!interrupted.signal.aborted) {
      const status = await readStatus(sources);
      if (values.json) await writeJson(status, { compact: true });
      else {
        if (redraw) writeControl(process.stdout, '\x1b[H\x1b[2J');
        await writeOut(render(status));
      }
      if (interrupted.signal.aborted) break;
      // A timer that holds the event loop: joined to a cloud another process runs, nothing else
      // does, and an unref'd timer let Node exit mid-await (exit 13) after the first reading.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, interval * 1000);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    interrupted.release();
    return 0;
  } finally {
    await target.close();
  }
}
