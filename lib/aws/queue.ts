/** SQS adapter: one queue, the calls pixelmill makes on it. */
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { adapted, toAdapterError } from './errors.ts';

export interface ReceivedMessage {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  readonly md5OfBody: string;
  /** SQS system attributes: ApproximateReceiveCount, SentTimestamp, … */
  readonly attributes: Readonly<Record<string, string>>;
  /** String message attributes set by the sender. */
  readonly messageAttributes: Readonly<Record<string, string>>;
}

export interface QueueSettings {
  readonly visibilityTimeoutSeconds: number;
  readonly deadLetterTargetArn?: string;
  readonly maxReceiveCount?: number;
}

export interface QueueDepth {
  /** ApproximateNumberOfMessages: ready to be received. */
  readonly visible: number;
  /** ApproximateNumberOfMessagesNotVisible: received, not yet deleted. */
  readonly inFlight: number;
  readonly delayed: number;
}

function toReceived(m: Message): ReceivedMessage | undefined {
  if (!m.MessageId || !m.ReceiptHandle || m.Body === undefined) return undefined;
  return {
    messageId: m.MessageId,
    receiptHandle: m.ReceiptHandle,
    body: m.Body,
    md5OfBody: m.MD5OfBody ?? '',
    attributes: { ...(m.Attributes ?? {}) },
    messageAttributes: Object.fromEntries(
      Object.entries(m.MessageAttributes ?? {})
        .filter(([, v]) => v.StringValue !== undefined)
        .map(([k, v]) => [k, v.StringValue ?? '']),
    ),
  };
}

/**
 * The queue URL for a queue ARN (`arn:<partition>:sqs:<region>:<account>:<name>`), as SQS forms
 * it: `https://sqs.<region>.<the partition's DNS suffix>/<account>/<name>`. The suffix differs by
 * partition (`amazonaws.com`, `amazonaws.com.cn`, `c2s.ic.gov`, …), so the host is SQS's own
 * endpoint for the region as the SDK's endpoint rules resolve it (`endpointFor`), never assumed.
 * The local cloud resolves a queue by region and name from the URL's path, so the same URL works
 * there. https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-queue-message-identifiers.html
 */
export function queueUrlFromArn(arn: string, endpointFor: (region: string) => string): string {
  const [, partition, service, region, account, name] = arn.split(':');
  if (!partition || service !== 'sqs' || !region || !account || !name) {
    throw new Error(`Expected an SQS queue ARN but received ${JSON.stringify(arn)}`);
  }
  const host = new URL(endpointFor(region));
  return `${host.protocol}//${host.host}/${account}/${name}`;
}

/** SQS's public endpoint in `region`, from the client's endpoint rules (every partition's). */
export function sqsEndpointFor(sqs: SQSClient): (region: string) => string {
  const provider = sqs.config.endpointProvider;
  return (region) => provider({ Region: region, UseFIPS: false, UseDualStack: false }).url.href;
}

/** Largest batch SQS accepts in SendMessageBatch / DeleteMessageBatch / ReceiveMessage. */
export const SQS_MAX_BATCH = 10;

export class Queue {
  readonly #sqs: SQSClient;
  readonly url: string;
  readonly arn: string;

  constructor(sqs: SQSClient, url: string, arn: string) {
    this.#sqs = sqs;
    this.url = url;
    this.arn = arn;
  }

  /** Finds a queue by name, as a deployed function would from its configuration. */
  static async byName(sqs: SQSClient, name: string): Promise<Queue> {
    return adapted(`GetQueueUrl ${name}`, async () => {
      const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
      if (!QueueUrl) throw new Error(`no URL returned for ${name}`);
      const attrs = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
      );
      return new Queue(sqs, QueueUrl, attrs.Attributes?.QueueArn ?? '');
    });
  }

  /** Creates the queue if missing (attributes are applied on creation). */
  static async ensure(
    sqs: SQSClient,
    name: string,
    attributes: Record<string, string>,
  ): Promise<Queue> {
    try {
      await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
    } catch (error) {
      const code = (error as { name?: string }).name;
      // An existing queue with other attributes: keep it, its messages matter more.
      if (code !== 'QueueNameExists' && code !== 'QueueAlreadyExists') {
        throw toAdapterError(`CreateQueue ${name}`, error);
      }
    }
    return Queue.byName(sqs, name);
  }

  async send(
    body: string,
    options: { delaySeconds?: number; attributes?: Readonly<Record<string, string>> } = {},
  ): Promise<string> {
    return adapted(`SendMessage ${this.url}`, async () => {
      const r = await this.#sqs.send(
        new SendMessageCommand({
          QueueUrl: this.url,
          MessageBody: body,
          DelaySeconds: options.delaySeconds,
          ...(options.attributes
            ? {
                MessageAttributes: Object.fromEntries(
                  Object.entries(options.attributes).map(([k, v]) => [
                    k,
                    { DataType: 'String', StringValue: v },
                  ]),
                ),
              }
            : {}),
        }),
      );
      return r.MessageId ?? '';
    });
  }

  /** Sends up to 10 bodies; returns the indexes that failed. */
  async sendBatch(bodies: readonly string[]): Promise<number[]> {
    return this.#batch('SendMessageBatch', bodies.length, () =>
      this.#sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: this.url,
          Entries: bodies.map((body, i) => ({ Id: String(i), MessageBody: body })),
        }),
      ),
    );
  }

  async receive(options: {
    max: number;
    waitSeconds: number;
    visibilityTimeout?: number;
    signal?: AbortSignal;
  }): Promise<ReceivedMessage[]> {
    return adapted(`ReceiveMessage ${this.url}`, async () => {
      const r = await this.#sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.url,
          MaxNumberOfMessages: Math.min(SQS_MAX_BATCH, options.max),
          WaitTimeSeconds: options.waitSeconds,
          VisibilityTimeout: options.visibilityTimeout,
          MessageSystemAttributeNames: ['All'],
          MessageAttributeNames: ['All'],
        }),
        options.signal ? { abortSignal: options.signal } : {},
      );
      return (r.Messages ?? []).map(toReceived).filter((m) => m !== undefined);
    });
  }

  /** Deletes up to 10 messages; returns the receipt handles that failed. */
  async deleteBatch(receiptHandles: readonly string[]): Promise<string[]> {
    const failed = await this.#batch('DeleteMessageBatch', receiptHandles.length, () =>
      this.#sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.url,
          Entries: receiptHandles.map((h, i) => ({ Id: String(i), ReceiptHandle: h })),
        }),
      ),
    );
    return failed.map((i) => receiptHandles[i] ?? '');
  }

  /**
   * One batch call of `count` entries whose Ids are their indexes (an Id need only be unique in
   * its batch); returns the indexes the response lists as Failed. A batch call can succeed with
   * some entries failed:
   * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html
   */
  async #batch(
    action: string,
    count: number,
    call: () => Promise<{ Failed?: readonly { Id?: string | undefined }[] | undefined }>,
  ): Promise<number[]> {
    if (count === 0) return [];
    return adapted(`${action} ${this.url}`, async () =>
      ((await call()).Failed ?? []).map((f) => Number(f.Id)),
    );
  }

  /**
   * Changes when a received message becomes visible again. Never pass 0 to the local cloud: with
   * persistence on, fauxqs 2.4.1 loses such a message until restart (see DESIGN.md).
   */
  async changeVisibility(receiptHandle: string, seconds: number): Promise<void> {
    return adapted(`ChangeMessageVisibility ${this.url}`, async () => {
      await this.#sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: this.url,
          ReceiptHandle: receiptHandle,
          VisibilityTimeout: seconds,
        }),
      );
    });
  }

  /** The queue's visibility timeout and redrive policy (where failed messages go). */
  async settings(): Promise<QueueSettings> {
    return adapted(`GetQueueAttributes ${this.url}`, async () => {
      const r = await this.#sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: this.url,
          AttributeNames: ['VisibilityTimeout', 'RedrivePolicy'],
        }),
      );
      const a = r.Attributes ?? {};
      const policy = a.RedrivePolicy
        ? (JSON.parse(a.RedrivePolicy) as {
            deadLetterTargetArn?: string;
            maxReceiveCount?: number | string;
          })
        : {};
      return {
        visibilityTimeoutSeconds: Number(a.VisibilityTimeout ?? 30),
        ...(policy.deadLetterTargetArn ? { deadLetterTargetArn: policy.deadLetterTargetArn } : {}),
        ...(policy.maxReceiveCount !== undefined
          ? { maxReceiveCount: Number(policy.maxReceiveCount) }
          : {}),
      };
    });
  }

  async setAttributes(attributes: Record<string, string>): Promise<void> {
    return adapted(`SetQueueAttributes ${this.url}`, async () => {
      await this.#sqs.send(
        new SetQueueAttributesCommand({ QueueUrl: this.url, Attributes: attributes }),
      );
    });
  }

  async depth(): Promise<QueueDepth> {
    return adapted(`GetQueueAttributes ${this.url}`, async () => {
      const r = await this.#sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: this.url,
          AttributeNames: [
            'ApproximateNumberOfMessages',
            'ApproximateNumberOfMessagesNotVisible',
            'ApproximateNumberOfMessagesDelayed',
          ],
        }),
      );
      const a = r.Attributes ?? {};
      return {
        visible: Number(a.ApproximateNumberOfMessages ?? 0),
        inFlight: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0),
        delayed: Number(a.ApproximateNumberOfMessagesDelayed ?? 0),
      };
    });
  }
}
