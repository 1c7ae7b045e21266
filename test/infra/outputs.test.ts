import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { STACK_OUTPUTS } from '../../infra/topology.ts';
import { buildPipeline, isRecord, ref } from './pipeline-under-test.ts';

describe('stack outputs', () => {
  const p = buildPipeline();
  const { stack } = p;

  it('names every resource the CLI needs, by the names it reads', () => {
    const outputs: unknown = p.template.toJSON().Outputs;
    assert.ok(isRecord(outputs));
    const values = Object.fromEntries(
      Object.entries(outputs).map(([name, o]) => [name, isRecord(o) ? o.Value : undefined]),
    );
    assert.deepEqual(values, {
      UploadsBucketName: ref(p, stack.uploadsBucket),
      RenditionsBucketName: ref(p, stack.renditionsBucket),
      WorkQueueUrl: ref(p, stack.workQueues.queue),
      DeadLetterQueueUrl: ref(p, stack.workQueues.deadLetterQueue),
      RuleDeadLetterQueueUrl: ref(p, stack.route.deadLetterQueue),
      TableName: ref(p, stack.table),
    });
    assert.deepEqual(Object.keys(values).sort(), Object.values(STACK_OUTPUTS).sort());
  });
});
