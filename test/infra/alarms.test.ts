import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Stack, aws_sns as sns } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import {
  ALARM_TITLES,
  AUDIT_HEALTH_ANCHORS,
  AUDIT_HEALTH_TITLES,
  alarmNamePrefix,
} from '../../events/alarm-conditions.ts';
import { ImagePipeline } from '../../infra/cdk/image-pipeline.ts';
import { REPO_ROOT } from '../../infra/cdk/paths.ts';
import {
  ALARM_KEYS,
  type AlarmKey,
  AUDIT_HEALTH_KEYS,
  RUNBOOK,
  RUNBOOK_ANCHORS,
} from '../../infra/cdk/pipeline-alarms.ts';
import {
  at,
  buildPipeline,
  isRecord,
  type PipelineUnderTest,
  propertiesOf,
  propertiesOfType,
  ref,
  STUB_WORKER_ENTRY,
  testApp,
} from './pipeline-under-test.ts';

interface ExpectedAlarm {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Record<string, unknown>;
  readonly statistic: string;
  readonly period: number;
  readonly threshold: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm?: number;
}

function expectedAlarms(p: PipelineUnderTest): Record<AlarmKey, ExpectedAlarm> {
  const { pipeline } = p;
  const queueName = (construct: Parameters<typeof ref>[1]) => ({
    QueueName: { 'Fn::GetAtt': [ref(p, construct).Ref, 'QueueName'] },
  });
  const fn = { FunctionName: ref(p, pipeline.worker.function) };
  return {
    workQueueDepth: {
      namespace: 'AWS/SQS',
      metricName: 'ApproximateNumberOfMessagesVisible',
      dimensions: queueName(pipeline.workQueues.queue),
      statistic: 'Maximum',
      period: 60,
      // 10 workers × min(2048 MB / 1769 MB, 2) vCPU / 0.62 s per image × 2550 s.
      threshold: 47616,
      evaluationPeriods: 5,
      datapointsToAlarm: 5,
    },
    workQueueAge: {
      namespace: 'AWS/SQS',
      metricName: 'ApproximateAgeOfOldestMessage',
      dimensions: queueName(pipeline.workQueues.queue),
      statistic: 'Maximum',
      period: 60,
      // The retry span: 8 receives of an invocation each (a sixth of the 721 s visibility
      // timeout) and the 7 waits between them at their longest (13 + 25 + … + 800 s).
      threshold: 2550,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
    },
    workDeadLetterQueue: {
      namespace: 'AWS/SQS',
      metricName: 'ApproximateNumberOfMessagesVisible',
      dimensions: queueName(pipeline.workQueues.deadLetterQueue),
      statistic: 'Maximum',
      period: 60,
      threshold: 0,
      evaluationPeriods: 1,
    },
    ruleDeadLetterQueue: {
      namespace: 'AWS/SQS',
      metricName: 'ApproximateNumberOfMessagesVisible',
      dimensions: queueName(pipeline.route.deadLetterQueue),
      statistic: 'Maximum',
      period: 60,
      threshold: 0,
      evaluationPeriods: 1,
    },
    ruleFailedInvocations: {
      namespace: 'AWS/Events',
      metricName: 'FailedInvocations',
      dimensions: { RuleName: ref(p, pipeline.route.rule) },
      statistic: 'Sum',
      period: 300,
      threshold: 0,
      evaluationPeriods: 1,
    },
    workerErrors: {
      namespace: 'AWS/Lambda',
      metricName: 'Errors',
      dimensions: fn,
      statistic: 'Sum',
      period: 300,
      threshold: 0,
      evaluationPeriods: 1,
    },
    workerThrottles: {
      namespace: 'AWS/Lambda',
      metricName: 'Throttles',
      dimensions: fn,
      statistic: 'Sum',
      period: 300,
      threshold: 0,
      evaluationPeriods: 1,
    },
    workerDuration: {
      namespace: 'AWS/Lambda',
      metricName: 'Duration',
      dimensions: fn,
      statistic: 'Maximum',
      period: 300,
      // 0.8 × the 120 s timeout, in milliseconds.
      threshold: 96000,
      evaluationPeriods: 1,
    },
    auditGaps: {
      namespace: 'Pixelmill',
      metricName: 'AuditGaps',
      dimensions: { service: 'PipelineUnderTest/Pipeline' },
      statistic: 'Maximum',
      period: 3600,
      threshold: 0,
      evaluationPeriods: 1,
    },
  };
}

function dimensionsOf(alarm: Record<string, unknown>): Record<string, unknown> {
  const list = alarm.Dimensions;
  assert.ok(Array.isArray(list));
  return Object.fromEntries(
    list.map((d) => {
      assert.ok(isRecord(d));
      return [String(d.Name), d.Value];
    }),
  );
}

describe('alarms', () => {
  const p = buildPipeline({ alarms: { email: 'oncall@example.com' } });
  const { pipeline } = p;
  const expected = expectedAlarms(p);
  const topic = ref(p, pipeline.alarmTopic);

  for (const key of ALARM_KEYS) {
    it(`${key}: metric, statistic, threshold, missing data not breaching, notifies the topic`, () => {
      const alarm = propertiesOf(p, pipeline.alarms.alarms[key]);
      const want = expected[key];
      assert.equal(alarm.Namespace, want.namespace);
      assert.equal(alarm.MetricName, want.metricName);
      assert.deepEqual(dimensionsOf(alarm), want.dimensions);
      assert.equal(alarm.Statistic, want.statistic);
      assert.equal(alarm.Period, want.period);
      assert.equal(alarm.Threshold, want.threshold);
      assert.equal(alarm.ComparisonOperator, 'GreaterThanThreshold');
      assert.equal(alarm.EvaluationPeriods, want.evaluationPeriods);
      assert.equal(alarm.DatapointsToAlarm, want.datapointsToAlarm);
      assert.equal(alarm.TreatMissingData, 'notBreaching');
      assert.deepEqual(alarm.AlarmActions, [topic]);
      assert.deepEqual(alarm.OKActions, [topic]);
      assert.match(
        String(alarm.AlarmDescription),
        new RegExp(`docs/aws.md#${RUNBOOK_ANCHORS[key]}$`),
      );
      // `pixelmill status --stack` finds each alarm by exactly this name.
      assert.equal(
        alarm.AlarmName,
        `${alarmNamePrefix(pipeline.settings.serviceName)}${ALARM_TITLES[key]}`,
      );
      assert.match(String(alarm.AlarmName), /^pixelmill PipelineUnderTest\/Pipeline: /);
    });
  }

  it('points each alarm at a section of the operator runbook that exists', () => {
    const doc = readFileSync(join(REPO_ROOT, RUNBOOK), 'utf8');
    // GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens.
    const anchors = [...doc.matchAll(/^#{2,3} (.+)$/gm)].map((m) =>
      (m[1] ?? '')
        .toLowerCase()
        .replace(/[^a-z0-9 -]/g, '')
        .replaceAll(' ', '-'),
    );
    assert.ok(anchors.includes('operator-runbook'));
    for (const key of ALARM_KEYS) {
      assert.ok(anchors.includes(RUNBOOK_ANCHORS[key]), `${RUNBOOK}#${RUNBOOK_ANCHORS[key]}`);
    }
  });

  it('creates exactly these alarms', () => {
    assert.equal(
      propertiesOfType(p, 'AWS::CloudWatch::Alarm').length,
      ALARM_KEYS.length + AUDIT_HEALTH_KEYS.length,
    );
  });

  it('auditErrors: fires when the audit function fails, over one schedule interval', () => {
    const alarm = propertiesOf(p, pipeline.alarms.auditHealth.auditErrors);
    assert.equal(alarm.Namespace, 'AWS/Lambda');
    assert.equal(alarm.MetricName, 'Errors');
    assert.deepEqual(dimensionsOf(alarm), { FunctionName: ref(p, pipeline.audit.function) });
    assert.equal(alarm.Statistic, 'Sum');
    assert.equal(alarm.Period, 3600, 'the default hourly schedule');
    assert.equal(alarm.Threshold, 0);
    assert.equal(alarm.ComparisonOperator, 'GreaterThanThreshold');
    assert.equal(alarm.EvaluationPeriods, 1);
    assert.equal(alarm.TreatMissingData, 'notBreaching');
    assert.deepEqual(alarm.AlarmActions, [topic]);
    assert.deepEqual(alarm.OKActions, [topic]);
    assert.equal(
      alarm.AlarmName,
      `${alarmNamePrefix(pipeline.settings.serviceName)}${AUDIT_HEALTH_TITLES.auditErrors}`,
    );
  });

  it('auditSilent: fires when no audit result arrives for two intervals (missing data breaches)', () => {
    const alarm = propertiesOf(p, pipeline.alarms.auditHealth.auditSilent);
    assert.equal(alarm.Namespace, 'Pixelmill');
    assert.equal(alarm.MetricName, 'AuditGaps', 'every run that ends well publishes it');
    assert.deepEqual(dimensionsOf(alarm), { service: 'PipelineUnderTest/Pipeline' });
    assert.equal(alarm.Statistic, 'SampleCount');
    assert.equal(alarm.Threshold, 1);
    assert.equal(alarm.ComparisonOperator, 'LessThanThreshold');
    // A window longer than the schedule: two whole intervals without one datapoint.
    assert.equal(alarm.Period, 3600);
    assert.equal(alarm.EvaluationPeriods, 2);
    assert.equal(alarm.DatapointsToAlarm, 2);
    assert.equal(alarm.TreatMissingData, 'breaching');
    assert.deepEqual(alarm.AlarmActions, [topic]);
    assert.deepEqual(alarm.OKActions, [topic]);
    // The window follows the schedule.
    const daily = buildPipeline({ audit: { intervalMinutes: 1440 } });
    const dailyAlarm = propertiesOf(daily, daily.pipeline.alarms.auditHealth.auditSilent);
    assert.equal(dailyAlarm.Period, 86_400);
    assert.equal(propertiesOf(daily, daily.pipeline.alarms.auditHealth.auditErrors).Period, 86_400);
    // CloudWatch's limit: period × evaluation periods at most 7 days (1 day below an hour).
    const quick = buildPipeline({ audit: { intervalMinutes: 5 } });
    const quickAlarm = propertiesOf(quick, quick.pipeline.alarms.auditHealth.auditSilent);
    assert.equal(Number(quickAlarm.Period) * Number(quickAlarm.EvaluationPeriods), 600);
  });

  it('points the audit alarms at their runbook section', () => {
    const doc = readFileSync(join(REPO_ROOT, RUNBOOK), 'utf8');
    for (const key of AUDIT_HEALTH_KEYS) {
      const alarm = propertiesOf(p, pipeline.alarms.auditHealth[key]);
      assert.match(
        String(alarm.AlarmDescription),
        new RegExp(`docs/aws.md#${AUDIT_HEALTH_ANCHORS[key]}$`),
      );
      assert.ok(doc.includes(`### Audit failed or stopped reporting`));
    }
  });

  it('takes every threshold as a prop', () => {
    const tuned = buildPipeline({
      alarms: {
        backlogObjectiveSeconds: 900,
        queueDepthThreshold: 5000,
        workerErrorsThreshold: 3,
        workerThrottlesThreshold: 2,
        durationAlarmRatio: 0.5,
      },
    });
    const alarms = tuned.pipeline.alarms.alarms;
    const threshold = (key: AlarmKey) => propertiesOf(tuned, alarms[key]).Threshold;
    assert.equal(threshold('workQueueAge'), 900);
    assert.equal(threshold('workQueueDepth'), 5000);
    assert.equal(threshold('workerErrors'), 3);
    assert.equal(threshold('workerThrottles'), 2);
    assert.equal(threshold('workerDuration'), 60000);
    // The depth threshold follows the objective and the expected throughput when not given.
    const faster = buildPipeline({
      maxConcurrency: 100,
      alarms: { backlogObjectiveSeconds: 900, vcpuSecondsPerImage: 0.5 },
    });
    assert.equal(
      propertiesOf(faster, faster.pipeline.alarms.alarms.workQueueDepth).Threshold,
      Math.ceil(((100 * (2048 / 1769)) / 0.5) * 900),
    );
  });

  it('notifies a topic that requires TLS and lets this account’s alarms publish', () => {
    const policies = propertiesOfType(p, 'AWS::SNS::TopicPolicy');
    assert.equal(policies.length, 1);
    const policy = policies[0]?.properties;
    assert.deepEqual(at(policy, 'Topics'), [topic]);
    assert.deepEqual(at(policy, 'PolicyDocument', 'Statement'), [
      {
        Sid: 'AllowPublishThroughSSLOnly',
        Effect: 'Deny',
        Principal: '*',
        Action: 'sns:Publish',
        Resource: topic,
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
      {
        Sid: 'CloudWatchAlarmsPublish',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: topic,
        Condition: {
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          ArnLike: {
            'aws:SourceArn': {
              'Fn::Join': [
                '',
                [
                  'arn:',
                  { Ref: 'AWS::Partition' },
                  ':cloudwatch:',
                  { Ref: 'AWS::Region' },
                  ':',
                  { Ref: 'AWS::AccountId' },
                  ':alarm:*',
                ],
              ],
            },
          },
        },
      },
    ]);
  });

  it('subscribes the optional e-mail address', () => {
    p.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
      TopicArn: topic,
    });
    assert.equal(
      propertiesOfType(buildPipeline(), 'AWS::SNS::Subscription').length,
      0,
      'no subscription unless asked',
    );
  });

  it('notifies a topic the platform team brings instead of creating one', () => {
    const stack = new Stack(testApp(), 'OwnTopic');
    const own = new sns.Topic(stack, 'PagerTopic');
    const pipeline = new ImagePipeline(stack, 'Pipeline', {
      workerEntry: STUB_WORKER_ENTRY,
      alarms: { topic: own },
    });
    const embedded: PipelineUnderTest = { stack, pipeline, template: Template.fromStack(stack) };
    assert.equal(propertiesOfType(embedded, 'AWS::SNS::Topic').length, 1, 'only the team’s topic');
    assert.equal(pipeline.alarmTopic, own);
    for (const alarm of Object.values(pipeline.alarms.alarms)) {
      assert.deepEqual(propertiesOf(embedded, alarm).AlarmActions, [ref(embedded, own)]);
    }
  });
});
