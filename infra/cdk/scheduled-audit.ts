/**
 * The scheduled audit: a function an EventBridge schedule runs every `intervalMinutes`, joining
 * the uploads bucket with the metadata table and the DLQ (lib/ops/audit.ts), publishing the gaps
 * as the AuditGaps metric (the construct's alarm watches it) and, by default, re-enqueuing them.
 * S3 → EventBridge delivery is at-least-once in theory; this is what turns "every upload ends
 * DONE or REJECTED" from a hope into a checked and repaired property.
 *
 * Its role may list the two buckets, read the table (and append repair notes to its rows), peek
 * at the DLQ (receive and release) and send to the work queue. Nothing else.
 * - Scheduled rules: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-rule-schedule.html
 */
import {
  Duration,
  type aws_dynamodb as dynamodb,
  aws_events as events,
  aws_iam as iam,
  aws_lambda as lambda,
  aws_logs as logs,
  aws_lambda_nodejs as nodejs,
  type RemovalPolicy,
  type aws_s3 as s3,
  type aws_sqs as sqs,
  aws_events_targets as targets,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { AUDIT_ENV } from '../../events/worker-environment.ts';
import { LOCK_FILE, REPO_ROOT } from './paths.ts';
import { ESM_REQUIRE_BANNER } from './worker-bundling.ts';

export interface ScheduledAuditConstructProps {
  readonly entry: string;
  readonly intervalMinutes: number;
  readonly repair: boolean;
  readonly checkRenditions: boolean;
  /** Opt-in (see ScheduledAuditProps.reservedConcurrency): undefined reserves nothing. */
  readonly reservedConcurrency?: number | undefined;
  readonly architecture: lambda.Architecture;
  /** The worker's PIXELMILL_CONFIG: the audit counts rows of the same rendition config. */
  readonly workerConfigJson: string;
  readonly serviceName: string;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  readonly uploadsBucket: s3.IBucket;
  readonly uploadsPrefix: string;
  readonly renditionsBucket: s3.IBucket;
  readonly table: dynamodb.ITable;
  readonly workQueue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
}

/** What the audit's adapters call (lib/ops/audit.ts through lib/aws), and nothing more. */
export const AUDIT_ACTIONS = {
  listBuckets: ['s3:ListBucket', 's3:ListBucketVersions'],
  readTable: ['dynamodb:Scan', 'dynamodb:Query', 'dynamodb:GetItem'],
  /** Repair notes on a row, and reopening a DONE row with missing renditions. */
  noteRows: ['dynamodb:UpdateItem'],
  peekDeadLetters: ['sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'],
  requeue: ['sqs:SendMessage', 'sqs:GetQueueAttributes'],
} as const;

/** Lambda's longest timeout: listing large buckets takes time. */
const AUDIT_TIMEOUT = Duration.minutes(15);
const AUDIT_MEMORY_MB = 1024;

export class ScheduledAudit extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: ScheduledAuditConstructProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description:
        'pixelmill audit: list uploads and renditions, read rows, peek the DLQ, re-enqueue gaps',
    });
    this.logGroup.grantWrite(this.role);

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      description: 'pixelmill audit: every upload DONE, REJECTED, in flight or in the DLQ',
      entry: props.entry,
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: props.architecture,
      timeout: AUDIT_TIMEOUT,
      memorySize: AUDIT_MEMORY_MB,
      // Opt-in: a reservation fails the deploy in accounts with a small concurrency quota.
      ...(props.reservedConcurrency !== undefined
        ? { reservedConcurrentExecutions: props.reservedConcurrency }
        : {}),
      role: this.role,
      logGroup: this.logGroup,
      projectRoot: REPO_ROOT,
      depsLockFilePath: LOCK_FILE,
      // No native modules: the audit never decodes an image.
      bundling: {
        format: nodejs.OutputFormat.ESM,
        banner: ESM_REQUIRE_BANNER,
        mainFields: ['module', 'main'],
        bundleAwsSDK: true,
      },
      environment: {
        [AUDIT_ENV.uploadsBucket]: props.uploadsBucket.bucketName,
        [AUDIT_ENV.uploadsPrefix]: props.uploadsPrefix,
        [AUDIT_ENV.renditionsBucket]: props.renditionsBucket.bucketName,
        [AUDIT_ENV.table]: props.table.tableName,
        [AUDIT_ENV.workQueueUrl]: props.workQueue.queueUrl,
        [AUDIT_ENV.deadLetterQueueUrl]: props.deadLetterQueue.queueUrl,
        [AUDIT_ENV.repair]: String(props.repair),
        [AUDIT_ENV.checkRenditions]: String(props.checkRenditions),
        [AUDIT_ENV.config]: props.workerConfigJson,
        POWERTOOLS_SERVICE_NAME: props.serviceName,
      },
    });

    const statement = (sid: string, actions: readonly string[], resources: string[]) =>
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({ sid, actions: [...actions], resources }),
      );
    statement('ListBuckets', AUDIT_ACTIONS.listBuckets, [
      props.uploadsBucket.bucketArn,
      props.renditionsBucket.bucketArn,
    ]);
    statement('ReadTable', AUDIT_ACTIONS.readTable, [props.table.tableArn]);
    if (props.repair) statement('NoteRows', AUDIT_ACTIONS.noteRows, [props.table.tableArn]);
    statement('PeekDeadLetters', AUDIT_ACTIONS.peekDeadLetters, [props.deadLetterQueue.queueArn]);
    statement('Requeue', props.repair ? AUDIT_ACTIONS.requeue : ['sqs:GetQueueAttributes'], [
      props.workQueue.queueArn,
    ]);

    this.rule = new events.Rule(this, 'Schedule', {
      description: `pixelmill audit every ${props.intervalMinutes} minutes`,
      schedule: events.Schedule.rate(Duration.minutes(props.intervalMinutes)),
    });
    this.rule.addTarget(new targets.LambdaFunction(this.function, { retryAttempts: 0 }));
  }
}
