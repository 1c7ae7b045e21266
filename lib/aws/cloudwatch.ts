/**
 * What `pixelmill status --stack` reads from CloudWatch: the work queue's age of oldest message
 * (SQS's API does not give it; CloudWatch has it, at one-minute resolution) and the states of the
 * pipeline's alarms (by their name prefix, a stack output).
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html
 */
import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
} from '@aws-sdk/client-cloudwatch';
import { toAdapterError } from './errors.ts';
import type { AwsTarget } from './target.ts';

export interface AlarmState {
  readonly name: string;
  readonly state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  readonly reason: string | undefined;
  readonly threshold: number | undefined;
  readonly metric: string | undefined;
  readonly since: string | undefined;
}

/** The subset of the SDK client used here (a stand-in for AWS in unit tests). */
export interface CloudWatchSender {
  send(command: GetMetricDataCommand | DescribeAlarmsCommand): Promise<unknown>;
  destroy(): void;
}

export class CloudWatchReader {
  readonly #client: CloudWatchSender;

  constructor(target: AwsTarget, client?: CloudWatchSender) {
    this.#client =
      client ??
      (new CloudWatchClient({
        region: target.region,
        ...(target.credentials ? { credentials: target.credentials } : {}),
      }) as CloudWatchSender);
  }

  /**
   * The newest one-minute Maximum of `ApproximateAgeOfOldestMessage` in the last 15 minutes, in
   * seconds; null when SQS reported nothing (an idle queue stops reporting).
   */
  async oldestMessageAgeSeconds(queueName: string, now = new Date()): Promise<number | null> {
    try {
      const r = (await this.#client.send(
        new GetMetricDataCommand({
          StartTime: new Date(now.getTime() - 15 * 60_000),
          EndTime: now,
          ScanBy: 'TimestampDescending',
          MetricDataQueries: [
            {
              Id: 'age',
              MetricStat: {
                Metric: {
                  Namespace: 'AWS/SQS',
                  MetricName: 'ApproximateAgeOfOldestMessage',
                  Dimensions: [{ Name: 'QueueName', Value: queueName }],
                },
                Period: 60,
                Stat: 'Maximum',
              },
            },
          ],
        }),
      )) as { MetricDataResults?: { Values?: number[] }[] };
      const value = r.MetricDataResults?.[0]?.Values?.[0];
      return value === undefined ? null : value;
    } catch (error) {
      throw toAdapterError(`GetMetricData ${queueName}`, error);
    }
  }

  /** Every metric alarm whose name starts with `prefix`. */
  async alarms(prefix: string): Promise<AlarmState[]> {
    const found: AlarmState[] = [];
    let next: string | undefined;
    try {
      do {
        const r = (await this.#client.send(
          new DescribeAlarmsCommand({
            AlarmNamePrefix: prefix,
            AlarmTypes: ['MetricAlarm'],
            NextToken: next,
          }),
        )) as {
          MetricAlarms?: {
            AlarmName?: string;
            StateValue?: string;
            StateReason?: string;
            Threshold?: number;
            MetricName?: string;
            StateUpdatedTimestamp?: Date;
          }[];
          NextToken?: string;
        };
        for (const a of r.MetricAlarms ?? []) {
          if (!a.AlarmName) continue;
          found.push({
            name: a.AlarmName,
            state:
              a.StateValue === 'ALARM' || a.StateValue === 'OK'
                ? a.StateValue
                : 'INSUFFICIENT_DATA',
            reason: a.StateReason,
            threshold: a.Threshold,
            metric: a.MetricName,
            since: a.StateUpdatedTimestamp?.toISOString(),
          });
        }
        next = r.NextToken;
      } while (next);
    } catch (error) {
      throw toAdapterError(`DescribeAlarms ${prefix}`, error);
    }
    return found;
  }

  destroy(): void {
    this.#client.destroy();
  }
}
