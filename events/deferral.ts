/**
 * A record the invocation ran out of time for is not the image's failure: it was waiting behind
 * its batch's other records (on a busy worker, behind images that each spend their whole CPU
 * budget). SQS counts every receive towards `maxReceiveCount` all the same, so an image that only
 * waited its turn could reach the DLQ. When such a record is on its last receives, the worker
 * sends a copy of its message (a new message, counted from one) and acknowledges the original;
 * the copy carries how many times this happened, and past `MAX_DEFERRALS` the record takes the
 * ordinary way (retries, then the DLQ with its last error), so nothing circles forever.
 */
export const DEFERRAL_ATTRIBUTE = 'pixelmill-deferrals';

/** Copies of one message a worker may make before the DLQ is allowed to have it. */
export const MAX_DEFERRALS = 10;

/**
 * The message attributes of an SQS record as Lambda delivers them.
 * https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html#example-standard-queue-message-event
 */
export type RecordMessageAttributes = Readonly<
  Record<string, { readonly stringValue?: string | undefined } | undefined>
>;

/** How many times this message was already deferred (0 for an original message). */
export function deferralsOf(attributes: RecordMessageAttributes | undefined): number {
  const value = attributes?.[DEFERRAL_ATTRIBUTE]?.stringValue;
  const count = value === undefined ? 0 : Number(value);
  return Number.isInteger(count) && count >= 0 ? count : 0;
}
