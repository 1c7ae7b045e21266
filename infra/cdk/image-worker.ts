/**
 * The worker: a Lambda function fed by the work queue through an SQS event source mapping that
 * honours partial batch responses, so one failed record is retried without its batch-mates, and
 * whose MaximumConcurrency caps how many invocations this queue may run at once.
 *
 * Its role is written out, not granted wholesale: it may read objects under the uploads prefix,
 * put renditions, get and update its table's items, consume its queue and write its own log
 * group. Nothing else (no managed policies, no `*` resource on any data action).
 *
 * - SQS event source and `ReportBatchItemFailures`:
 *   https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html#services-sqs-batchfailurereporting
 * - Batch size, window and maximum concurrency:
 *   https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html
 *   https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html#events-sqs-max-concurrency
 * - S3 returns 404 rather than 403 for a missing key only with s3:ListBucket:
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html#API_GetObject_RequestSyntax
 */
import {
  Duration,
  type aws_dynamodb as dynamodb,
  aws_lambda_event_sources as eventSources,
  aws_iam as iam,
  type aws_lambda as lambda,
  type aws_logs as logs,
  type aws_lambda_nodejs as nodejs,
  type RemovalPolicy,
  type aws_s3 as s3,
  type aws_sqs as sqs,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { acknowledge, wildcardResourceFinding } from './nag.ts';
import { createOwnFunction } from './own-function.ts';
import { workerBundling } from './worker-bundling.ts';

export interface ImageWorkerProps {
  /** Absolute path of the module that exports `handler`, under the repository root. */
  readonly entry: string;
  readonly architecture: lambda.Architecture;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  readonly batchSize: number;
  readonly batchWindowSeconds: number;
  readonly maxConcurrency: number;
  readonly reservedConcurrency?: number | undefined;
  readonly environment: Record<string, string>;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  readonly workQueue: sqs.IQueue;
  /** Where the worker sends a message that is not a work item at all (retrying cannot help). */
  readonly deadLetterQueue: sqs.IQueue;
  readonly uploadsBucket: s3.IBucket;
  readonly uploadsPrefix: string;
  readonly renditionsBucket: s3.IBucket;
  readonly table: dynamodb.ITable;
}

/** What the worker's adapters call (lib/aws), and nothing more. */
export const WORKER_ACTIONS = {
  /** ObjectStore.getBytes: GetObject, with VersionId when the bucket is versioned. */
  readUploads: ['s3:GetObject', 's3:GetObjectVersion'],
  /** Lets S3 answer 404 for a deleted upload (a `not-found` rejection) instead of 403. */
  listUploads: ['s3:ListBucket'],
  /**
   * ObjectStore.put; head (GetObject) of a rendition another config made, and copy (GetObject on
   * the source, PutObject on the target) of an exact duplicate's.
   * https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html
   */
  writeRenditions: ['s3:GetObject', 's3:PutObject'],
  /** Lets S3 answer 404 for a rendition that is gone (it is rendered again) instead of 403. */
  listRenditions: ['s3:ListBucket'],
  /**
   * ImageTable.claim/finish/renewLease/recordFailure/putLatest (UpdateItem), get (GetItem), the
   * rows of one version (Query) and the content index (GetItem, PutItem).
   */
  tableRows: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
  /** Poison (not a work item) straight to the DLQ, with its reason. */
  deadLetter: ['sqs:SendMessage'],
  /** A copy of a record the invocation's deadline cut off on its last receives (events/deferral.ts). */
  requeue: ['sqs:SendMessage'],
} as const;

export class ImageWorker extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  readonly eventSource: eventSources.SqsEventSource;

  constructor(scope: Construct, id: string, props: ImageWorkerProps) {
    super(scope, id);

    const own = createOwnFunction(this, {
      description: 'pixelmill worker: uploads → renditions + metadata row',
      roleDescription: 'pixelmill worker: read uploads, write renditions and its table rows',
      entry: props.entry,
      architecture: props.architecture,
      timeoutSeconds: props.timeoutSeconds,
      memoryMb: props.memoryMb,
      reservedConcurrency: props.reservedConcurrency,
      bundling: workerBundling(props.architecture),
      environment: props.environment,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.function = own.function;
    this.role = own.role;
    this.logGroup = own.logGroup;

    // Lambda deletes the records it is not told about and leaves `batchItemFailures` on the queue
    // to reappear after the visibility timeout; SQS's redrive policy then moves repeat failures
    // to the DLQ. The mapping also gets the function's receive/delete permissions from this.
    this.eventSource = new eventSources.SqsEventSource(props.workQueue, {
      batchSize: props.batchSize,
      maxBatchingWindow: Duration.seconds(props.batchWindowSeconds),
      reportBatchItemFailures: true,
      maxConcurrency: props.maxConcurrency,
    });
    this.function.addEventSource(this.eventSource);

    const uploadObjects = props.uploadsBucket.arnForObjects(`${props.uploadsPrefix}*`);
    const renditionObjects = props.renditionsBucket.arnForObjects('*');
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadUploads',
        actions: [...WORKER_ACTIONS.readUploads],
        resources: [uploadObjects],
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ListUploads',
        actions: [...WORKER_ACTIONS.listUploads],
        resources: [props.uploadsBucket.bucketArn],
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'WriteRenditions',
        actions: [...WORKER_ACTIONS.writeRenditions],
        resources: [renditionObjects],
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ListRenditions',
        actions: [...WORKER_ACTIONS.listRenditions],
        resources: [props.renditionsBucket.bucketArn],
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'TableRows',
        actions: [...WORKER_ACTIONS.tableRows],
        resources: [props.table.tableArn],
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'DeadLetterPoison',
        actions: [...WORKER_ACTIONS.deadLetter],
        resources: [props.deadLetterQueue.queueArn],
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'RequeueDeferred',
        actions: [...WORKER_ACTIONS.requeue],
        resources: [props.workQueue.queueArn],
      }),
    );
    // An imported uploads bucket encrypted with a KMS key (SSE-KMS): decrypting is reading.
    props.uploadsBucket.encryptionKey?.grantDecrypt(this.role);

    acknowledge(
      this.role,
      wildcardResourceFinding(this, uploadObjects),
      'Object-level S3 actions need an object ARN: the keys are unknown until uploaded. The ' +
        'wildcard is scoped to the uploads prefix, and the actions are GetObject/GetObjectVersion.',
    );
    acknowledge(
      this.role,
      wildcardResourceFinding(this, renditionObjects),
      'Rendition keys are derived per image version at run time, so PutObject (and GetObject, ' +
        'for HEAD and copy sources) needs the object ARN of the renditions bucket, which only ' +
        'the pipeline writes to.',
    );
  }
}
