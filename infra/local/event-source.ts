/**
 * The Lambda SQS event-source mapping, run locally: long-poll the queue, gather a batch (size and
 * window from the topology), invoke the handler with a Lambda-like context, delete what
 * succeeded, and leave the rest to reappear after the visibility timeout, where SQS's redrive
 * policy moves a message to the DLQ after `maxReceiveCount` receives.
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
 *
 * Lambda's rules, kept here: a handler that throws or times out fails the whole batch; a
 * response naming an `itemIdentifier` that is not in the batch (or malformed) also fails the
 * whole batch; an empty `batchItemFailures` means every record succeeded.
 */
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { withTimeout } from '../../lib/async/with-timeout.ts';
import type { Queue, ReceivedMessage } from '../../lib/aws/queue.ts';
import { SQS_MAX_BATCH } from '../../lib/aws/queue.ts';
import { type PipelineLogger, silentLogger } from '../../lib/pipeline/log.ts';
import { createLambdaContext, type FunctionDescription } from './lambda-context.ts';

export type SqsHandler = (
  event: SQSEvent,
  context: Context,
) => Promise<SQSBatchResponse | undefined>;

export interface EventSourceOptions {
  readonly queue: Queue;
  readonly handler: SqsHandler;
  readonly fn: FunctionDescription;
  readonly batchSize: number;
  readonly batchWindowSeconds: number;
  /** Batches in flight at once (pollers). */
  readonly concurrency: number;
  /** Long-poll wait; 20 s (the maximum) unless a test wants snappier shutdowns. */
  readonly waitSeconds?: number;
  /**
   * The visibility timeout each receive asks for; the queue's own (Lambda's behaviour) when
   * absent. A short one, extended by the handler while it works, gives back the messages of a
   * consumer that died within seconds instead of minutes.
   */
  readonly visibilityTimeoutSeconds?: number;
  readonly log?: PipelineLogger;
  readonly onInvoked?: (result: InvocationResult) => void;
}

export interface InvocationResult {
  readonly records: number;
  readonly deleted: number;
  readonly failed: number;
  readonly wholeBatchFailed: boolean;
  readonly error?: string;
  readonly ms: number;
}

export interface EventSourceMapping {
  readonly stats: {
    invocations: number;
    deleted: number;
    failed: number;
    wholeBatchFailures: number;
  };
  /** Stops polling, lets running invocations finish, then resolves. */
  stop(): Promise<void>;
}

/** A received message as Lambda hands it to a handler in `event.Records`. */
export function toRecord(message: ReceivedMessage, queueArn: string, region: string): SQSRecord {
  const a = message.attributes;
  return {
    messageId: message.messageId,
    receiptHandle: message.receiptHandle,
    body: message.body,
    attributes: {
      ApproximateReceiveCount: a.ApproximateReceiveCount ?? '1',
      SentTimestamp: a.SentTimestamp ?? String(Date.now()),
      SenderId: a.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp: a.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    // As Lambda delivers them (string attributes are all pixelmill sends).
    messageAttributes: Object.fromEntries(
      Object.entries(message.messageAttributes).map(([name, value]) => [
        name,
        { stringValue: value, stringListValues: [], binaryListValues: [], dataType: 'String' },
      ]),
    ),
    md5OfBody: message.md5OfBody,
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

/** The ids Lambda would retry, or undefined when the response fails the whole batch. */
function failuresFrom(response: unknown, ids: ReadonlySet<string>): Set<string> | undefined {
  if (response === undefined || response === null) return new Set();
  if (typeof response !== 'object' || !('batchItemFailures' in response)) return new Set();
  const list = (response as { batchItemFailures: unknown }).batchItemFailures;
  if (!Array.isArray(list)) return undefined;
  const failed = new Set<string>();
  for (const item of list) {
    const id = (item as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || !ids.has(id)) return undefined;
    failed.add(id);
  }
  return failed;
}

export function startEventSource(options: EventSourceOptions): EventSourceMapping {
  const log = options.log ?? silentLogger;
  const abort = new AbortController();
  const stats = { invocations: 0, deleted: 0, failed: 0, wholeBatchFailures: 0 };
  let stopping = false;

  const receive = async (max: number, waitSeconds: number) => {
    try {
      return await options.queue.receive({
        max,
        waitSeconds,
        signal: abort.signal,
        ...(options.visibilityTimeoutSeconds !== undefined
          ? { visibilityTimeout: options.visibilityTimeoutSeconds }
          : {}),
      });
    } catch (error) {
      if (stopping) return [];
      log.warn('receive failed; polling again shortly', {
        error: error instanceof Error ? error.message : String(error),
      });
      await new Promise((resolve) => setTimeout(resolve, 1000));
      return [];
    }
  };

  const collectBatch = async (): Promise<ReceivedMessage[]> => {
    const batch = await receive(
      Math.min(SQS_MAX_BATCH, options.batchSize),
      options.waitSeconds ?? 20,
    );
    if (batch.length === 0) return batch;
    const windowEnds = Date.now() + options.batchWindowSeconds * 1000;
    while (batch.length < options.batchSize && !stopping) {
      const left = windowEnds - Date.now();
      if (left <= 0) break;
      const more = await receive(
        Math.min(SQS_MAX_BATCH, options.batchSize - batch.length),
        Math.floor(left / 1000),
      );
      if (more.length === 0) {
        if (left < 1000) await new Promise((resolve) => setTimeout(resolve, Math.min(left, 50)));
        continue;
      }
      batch.push(...more);
    }
    return batch;
  };

  const invoke = async (messages: ReceivedMessage[]) => {
    const started = Date.now();
    const records = messages.map((m) => toRecord(m, options.queue.arn, options.fn.region));
    const context = createLambdaContext(options.fn, started);
    const ids = new Set(records.map((r) => r.messageId));
    let failed: Set<string> | undefined;
    let error: string | undefined;
    try {
      const response = await withTimeout(
        options.fn.timeoutSeconds * 1000,
        () => new Error(`Task timed out after ${options.fn.timeoutSeconds} seconds`),
        () => options.handler({ Records: records }, context),
      );
      failed = failuresFrom(response, ids);
      if (!failed) error = 'invalid batchItemFailures in the response';
    } catch (caught) {
      error = caught instanceof Error ? caught.message : String(caught);
    }
    const succeeded = failed ? messages.filter((m) => !failed.has(m.messageId)) : [];
    let deleted = 0;
    for (let i = 0; i < succeeded.length; i += SQS_MAX_BATCH) {
      const chunk = succeeded.slice(i, i + SQS_MAX_BATCH).map((m) => m.receiptHandle);
      try {
        const notDeleted = await options.queue.deleteBatch(chunk);
        deleted += chunk.length - notDeleted.length;
      } catch (deleteError) {
        // The messages reappear after the visibility timeout: processed twice, never lost.
        log.warn('could not delete processed messages', {
          error: deleteError instanceof Error ? deleteError.message : String(deleteError),
        });
      }
    }
    stats.invocations++;
    stats.deleted += deleted;
    stats.failed += messages.length - succeeded.length;
    if (!failed) stats.wholeBatchFailures++;
    if (error) log.warn('invocation failed; the whole batch will be retried', { error });
    options.onInvoked?.({
      records: messages.length,
      deleted,
      failed: messages.length - succeeded.length,
      wholeBatchFailed: !failed,
      ...(error ? { error } : {}),
      ms: Date.now() - started,
    });
  };

  const poller = async () => {
    while (!stopping) {
      const batch = await collectBatch();
      if (batch.length > 0) await invoke(batch);
    }
  };

  const pollers = Array.from({ length: Math.max(1, options.concurrency) }, poller);
  const done = Promise.all(pollers).then(() => undefined);
  return {
    stats,
    stop() {
      stopping = true;
      abort.abort();
      return done;
    },
  };
}
