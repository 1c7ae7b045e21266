/**
 * The worker: a Lambda function fed by the work queue through an SQS event source mapping that
 * honours partial batch responses, so one failed record is retried without its batch-mates.
 *
 * - SQS event source and `ReportBatchItemFailures`:
 *   https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html#services-sqs-batchfailurereporting
 * - Batch size and batching window: https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html
 */
import {
  Duration,
  type aws_dynamodb as dynamodb,
  aws_lambda_event_sources as eventSources,
  aws_lambda as lambda,
  aws_lambda_nodejs as nodejs,
  type aws_s3 as s3,
  type aws_sqs as sqs,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { WORKER_ENV } from '../../events/worker-environment.ts';
import type { Topology } from '../topology.ts';
import { LOCK_FILE, REPO_ROOT } from './paths.ts';
import { workerBundling } from './worker-bundling.ts';

export interface ImageWorkerProps {
  readonly topology: Topology;
  /** Absolute path of the module that exports `handler`, under the repository root. */
  readonly entry: string;
  readonly architecture: lambda.Architecture;
  readonly workQueue: sqs.IQueue;
  readonly uploadsBucket: s3.IBucket;
  readonly renditionsBucket: s3.IBucket;
  readonly table: dynamodb.ITable;
}

export class ImageWorker extends Construct {
  readonly function: nodejs.NodejsFunction;

  constructor(scope: Construct, id: string, props: ImageWorkerProps) {
    super(scope, id);
    const { topology } = props;

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      description: 'pixelmill worker: uploads → renditions + metadata row',
      entry: props.entry,
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: props.architecture,
      timeout: Duration.seconds(topology.workerTimeoutSeconds),
      memorySize: topology.workerMemoryMb,
      // Resolved from this file, not the working directory (see paths.ts).
      projectRoot: REPO_ROOT,
      depsLockFilePath: LOCK_FILE,
      bundling: workerBundling(props.architecture),
      environment: {
        [WORKER_ENV.renditionsBucket]: props.renditionsBucket.bucketName,
        [WORKER_ENV.table]: props.table.tableName,
        [WORKER_ENV.maxReceiveCount]: String(topology.maxReceiveCount),
      },
    });

    // Lambda deletes the records it is not told about and leaves `batchItemFailures` on the queue
    // to reappear after the visibility timeout; SQS's redrive policy then moves repeat failures
    // to the DLQ. The mapping also gets the function's receive/delete permissions from this.
    this.function.addEventSource(
      new eventSources.SqsEventSource(props.workQueue, {
        batchSize: topology.batchSize,
        maxBatchingWindow: Duration.seconds(topology.batchWindowSeconds),
        reportBatchItemFailures: true,
      }),
    );

    props.uploadsBucket.grantRead(this.function);
    props.renditionsBucket.grantWrite(this.function);
    props.table.grantReadWriteData(this.function);
  }
}
