/**
 * The local cloud's stand-in for the SQS metrics CloudWatch has on AWS: the one number SQS's API
 * does not give, the age of the oldest message, with the depths beside it. The local cloud
 * (infra/local/cloud.ts) serves it at LOCAL_QUEUE_METRICS_PATH; `pixelmill status` reads it.
 * ApproximateAgeOfOldestMessage counts every message not deleted, in flight ones included.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html
 */
import { z } from 'zod';
import { AwsAdapterError } from './errors.ts';

export const LOCAL_QUEUE_METRICS_PATH = '/_pixelmill/queues';

const localQueueMetricsSchema = z.object({
  name: z.string(),
  visible: z.int().min(0),
  inFlight: z.int().min(0),
  delayed: z.int().min(0),
  /** Epoch ms the oldest message not deleted was sent, or null when the queue is empty. */
  oldestSentAt: z.number().nullable(),
});
export type LocalQueueMetrics = z.infer<typeof localQueueMetricsSchema>;

export async function fetchLocalQueueMetrics(endpoint: string): Promise<LocalQueueMetrics[]> {
  const url = new URL(LOCAL_QUEUE_METRICS_PATH, endpoint);
  let body: unknown;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    body = await response.json();
  } catch (error) {
    throw new AwsAdapterError(
      `GET ${url.href}`,
      'LocalMetricsUnavailable',
      error instanceof Error ? error.message : String(error),
      { cause: error },
    );
  }
  return z.array(localQueueMetricsSchema).parse(body);
}
