/**
 * Runs the image worker on this machine: the Lambda handler (workers/process-handler.ts) driven by
 * the local SQS event-source mapping, against the local cloud or a deployed stack's queue.
 */

import type { PixelmillConfig } from '../events/config/schema.ts';
import type { ImageRow } from '../events/image-row.ts';
import type { RetryBackoff } from '../events/retry-schedule.ts';
import { LOCAL_ACCOUNT } from '../infra/local/cloud.ts';
import { type EventSourceMapping, startEventSource } from '../infra/local/event-source.ts';
import { topology } from '../infra/topology.ts';
import { defaultLeasePolicy } from '../lib/pipeline/lease.ts';
import { defaultBatchOptions } from '../lib/pipeline/process-batch.ts';
import { createProcessHandler } from '../workers/process-handler.ts';
import type { LogFile } from './log-file.ts';
import type { ResolvedTarget } from './target.ts';
import type { TestFaults } from './test-faults.ts';

/**
 * The visibility a `pixelmill worker` receives with, and keeps its messages at while it works on
 * them: longer than a lease (so a message comes back only once its image's claim has lapsed),
 * short enough that a killed worker's images are back in seconds, not the queue's 12 minutes.
 */
export const SHORT_VISIBILITY_SECONDS = Math.ceil(defaultLeasePolicy.leaseMs / 1000) + 5;

export function startWorkers(
  t: ResolvedTarget,
  options: {
    readonly config: PixelmillConfig;
    readonly concurrency: number;
    readonly logFile: LogFile;
    readonly faults?: TestFaults | undefined;
    /** When a failed record comes back (default: the worker's, events/retry-schedule.ts). */
    readonly backoff?: RetryBackoff | undefined;
    /**
     * Hold only the messages being worked on (a batch as large as the records a batch works on
     * at once), each for SHORT_VISIBILITY_SECONDS, renewed with the lease: several workers then
     * share a backlog instead of the first one taking it all, and a worker killed with messages
     * in hand gives them back within seconds of their leases. (`pixelmill run` on the cloud it
     * runs itself, alone with its images, takes Lambda's batches and the queue's visibility
     * timeout: if it dies, so does that cloud, and the next one gives every message back.)
     */
    readonly shortLeases?: boolean | undefined;
    /**
     * Told each row these workers finish, and each they leave RETRYING (pixelmill run follows its
     * images with it).
     */
    readonly onSettled?:
      | ((row: ImageRow, stored?: ReadonlyMap<string, Buffer>) => void)
      | undefined;
  },
): EventSourceMapping {
  const handler = createProcessHandler({
    target: {
      ...t.target,
      ...(options.faults?.addMiddleware ? { addMiddleware: options.faults.addMiddleware } : {}),
    },
    uploadsBucket: t.resources.uploadsBucket,
    uploadsPrefix: t.resources.uploadsPrefix,
    renditionsBucket: t.resources.renditionsBucket,
    table: t.resources.table,
    maxReceiveCount: t.maxReceiveCount,
    config: options.config,
    // The worker's Powertools log lines and EMF metric blobs, as on Lambda, into the log file:
    // stdout is the CLI's own (`--json`).
    output: options.logFile.write,
    logKeys: { component: 'worker', pid: process.pid },
    ...(options.faults ? { onOutcome: options.faults.onRecord } : {}),
    ...(options.onSettled ? { onSettled: options.onSettled } : {}),
    ...(options.faults?.backoff || options.backoff
      ? { batch: { backoff: options.faults?.backoff ?? options.backoff } }
      : {}),
    ...(options.shortLeases ? { visibilityExtensionSeconds: SHORT_VISIBILITY_SECONDS } : {}),
  });
  const mapping = startEventSource({
    queue: t.workQueue,
    handler,
    fn: {
      functionName: 'pixelmill-worker',
      memoryMb: topology.workerMemoryMb,
      timeoutSeconds: topology.workerTimeoutSeconds,
      region: t.target.region,
      account: LOCAL_ACCOUNT,
    },
    batchSize: options.shortLeases ? defaultBatchOptions.concurrency : topology.batchSize,
    ...(options.shortLeases ? { visibilityTimeoutSeconds: SHORT_VISIBILITY_SECONDS } : {}),
    // No batching window here (Lambda's MaximumBatchingWindowInSeconds is 1 on AWS, where it
    // saves invocations): a local invocation costs nothing, and waiting for a batch to fill only
    // idles the pixel processes — ~1 s at the start of every run and again at its last batch.
    batchWindowSeconds: 0,
    concurrency: options.concurrency,
    log: options.logFile.logger('event-source'),
  });
  return {
    stats: mapping.stats,
    // The batches in hand finish first; then the pixel processes stop.
    stop: async () => {
      await mapping.stop();
      await handler.close();
    },
  };
}
