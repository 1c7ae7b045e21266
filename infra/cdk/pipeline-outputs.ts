/**
 * The stack outputs the CLI reads with `--stack NAME` (CloudFormation DescribeStacks → Outputs),
 * named by STACK_OUTPUTS in topology.ts. The ready-made PipelineStack adds them; a stack that
 * embeds ImagePipeline can call this too (once per stack: output names are per stack).
 */
import { CfnOutput, Stack } from 'aws-cdk-lib';
import { alarmNamePrefix } from '../../events/alarm-conditions.ts';
import { STACK_OUTPUTS, type StackOutputName } from '../topology.ts';
import type { ImagePipeline } from './image-pipeline.ts';

export function addPipelineOutputs(pipeline: ImagePipeline): void {
  const stack = Stack.of(pipeline);
  const output = (name: StackOutputName, value: string, description: string) =>
    new CfnOutput(stack, name, { value, description });
  output(
    STACK_OUTPUTS.uploadsBucketName,
    pipeline.uploadsBucket.bucketName,
    `Upload images under ${pipeline.topology.uploadsPrefix} in this bucket`,
  );
  output(
    STACK_OUTPUTS.uploadsPrefix,
    pipeline.topology.uploadsPrefix,
    'Only keys under this are processed',
  );
  output(STACK_OUTPUTS.renditionsBucketName, pipeline.renditionsBucket.bucketName, 'Renditions');
  output(STACK_OUTPUTS.workQueueUrl, pipeline.workQueues.queue.queueUrl, 'Work queue');
  output(
    STACK_OUTPUTS.deadLetterQueueUrl,
    pipeline.workQueues.deadLetterQueue.queueUrl,
    'Images that failed every attempt',
  );
  output(
    STACK_OUTPUTS.ruleDeadLetterQueueUrl,
    pipeline.route.deadLetterQueue.queueUrl,
    'Upload events EventBridge could not deliver',
  );
  output(STACK_OUTPUTS.tableName, pipeline.table.tableName, 'One row per image version');
  output(STACK_OUTPUTS.alarmTopicArn, pipeline.alarmTopic.topicArn, 'Every alarm notifies this');
  output(
    STACK_OUTPUTS.alarmNamePrefix,
    alarmNamePrefix(pipeline.settings.serviceName),
    'Every alarm of this pipeline is named with this prefix',
  );
  output(
    STACK_OUTPUTS.workerConfig,
    pipeline.settings.workerConfigJson,
    'The rendition config the worker runs with (PIXELMILL_CONFIG)',
  );
}
