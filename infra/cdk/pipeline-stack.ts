/**
 * pixelmill on AWS: uploads bucket → EventBridge rule → SQS work queue → batch Lambda →
 * renditions bucket + metadata table, with a DLQ on the queue and another on the rule target.
 * Every setting comes from infra/topology.ts, which the local cloud reads too.
 */
import {
  CfnOutput,
  type aws_dynamodb as dynamodb,
  aws_lambda as lambda,
  Stack,
  type StackProps,
  type aws_s3 as s3,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import {
  topology as defaultTopology,
  STACK_OUTPUTS,
  type StackOutputName,
  type Topology,
} from '../topology.ts';
import { createImageTable } from './image-table.ts';
import { ImageWorker } from './image-worker.ts';
import { ObjectCreatedRoute } from './object-created-route.ts';
import { WORKER_ENTRY } from './paths.ts';
import { createSecureBucket } from './secure-bucket.ts';
import { WorkQueues } from './work-queues.ts';

export interface PipelineStackProps extends StackProps {
  /** @default the topology exported by infra/topology.ts */
  readonly topology?: Topology;
  /** Absolute path of the worker's entry module. @default workers/process.ts */
  readonly workerEntry?: string;
  /** @default x86_64 */
  readonly architecture?: lambda.Architecture;
}

export class PipelineStack extends Stack {
  readonly topology: Topology;
  readonly uploadsBucket: s3.Bucket;
  readonly renditionsBucket: s3.Bucket;
  readonly table: dynamodb.Table;
  readonly workQueues: WorkQueues;
  readonly route: ObjectCreatedRoute;
  readonly worker: ImageWorker;

  constructor(scope: Construct, id: string, props: PipelineStackProps = {}) {
    super(scope, id, props);
    const topology = props.topology ?? defaultTopology;
    this.topology = topology;

    // Versioned, so every upload is a distinct object version with its own terminal state, and
    // an overwrite never destroys the input of work still queued. EventBridge delivery is on for
    // the whole bucket; the rule narrows it to Object Created under the uploads prefix.
    // https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventBridge.html
    this.uploadsBucket = createSecureBucket(this, topology.uploadsBucket, {
      versioned: true,
      eventBridgeEnabled: true,
    });
    // Separate from uploads, so writing a rendition can never trigger work.
    this.renditionsBucket = createSecureBucket(this, topology.renditionsBucket);
    this.table = createImageTable(this, topology);

    this.workQueues = new WorkQueues(this, 'WorkQueues', { topology });
    this.route = new ObjectCreatedRoute(this, 'ObjectCreatedRoute', {
      topology,
      uploadsBucket: this.uploadsBucket,
      workQueue: this.workQueues.queue,
    });
    this.worker = new ImageWorker(this, 'Worker', {
      topology,
      entry: props.workerEntry ?? WORKER_ENTRY,
      architecture: props.architecture ?? lambda.Architecture.X86_64,
      workQueue: this.workQueues.queue,
      uploadsBucket: this.uploadsBucket,
      renditionsBucket: this.renditionsBucket,
      table: this.table,
    });

    const output = (name: StackOutputName, value: string) => new CfnOutput(this, name, { value });
    output(STACK_OUTPUTS.uploadsBucketName, this.uploadsBucket.bucketName);
    output(STACK_OUTPUTS.renditionsBucketName, this.renditionsBucket.bucketName);
    output(STACK_OUTPUTS.workQueueUrl, this.workQueues.queue.queueUrl);
    output(STACK_OUTPUTS.deadLetterQueueUrl, this.workQueues.deadLetterQueue.queueUrl);
    output(STACK_OUTPUTS.ruleDeadLetterQueueUrl, this.route.deadLetterQueue.queueUrl);
    output(STACK_OUTPUTS.tableName, this.table.tableName);
  }
}
