import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { STACK_OUTPUTS } from '../../infra/topology.ts';
import { configHash, defaultConfig, parseConfig } from '../../lib/config/parse.ts';
import { readWorkerConfig } from '../../workers/worker-config.ts';
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
      WorkerConfig: pipeline.settings.workerConfigJson,
    });
    assert.deepEqual(Object.keys(values).sort(), Object.values(STACK_OUTPUTS).sort());
  });

  it('WorkerConfig is the config the worker runs: its hash is that of the same presets in a config file', () => {
    const presets = [{ name: 'thumb', width: 200, formats: [{ format: 'webp' as const }] }];
    const deployed = (built: ReturnType<typeof buildPipeline>) => {
      const outputs: unknown = built.template.toJSON().Outputs;
      assert.ok(isRecord(outputs) && isRecord(outputs.WorkerConfig));
      const value = outputs.WorkerConfig.Value;
      assert.equal(typeof value, 'string');
      return configHash(readWorkerConfig(String(value)));
    };
    // What `pixelmill reprocess --stack` compares --config with (cli/commands/reprocess.ts),
    // read as the worker reads its PIXELMILL_CONFIG.
    assert.equal(
      deployed(buildPipeline({ presets })),
      configHash(parseConfig({ presets }, 'file')),
    );
    assert.equal(deployed(p), configHash(defaultConfig()));
    assert.notEqual(deployed(buildPipeline({ presets })), configHash(defaultConfig()));
  });
});
