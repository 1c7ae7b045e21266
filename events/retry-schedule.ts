/**
 * When a record that failed transiently is received again: the worker sets its message's
 * visibility to the next wait of this schedule (ChangeMessageVisibility), so the waits, not the
 * visibility timeout, space the receives, and after `maxReceiveCount` receives SQS moves the
 * message to the DLQ.
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
 *
 * The contract: an S3, DynamoDB or network outage of up to 15 minutes (the long tail of a
 * regional incident) leaves every image in flight retrying, never in the DLQ. With waits of
 * 10 s doubling to at most 15 min, jittered ±25 %, and 8 receives, the seven waits add up to at
 * least 0.75 × 1,270 s = 15.9 min (test/unit/backoff.test.ts). The CDK stack's backlog objective
 * is the longest a message can take through all of them (`retrySpanSeconds`).
 */
export interface RetryBackoff {
  /** Wait before the second receive. */
  readonly baseSeconds: number;
  /** Each further receive waits this many times longer. */
  readonly factor: number;
  readonly maxSeconds: number;
}

/** Receives before the DLQ (the work queue's redrive policy): the topology's default. */
export const DEFAULT_MAX_RECEIVE_COUNT = 8;

export const RETRY_BACKOFF: RetryBackoff = { baseSeconds: 10, factor: 2, maxSeconds: 900 };

/**
 * `pixelmill run`'s own workers, on the cloud embedded in the same process: it has no outage to
 * outlast (a transient error there is a crash or a bug, which waiting does not mend), so an image
 * that keeps failing reaches the DLQ within about two minutes (1 + 2 + 4 + … + 30 s) and the run
 * can say so, instead of waiting out the 16 to 27 minutes meant for AWS.
 */
export const EMBEDDED_RETRY_BACKOFF: RetryBackoff = { baseSeconds: 1, factor: 2, maxSeconds: 30 };

/** The jitter: each wait is its nominal value times a factor in [1 - JITTER, 1 + JITTER). */
const JITTER = 0.25;

/** Seconds until the next receive of a record that failed on its `receiveCount`-th receive. */
export function backoffSeconds(
  backoff: RetryBackoff,
  receiveCount: number,
  random = Math.random(),
): number {
  const nominal = backoff.baseSeconds * backoff.factor ** Math.max(0, receiveCount - 1);
  const jittered = nominal * (1 - JITTER + 2 * JITTER * random);
  return Math.max(1, Math.min(backoff.maxSeconds, Math.round(jittered)));
}

/** The waits between `maxReceiveCount` receives, each at the jitter's low (`'least'`) or high end. */
export function retryWaitsSeconds(
  backoff: RetryBackoff,
  maxReceiveCount: number,
  end: 'least' | 'most',
): number[] {
  const random = end === 'least' ? 0 : 1;
  return Array.from({ length: Math.max(0, maxReceiveCount - 1) }, (_, i) =>
    backoffSeconds(backoff, i + 1, random),
  );
}

/**
 * The longest a message can take from its first receive to the DLQ: every wait at its longest,
 * and every receive taking a whole invocation (`attemptSeconds`: the function timeout and the
 * batching window) before it fails.
 */
export function retrySpanSeconds(
  backoff: RetryBackoff,
  maxReceiveCount: number,
  attemptSeconds: number,
): number {
  const waits = retryWaitsSeconds(backoff, maxReceiveCount, 'most');
  return waits.reduce((sum, w) => sum + w, 0) + maxReceiveCount * attemptSeconds;
}
