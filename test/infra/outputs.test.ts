import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { STACK_OUTPUTS } from '../../infra/topology.ts';
import { buildPipeline, isRecord, ref } from './pipeline-under-test.ts';

describe('stack outputs', () => {
  const p = buildPipeline();
  const { pipeline } = p;

  it('names every resource the CLI needs, by the names it reads', () => {
    const outputs: unknown = p.template.toJSON().Outputs;
    assert.ok(isRecord(outputs));
    const values = Object.fromEntries(
      Object.entries(outputs).map(([name, o]) => [name, isRecord(o) ? o.Value : undefined]),
    );
    assert.deepEqual(values, {
      UploadsBucketName: ref(p, pipeline.uploadsBucket),
      UploadsPrefix: 'uploads/',
      RenditionsBucketName: ref(p, pipeline.renditionsBucket),
      WorkQueueUrl: ref(p, pipeline.workQueues.queue),
      DeadLetterQueueUrl: ref(p, pipeline.workQueues.deadLetterQueue),
      RuleDeadLetterQueueUrl: ref(p, pipeline.route.deadLetterQueue),
      TableName: ref(p, pipeline.table),
      AlarmTopicArn: ref(p, pipeline.alarmTopic),
      AlarmNamePrefix: `pixelmill ${pipeline.settings.serviceName}: `,
    });
    assert.deepEqual(Object.keys(values).sort(), Object.values(STACK_OUTPUTS).sort());
  });
});
