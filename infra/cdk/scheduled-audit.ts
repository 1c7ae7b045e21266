/**
 * The scheduled audit: a function an EventBridge schedule runs every `intervalMinutes`, joining
 * the uploads bucket with the metadata table and the DLQ (lib/ops/audit.ts), publishing the gaps
 * as the AuditGaps metric (the construct's alarm watches it) and, by default, re-enqueuing them.
 * S3 → EventBridge delivery is at-least-once in theory; this is what turns "every upload ends
 * DONE or REJECTED" from a hope into a checked and repaired property.
 *
 * Its role may list the two buckets (and HEAD renditions stored under hashed keys), read rows by
 * key (and append repair notes to them), write its own checkpoint item, peek at the DLQ (receive
 * and release) and send to the work queue, and, with an inventory, list and read that inventory's
 * report prefix in its destination bucket. Nothing else.
 * - Scheduled rules: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-rule-schedule.html
 */
import {
  Duration,
  type aws_dynamodb as dynamodb,
  aws_events as events,
  aws_iam as iam,
  type aws_lambda as lambda,
  type aws_logs as logs,
  aws_lambda_nodejs as nodejs,
  type RemovalPolicy,
  type aws_s3 as s3,
  type aws_sqs as sqs,
  aws_events_targets as targets,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { AUDIT_ITEMS_PK } from '../../events/image-row.ts';
import { AUDIT_ENV } from '../../events/worker-environment.ts';
import type { AuditInventoryProps } from './image-pipeline-props.ts';
import { acknowledge, wildcardResourceFinding } from './nag.ts';
import { createOwnFunction } from './own-function.ts';
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
  /** Start each pass from the newest inventory report there instead of listing. */
  readonly inventory?: AuditInventoryProps | undefined;
}

/** What the audit's adapters call (lib/ops/audit.ts through lib/aws), and nothing more. */
export const AUDIT_ACTIONS = {
  listBuckets: ['s3:ListBucket', 's3:ListBucketVersions'],
  /**
   * Rows by key, a page at a time (BatchGetItem), a DLQ letter's rows (Query), the checkpoint
   * (GetItem). No Scan: the audit never reads the whole table.
   */
  readTable: ['dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:GetItem'],
  /** HEAD of a rendition stored under a hashed key (outside the uploads prefix). */
  headRenditions: ['s3:GetObject'],
  /** Its checkpoint item, and only that partition (dynamodb:LeadingKeys). */
  checkpoint: ['dynamodb:PutItem'],
  /** Repair notes on a row, and reopening a DONE row with missing renditions. */
  noteRows: ['dynamodb:UpdateItem'],
  peekDeadLetters: ['sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'],
  requeue: ['sqs:SendMessage', 'sqs:GetQueueAttributes'],
  /** The newest report's manifest is found by listing its prefix (s3:prefix-conditioned). */
  listInventory: ['s3:ListBucket'],
  /** The manifest and its gzip CSV files, under that prefix only. */
  readInventory: ['s3:GetObject'],
} as const;

/**
 * Where S3 delivers the reports of the uploads bucket's inventory:
 * `<destination-prefix>/<source-bucket>/<config-id>/` (manifests under `<timestamp>/`, data files
 * under `data/`). https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory-location.html
 */
export function inventoryReportPrefix(
  inventory: AuditInventoryProps,
  uploadsBucketName: string,
): string {
  const head = inventory.destinationPrefix ? `${inventory.destinationPrefix}/` : '';
  return `${head}${uploadsBucketName}/${inventory.configId}/`;
}

/**
 * Lambda's longest timeout. A pass over a big bucket spans invocations: each stops starting pages
 * near its timeout and the next scheduled run resumes from the checkpoint.
 */
const AUDIT_TIMEOUT_SECONDS = 15 * 60;
const AUDIT_MEMORY_MB = 1024;
/** Where renditions of source keys too long or unsafe to be a prefix live (hashed keys). */
const HASHED_RENDITION_PREFIXES = ['_long-keys/', '_unsafe-keys/'] as const;
/**
 * Key ranges audited at once: memory is about this many pages of 1,000 rows (a few MB each), and
 * the rate scales with it until DynamoDB reads or S3 listings bind (docs/aws.md#the-scheduled-audit-at-scale).
 */
export const AUDIT_CONCURRENCY = 16;

export class ScheduledAudit extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: ScheduledAuditConstructProps) {
    super(scope, id);
    const inventoryPrefix = props.inventory
      ? inventoryReportPrefix(props.inventory, props.uploadsBucket.bucketName)
      : undefined;
    const own = createOwnFunction(this, {
      description: 'pixelmill audit: every upload DONE, REJECTED, in flight or in the DLQ',
      roleDescription:
        'pixelmill audit: list uploads and renditions, read rows, peek the DLQ, re-enqueue gaps',
      entry: props.entry,
      architecture: props.architecture,
      timeoutSeconds: AUDIT_TIMEOUT_SECONDS,
      memoryMb: AUDIT_MEMORY_MB,
      reservedConcurrency: props.reservedConcurrency,
      // No native modules: the audit never decodes an image.
      bundling: {
        format: nodejs.OutputFormat.ESM,
        banner: ESM_REQUIRE_BANNER,
        mainFields: ['module', 'main'],
        bundleAwsSDK: true,
      },
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
      environment: {
        [AUDIT_ENV.uploadsBucket]: props.uploadsBucket.bucketName,
        [AUDIT_ENV.uploadsPrefix]: props.uploadsPrefix,
        [AUDIT_ENV.renditionsBucket]: props.renditionsBucket.bucketName,
        [AUDIT_ENV.table]: props.table.tableName,
        [AUDIT_ENV.workQueueUrl]: props.workQueue.queueUrl,
        [AUDIT_ENV.deadLetterQueueUrl]: props.deadLetterQueue.queueUrl,
        [AUDIT_ENV.repair]: String(props.repair),
        [AUDIT_ENV.checkRenditions]: String(props.checkRenditions),
        [AUDIT_ENV.concurrency]: String(AUDIT_CONCURRENCY),
        [AUDIT_ENV.config]: props.workerConfigJson,
        ...(inventoryPrefix !== undefined && props.inventory
          ? {
              [AUDIT_ENV.inventory]: `s3://${props.inventory.bucket.bucketName}/${inventoryPrefix}`,
            }
          : {}),
        POWERTOOLS_SERVICE_NAME: props.serviceName,
      },
    });
    this.function = own.function;
    this.role = own.role;
    this.logGroup = own.logGroup;

    const statement = (sid: string, actions: readonly string[], resources: string[]) =>
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({ sid, actions: [...actions], resources }),
      );
    statement('ListBuckets', AUDIT_ACTIONS.listBuckets, [
      props.uploadsBucket.bucketArn,
      props.renditionsBucket.bucketArn,
    ]);
    statement('ReadTable', AUDIT_ACTIONS.readTable, [props.table.tableArn]);
    if (props.checkRenditions) {
      // Only renditions stored under a hashed key (a long or unsafe source key) are HEADed; the
      // two prefixes are lib/pipeline/rendition-keys.ts's LONG_KEYS_PREFIX and UNSAFE_KEYS_PREFIX.
      const hashed = HASHED_RENDITION_PREFIXES.map((p) =>
        props.renditionsBucket.arnForObjects(`${p}*`),
      );
      statement('HeadRenditions', AUDIT_ACTIONS.headRenditions, hashed);
      for (const arn of hashed)
        acknowledge(
          this.role,
          wildcardResourceFinding(this, arn),
          'HeadObject needs an object ARN and the hashed rendition keys are only known per image: ' +
            'the wildcard is one prefix of the renditions bucket, for s3:GetObject (HEAD) only.',
        );
    }
    // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'Checkpoint',
        actions: [...AUDIT_ACTIONS.checkpoint],
        resources: [props.table.tableArn],
        conditions: {
          'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [AUDIT_ITEMS_PK] },
        },
      }),
    );
    if (props.inventory && inventoryPrefix !== undefined) {
      const { bucket } = props.inventory;
      // https://docs.aws.amazon.com/AmazonS3/latest/userguide/amazon-s3-policy-keys.html
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'ListInventory',
          actions: [...AUDIT_ACTIONS.listInventory],
          resources: [bucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': [`${inventoryPrefix}*`] } },
        }),
      );
      const reports = bucket.arnForObjects(`${inventoryPrefix}*`);
      statement('ReadInventory', AUDIT_ACTIONS.readInventory, [reports]);
      acknowledge(
        this.role,
        wildcardResourceFinding(this, reports),
        'An inventory report is a manifest and data files whose names S3 chooses per report: ' +
          'the wildcard is the report prefix of the uploads bucket inventory, s3:GetObject only.',
      );
    }
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
