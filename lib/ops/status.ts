/**
 * `pixelmill status`: one reading of the pipeline, from the same sources on AWS and locally.
 *
 * - Queues: SQS's approximate attributes (visible, in flight, delayed), as the alarms see them.
 * - Age of the oldest message: CloudWatch on AWS (one-minute resolution), the local cloud's own
 *   queue metrics locally (SQS's API does not give it).
 * - Images: the counts the metadata table keeps of itself (lib/aws/image-counts.ts): one
 *   BatchGetItem whatever the number of rows, as of the last batch that flushed its changes.
 * - Throughput: images finished (DONE or REJECTED) in this clock minute and the one before (the
 *   counts are kept per minute), over the seconds that window spans.
 * - Alarms: on AWS the real alarms' states; locally the same conditions evaluated on this reading
 *   (the work-queue alarms fire on AWS only after several minutes above their threshold).
 */
import {
  ALARM_KEYS,
  ALARM_MINUTES,
  ALARM_TITLES,
  type AlarmKey,
  type BacklogThresholds,
  RUNBOOK,
  RUNBOOK_ANCHORS,
} from '../../events/alarm-conditions.ts';
import type { AlarmState } from '../aws/cloudwatch.ts';
import type { CountsReading, CountsState } from '../aws/count-keys.ts';
import type { ImageTable } from '../aws/image-table.ts';
import type { Queue, QueueDepth } from '../aws/queue.ts';

export interface StatusSources {
  readonly target: string;
  readonly workQueue: Queue;
  readonly deadLetterQueue: Queue;
  readonly ruleDeadLetterQueue?: Queue | undefined;
  readonly table: ImageTable;
  /** Count only rows of this config; without it, the newest row of each object version. */
  readonly configHash?: string | undefined;
  /** The work queue's age of oldest message in seconds; null when empty or not reported. */
  oldestAgeSeconds(): Promise<number | null>;
  /** The deployed alarms (AWS); absent locally, where the conditions are evaluated here. */
  alarmStates?: (() => Promise<AlarmState[]>) | undefined;
  /** The prefix of the deployed alarms' names (with alarmStates). */
  readonly alarmNamePrefix?: string | undefined;
  /** The backlog thresholds to evaluate locally. */
  readonly thresholds: BacklogThresholds;
}

export interface QueueReading {
  readonly visible: number;
  readonly inFlight: number;
  readonly delayed: number;
}

export type AlarmReadingState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA' | 'NOT_MEASURED';

export interface AlarmReading {
  readonly key: AlarmKey;
  readonly title: string;
  /** ALARM: firing (AWS) or its condition holds on this reading (local). */
  readonly state: AlarmReadingState;
  readonly value?: number | null | undefined;
  readonly threshold?: number | undefined;
  readonly detail: string;
  readonly runbook: string;
}

export interface PipelineStatus {
  readonly at: string;
  readonly target: string;
  readonly workQueue: QueueReading & { readonly oldestAgeSeconds: number | null };
  readonly deadLetterQueue: QueueReading;
  readonly ruleDeadLetterQueue: QueueReading | null;
  /**
   * Object versions by their row's status (under the config counted; without a config, every
   * config's rows added up), from the table's counts.
   */
  readonly images: {
    readonly done: number;
    readonly rejected: number;
    readonly failed: number;
    /** PROCESSING or RETRYING: claimed, or waiting for a retry. */
    readonly inProgress: number;
    readonly total: number;
    /** Whether the counts cover every row (see CountsState); anything else is said in words. */
    readonly counts: CountsState;
    /** When a batch last wrote its changes to the counts (null: never). */
    readonly countedAt: string | null;
    /** When every row was last counted: the last recount, or the table's creation. */
    readonly baselineAt: string | null;
  };
  /** Messages in the work queue (visible, in flight, delayed): images still to finish. */
  readonly pending: number;
  readonly throughput: {
    /**
     * Images that reached DONE or REJECTED in this clock minute and the previous one (UTC), the
     * granularity of the counts: a window of 60 to 120 s (`windowSeconds`).
     */
    readonly finishedLastMinute: number;
    /** `finishedLastMinute` over `windowSeconds`. */
    readonly imagesPerSecond: number;
    readonly windowSeconds: number;
  };
  /** Seconds to drain `pending` at the last minute's rate; null when nothing moved. */
  readonly etaSeconds: number | null;
  /** Why there is no ETA, read from the queue (null when there is one). */
  readonly etaUnknownBecause: string | null;
  readonly alarms: readonly AlarmReading[];
  /** How long the reading took. */
  readonly seconds: number;
}

function reading(depth: QueueDepth): QueueReading {
  return { visible: depth.visible, inFlight: depth.inFlight, delayed: depth.delayed };
}

/** Which of CountsState a reading is in; a table with no counts at all is probed for rows. */
async function stateOf(table: ImageTable, counts: CountsReading): Promise<CountsState> {
  if (counts.baselineAt) return 'counted';
  if (counts.flushedAt) return 'since-first-flush';
  return (await table.hasImageRows()) ? 'not-initialised' : 'empty';
}

async function countImages(table: ImageTable, configHash: string | undefined, now: Date) {
  const counts = await table.counts.read(configHash, now);
  const g = counts.groups;
  const images = {
    done: g.done,
    rejected: g.rejected,
    failed: g.failed,
    inProgress: g.inProgress,
    total: g.done + g.rejected + g.failed + g.inProgress,
    counts: await stateOf(table, counts),
    countedAt: counts.flushedAt,
    baselineAt: counts.baselineAt,
  };
  const windowSeconds = 60 + (now.getTime() % 60_000) / 1000;
  const finished = counts.recent.previous.finished + counts.recent.current.finished;
  return { images, finished, windowSeconds };
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** Nothing finished in the last minute while work is pending: what the queue says about why. */
function whyNoEta(work: QueueReading): string {
  const reasons: string[] = [];
  if (work.inFlight > 0)
    reasons.push(
      `${plural(work.inFlight, 'image is', 'images are')} in flight: slow images, or held by a worker that stopped or died until their visibility timeout lapses`,
    );
  if (work.visible > 0)
    reasons.push(
      work.inFlight > 0
        ? `${work.visible} more ${work.visible === 1 ? 'waits' : 'wait'}`
        : `${plural(work.visible, 'image waits', 'images wait')} and none is in flight: is a worker running?`,
    );
  if (work.delayed > 0)
    reasons.push(
      `${plural(work.delayed, 'is', 'are')} delayed (retries waiting out their backoff)`,
    );
  return `nothing finished in the last minute; ${reasons.join('; ')}`;
}

function localAlarms(
  thresholds: BacklogThresholds,
  work: QueueReading & { oldestAgeSeconds: number | null },
  dlq: QueueReading,
  ruleDlq: QueueReading | null,
): AlarmReading[] {
  const above = (value: number | null, threshold: number): AlarmReadingState =>
    value !== null && value > threshold ? 'ALARM' : 'OK';
  const measured: Partial<Record<AlarmKey, Omit<AlarmReading, 'key' | 'title' | 'runbook'>>> = {
    workQueueDepth: {
      state: above(work.visible, thresholds.queueDepthThreshold),
      value: work.visible,
      threshold: thresholds.queueDepthThreshold,
      detail: `visible messages; on AWS it fires after ${ALARM_MINUTES.workQueueDepth} minutes above`,
    },
    workQueueAge: {
      state: above(work.oldestAgeSeconds, thresholds.backlogObjectiveSeconds),
      value: work.oldestAgeSeconds,
      threshold: thresholds.backlogObjectiveSeconds,
      detail: `seconds; on AWS it fires after ${ALARM_MINUTES.workQueueAge} minutes above`,
    },
    workDeadLetterQueue: {
      state: above(dlq.visible, 0),
      value: dlq.visible,
      threshold: 0,
      detail: 'visible dead letters',
    },
    ...(ruleDlq
      ? {
          ruleDeadLetterQueue: {
            state: above(ruleDlq.visible, 0),
            value: ruleDlq.visible,
            threshold: 0,
            detail: 'undelivered upload events',
          },
        }
      : {}),
  };
  const elsewhere: Partial<Record<AlarmKey, string>> = {
    ruleFailedInvocations: 'the local bridge delivers synchronously; failures go to the rule DLQ',
    workerErrors: 'local workers log whole-batch failures (logs/pixelmill.log)',
    workerThrottles: 'no Lambda concurrency limit locally',
    workerDuration: 'local workers log batches cut off by the deadline',
    auditGaps: 'run `pixelmill audit`',
  };
  return ALARM_KEYS.map((key) => ({
    key,
    title: ALARM_TITLES[key],
    runbook: `${RUNBOOK}#${RUNBOOK_ANCHORS[key]}`,
    ...(measured[key] ?? { state: 'NOT_MEASURED', detail: elsewhere[key] ?? 'not measured here' }),
  }));
}

export function deployedAlarms(states: readonly AlarmState[], prefix: string): AlarmReading[] {
  const byName = new Map(states.map((s) => [s.name, s]));
  return ALARM_KEYS.map((key) => {
    const found = byName.get(`${prefix}${ALARM_TITLES[key]}`);
    return {
      key,
      title: ALARM_TITLES[key],
      runbook: `${RUNBOOK}#${RUNBOOK_ANCHORS[key]}`,
      state: found?.state ?? 'NOT_MEASURED',
      threshold: found?.threshold,
      detail: found
        ? `${found.state} since ${found.since ?? '?'}: ${found.reason ?? ''}`.trim()
        : `no alarm named "${prefix}${ALARM_TITLES[key]}" in this region`,
    };
  });
}

export async function readStatus(
  sources: StatusSources,
  now = new Date(),
): Promise<PipelineStatus> {
  const started = performance.now();
  const [workDepth, dlqDepth, ruleDepth, oldestAgeSeconds, counted, deployed] = await Promise.all([
    sources.workQueue.depth(),
    sources.deadLetterQueue.depth(),
    sources.ruleDeadLetterQueue?.depth(),
    sources.oldestAgeSeconds(),
    countImages(sources.table, sources.configHash, now),
    sources.alarmStates?.(),
  ]);
  const workQueue = { ...reading(workDepth), oldestAgeSeconds };
  const deadLetterQueue = reading(dlqDepth);
  const ruleDeadLetterQueue = ruleDepth ? reading(ruleDepth) : null;
  const pending = workQueue.visible + workQueue.inFlight + workQueue.delayed;
  const imagesPerSecond = counted.finished / counted.windowSeconds;
  return {
    at: now.toISOString(),
    target: sources.target,
    workQueue,
    deadLetterQueue,
    ruleDeadLetterQueue,
    images: counted.images,
    pending,
    throughput: {
      finishedLastMinute: counted.finished,
      imagesPerSecond: Math.round(imagesPerSecond * 100) / 100,
      windowSeconds: Math.round(counted.windowSeconds),
    },
    etaSeconds:
      pending === 0 ? 0 : imagesPerSecond > 0 ? Math.ceil(pending / imagesPerSecond) : null,
    etaUnknownBecause: pending > 0 && imagesPerSecond === 0 ? whyNoEta(workQueue) : null,
    alarms: deployed
      ? deployedAlarms(deployed, sources.alarmNamePrefix ?? '')
      : localAlarms(sources.thresholds, workQueue, deadLetterQueue, ruleDeadLetterQueue),
    seconds: Math.round((performance.now() - started) / 10) / 100,
  };
}
