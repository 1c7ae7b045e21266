/**
 * What the gateway adds to fauxqs so that it answers as S3 and SQS do, each fix with the
 * behaviour it corrects (found by tests and benchmarks against the real services' documented
 * contracts), and the queue metrics route `pixelmill status` reads locally.
 */
import type { FastifyInstance } from 'fastify';
import {
  LOCAL_QUEUE_METRICS_PATH,
  type LocalQueueMetrics,
} from '../../lib/aws/local-queue-metrics.ts';
import type { PipelineLogger } from '../../lib/pipeline/log.ts';
import type { FauxqsQueue, FauxqsSqsMessage, FauxqsSqsStore } from './fauxqs-internals.ts';

function queueMetrics(queue: FauxqsQueue): LocalQueueMetrics {
  let oldest: number | null = null;
  const consider = (m: FauxqsSqsMessage) => {
    if (oldest === null || m.sentTimestamp < oldest) oldest = m.sentTimestamp;
  };
  queue.messages.forEach(consider);
  queue.delayedMessages.forEach(consider);
  for (const entry of queue.inflightMessages.values()) consider(entry.message);
  return {
    name: queue.name,
    visible: queue.messages.length,
    inFlight: queue.inflightMessages.size,
    delayed: queue.delayedMessages.length,
    oldestSentAt: oldest,
  };
}

/** Makes the messages in an unread ReceiveMessage answer visible again; returns how many. */
function releaseUnread(store: FauxqsSqsStore, body: unknown, payload: unknown): number {
  const url = (body as { QueueUrl?: unknown } | null)?.QueueUrl;
  if (typeof url !== 'string' || typeof payload !== 'string') return 0;
  const queue = store.getQueue(url);
  let answer: { Messages?: { ReceiptHandle?: unknown }[] };
  try {
    answer = JSON.parse(payload) as typeof answer;
  } catch {
    return 0;
  }
  let released = 0;
  for (const message of answer.Messages ?? []) {
    if (queue && typeof message.ReceiptHandle === 'string') {
      queue.changeVisibility(message.ReceiptHandle, 1);
      released++;
    }
  }
  return released;
}

export function addEmulatorFixes(
  app: FastifyInstance,
  sqsStore: FauxqsSqsStore,
  log: PipelineLogger,
): void {
  // A long poll outlives the client that gave up on it (a worker stopped mid-poll): fauxqs
  // still dequeues a message that arrives during the wait and answers a closed socket, and the
  // message would stay invisible for the whole visibility timeout (12 minutes) with nobody
  // holding it. Answers nobody will read put their messages back after a second.
  app.addHook('onSend', (request, reply, payload, done) => {
    // Not `request.raw.destroyed`: Node sets that once the request body has been read.
    if (
      request.headers['x-amz-target'] === 'AmazonSQS.ReceiveMessage' &&
      (reply.raw.destroyed || request.raw.socket?.destroyed !== false)
    ) {
      const released = releaseUnread(sqsStore, request.body, payload);
      if (released > 0)
        log.info('released messages received for a client that had gone', { released });
    }
    done(null, payload);
  });
  // fauxqs answers a HEAD it cannot find with neither Content-Length nor chunked encoding, and
  // Node's HTTP client then cannot tell where the message ends, so it closes the connection:
  // every "is it already there?" check of a new key paid for a new TCP connection.
  app.addHook('onSend', (request, reply, payload, done) => {
    // On the raw response: Fastify leaves Content-Length off every bodiless HEAD answer.
    if (request.method === 'HEAD' && !reply.hasHeader('content-length'))
      reply.raw.setHeader('content-length', '0');
    done(null, payload);
  });
  // An XML parser reads a raw CR as LF, so a key with a CR came back from a listing as another
  // key. S3 sends it as `&#13;`; fauxqs's XML escaping does not, and writes no CR of its own.
  // https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html#object-key-xml-related-constraints
  app.addHook('onSend', (_request, reply, payload, done) => {
    const type = reply.getHeader('content-type');
    const xmlWithCr =
      typeof payload === 'string' &&
      payload.includes('\r') &&
      typeof type === 'string' &&
      type.includes('xml');
    done(null, xmlWithCr ? payload.replaceAll('\r', '&#13;') : payload);
  });
  // SQS counts a message whose visibility timeout has lapsed as visible at once; fauxqs moves it
  // back only when someone receives from its queue, so a DLQ that nobody polls reported the
  // messages `dlq list` had released as in flight for good (and its alarm condition as OK).
  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_GetQueueAttributes.html
  app.addHook('onRequest', (request, _reply, done) => {
    if (request.headers['x-amz-target'] === 'AmazonSQS.GetQueueAttributes')
      sqsStore.processAllTimers();
    done();
  });
  app.get(LOCAL_QUEUE_METRICS_PATH, async (): Promise<LocalQueueMetrics[]> => {
    sqsStore.processAllTimers();
    return [...sqsStore.allQueues()].map(queueMetrics);
  });
}
