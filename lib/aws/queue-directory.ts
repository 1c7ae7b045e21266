/**
 * Queues a worker meets by ARN (a record's `eventSourceARN`), with their settings read once: the
 * visibility timeout (for the heartbeat) and the redrive policy's DLQ (for messages that can
 * never succeed). The function's role has sqs:GetQueueAttributes through its event source.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { Queue, type QueueSettings, queueUrlFromArn, sqsEndpointFor } from './queue.ts';

interface Entry {
  readonly queue: Queue;
  settings?: Promise<QueueSettings>;
}

export class QueueDirectory {
  readonly #sqs: SQSClient;
  readonly #entries = new Map<string, Entry>();

  constructor(sqs: SQSClient) {
    this.#sqs = sqs;
  }

  #entry(arn: string): Entry {
    let entry = this.#entries.get(arn);
    if (!entry) {
      entry = { queue: new Queue(this.#sqs, queueUrlFromArn(arn, sqsEndpointFor(this.#sqs)), arn) };
      this.#entries.set(arn, entry);
    }
    return entry;
  }

  queue(arn: string): Queue {
    return this.#entry(arn).queue;
  }

  settings(arn: string): Promise<QueueSettings> {
    const entry = this.#entry(arn);
    entry.settings ??= entry.queue.settings().catch((error: unknown) => {
      entry.settings = undefined;
      throw error;
    });
    return entry.settings;
  }

  /** The queue's DLQ, from its redrive policy; undefined when it has none. */
  async deadLetterQueue(arn: string): Promise<Queue | undefined> {
    const target = (await this.settings(arn)).deadLetterTargetArn;
    return target ? this.queue(target) : undefined;
  }
}
