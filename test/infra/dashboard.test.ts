import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { at, buildPipeline, isRecord, propertiesOfType } from './pipeline-under-test.ts';

/** The dashboard body as JSON, CloudFormation references written as "<LogicalId.Attr>". */
function dashboardBody(p: ReturnType<typeof buildPipeline>): unknown {
  const dashboards = propertiesOfType(p, 'AWS::CloudWatch::Dashboard');
  assert.equal(dashboards.length, 1);
  const join = at(dashboards[0]?.properties, 'DashboardBody', 'Fn::Join');
  assert.ok(Array.isArray(join) && Array.isArray(join[1]));
  const text = join[1]
    .map((part: unknown) => {
      if (typeof part === 'string') return part;
      const getAtt = at(part, 'Fn::GetAtt');
      if (Array.isArray(getAtt)) return `<${getAtt[0]}.${getAtt[1]}>`;
      return `<${String(at(part, 'Ref'))}>`;
    })
    .join('');
  return JSON.parse(text);
}

/** Each graph's title → its metrics as "namespace metric stat" (expressions as written). */
function graphs(body: unknown): Map<string, string[]> {
  const widgets = at(body, 'widgets');
  assert.ok(Array.isArray(widgets));
  const found = new Map<string, string[]>();
  for (const widget of widgets) {
    if (at(widget, 'type') !== 'metric') continue;
    const metrics = at(widget, 'properties', 'metrics');
    assert.ok(Array.isArray(metrics));
    found.set(
      String(at(widget, 'properties', 'title')),
      metrics.map((m: unknown[]) => {
        const options = m.at(-1);
        assert.ok(isRecord(options));
        if (typeof options.expression === 'string') return options.expression;
        return `${m[0]} ${m[1]} ${String(options.stat)}`;
      }),
    );
  }
  return found;
}

describe('dashboard', () => {
  const p = buildPipeline();
  const body = dashboardBody(p);
  const found = graphs(body);

  it('shows queue depth and age, and both DLQs', () => {
    assert.deepEqual(found.get('Work queue depth'), [
      'AWS/SQS ApproximateNumberOfMessagesVisible Maximum',
      'AWS/SQS ApproximateNumberOfMessagesNotVisible Maximum',
    ]);
    assert.deepEqual(found.get('Age of the oldest queued image (s)'), [
      'AWS/SQS ApproximateAgeOfOldestMessage Maximum',
    ]);
    assert.deepEqual(found.get('Dead-letter queues'), [
      'AWS/SQS ApproximateNumberOfMessagesVisible Maximum',
      'AWS/SQS ApproximateNumberOfMessagesVisible Maximum',
    ]);
  });

  it('shows images processed, rejected (also by reason) and failed per minute, p50/p99 per image', () => {
    assert.deepEqual(found.get('Images per minute'), [
      'Pixelmill ImagesProcessed Sum',
      'Pixelmill ImagesRejected Sum',
      'Pixelmill ImagesFailed Sum',
    ]);
    assert.deepEqual(found.get('Rejections per minute by reason'), [
      `SEARCH('{Pixelmill,reason,service} MetricName="ImagesRejected" service="PipelineUnderTest/Pipeline"', 'Sum', 60)`,
    ]);
    assert.deepEqual(found.get('Processing time per image (ms)'), [
      'Pixelmill ProcessingTime p50',
      'Pixelmill ProcessingTime p99',
    ]);
    const widgets = at(body, 'widgets');
    assert.ok(Array.isArray(widgets));
    for (const w of widgets) {
      for (const m of (at(w, 'properties', 'metrics') ?? []) as unknown[][]) {
        if (m[0] !== 'Pixelmill') continue;
        assert.deepEqual(m.slice(2, 4), ['service', 'PipelineUnderTest/Pipeline'], 'per pipeline');
        assert.equal(at(m.at(-1), 'period'), 60, 'per minute');
      }
    }
  });

  it('shows the worker’s concurrency, errors, throttles and duration against its timeout', () => {
    assert.deepEqual(found.get('Worker concurrency'), ['AWS/Lambda ConcurrentExecutions Maximum']);
    assert.deepEqual(found.get('Worker errors and throttles'), [
      'AWS/Lambda Errors Sum',
      'AWS/Lambda Throttles Sum',
      'AWS/Events FailedInvocations Sum',
    ]);
    assert.deepEqual(found.get('Worker duration (ms)'), [
      'AWS/Lambda Duration p99',
      'AWS/Lambda Duration Maximum',
    ]);
  });

  it('is named after the pipeline and the region (names are unique per account)', () => {
    assert.deepEqual(
      at(propertiesOfType(p, 'AWS::CloudWatch::Dashboard')[0]?.properties, 'DashboardName'),
      { 'Fn::Join': ['', ['PipelineUnderTest-Pipeline-', { Ref: 'AWS::Region' }]] },
    );
  });

  it('puts every alarm’s state on top', () => {
    const widgets = at(body, 'widgets');
    assert.ok(Array.isArray(widgets));
    const alarms = at(widgets[0], 'properties', 'alarms');
    assert.ok(Array.isArray(alarms));
    assert.equal(
      alarms.length,
      Object.keys(p.pipeline.alarms.alarms).length +
        Object.keys(p.pipeline.alarms.auditHealth).length,
    );
  });
});
