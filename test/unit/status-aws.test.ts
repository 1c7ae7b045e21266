/**
 * What `pixelmill status --stack` reads from CloudWatch. CloudWatch cannot run here, so the SDK
 * client is replaced by a stand-in that records the requests and answers as CloudWatch's API
 * reference documents; everything else is the real code.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DescribeAlarmsCommand, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { ALARM_KEYS, ALARM_TITLES, alarmNamePrefix } from '../../events/alarm-conditions.ts';
import { CloudWatchReader, type CloudWatchSender } from '../../lib/aws/cloudwatch.ts';
import { deployedAlarms } from '../../lib/ops/status.ts';

function standIn(answers: unknown[]): CloudWatchSender & { requests: unknown[] } {
  const requests: unknown[] = [];
  return {
    requests,
    async send(command) {
      requests.push(command);
      return answers.shift();
    },
    destroy() {},
  };
}

describe('status on AWS', () => {
  it('reads the age of the oldest message as the newest one-minute maximum', async () => {
    const cw = standIn([{ MetricDataResults: [{ Id: 'age', Values: [412, 380, 300] }] }]);
    const reader = new CloudWatchReader({ region: 'eu-west-1' }, cw);
    const now = new Date('2026-11-26T12:00:00Z');
    assert.equal(await reader.oldestMessageAgeSeconds('pixelmill-work-abc', now), 412);
    const request = cw.requests[0];
    assert.ok(request instanceof GetMetricDataCommand);
    const query = request.input.MetricDataQueries?.[0]?.MetricStat;
    assert.deepEqual(
      [query?.Metric?.MetricName, query?.Metric?.Dimensions, query?.Stat, query?.Period],
      [
        'ApproximateAgeOfOldestMessage',
        [{ Name: 'QueueName', Value: 'pixelmill-work-abc' }],
        'Maximum',
        60,
      ],
    );
    assert.equal(request.input.ScanBy, 'TimestampDescending');
    assert.equal(request.input.EndTime?.getTime(), now.getTime());
  });

  it('says "no data" when an idle queue reported nothing', async () => {
    const reader = new CloudWatchReader(
      { region: 'eu-west-1' },
      standIn([{ MetricDataResults: [{ Id: 'age', Values: [] }] }]),
    );
    assert.equal(await reader.oldestMessageAgeSeconds('q'), null);
  });

  it('finds every alarm by the stack’s prefix, across pages, and maps each condition', async () => {
    const prefix = alarmNamePrefix('Pixelmill/Pipeline');
    const alarm = (key: (typeof ALARM_KEYS)[number], state: string) => ({
      AlarmName: `${prefix}${ALARM_TITLES[key]}`,
      StateValue: state,
      StateReason: 'Threshold Crossed',
      Threshold: 0,
      MetricName: 'ApproximateNumberOfMessagesVisible',
      StateUpdatedTimestamp: new Date('2026-11-26T11:00:00Z'),
    });
    const cw = standIn([
      { MetricAlarms: [alarm('workDeadLetterQueue', 'ALARM')], NextToken: 'page2' },
      { MetricAlarms: [alarm('workQueueDepth', 'OK'), alarm('auditGaps', 'INSUFFICIENT_DATA')] },
    ]);
    const states = await new CloudWatchReader({ region: 'eu-west-1' }, cw).alarms(prefix);
    assert.equal(cw.requests.length, 2);
    const [first, second] = cw.requests;
    assert.ok(first instanceof DescribeAlarmsCommand && second instanceof DescribeAlarmsCommand);
    assert.deepEqual(
      [first.input.AlarmNamePrefix, first.input.NextToken, second.input.NextToken],
      [prefix, undefined, 'page2'],
    );
    const readings = deployedAlarms(states, prefix);
    assert.deepEqual(
      readings.map((r) => r.key),
      [...ALARM_KEYS],
    );
    const byKey = Object.fromEntries(readings.map((r) => [r.key, r.state]));
    assert.equal(byKey.workDeadLetterQueue, 'ALARM');
    assert.equal(byKey.workQueueDepth, 'OK');
    assert.equal(byKey.auditGaps, 'INSUFFICIENT_DATA');
    assert.equal(byKey.workerErrors, 'NOT_MEASURED', 'an alarm the stack lacks is said so');
    assert.match(
      readings.find((r) => r.key === 'workDeadLetterQueue')?.runbook ?? '',
      /^docs\/aws\.md#work-dlq-not-empty$/,
    );
  });
});
