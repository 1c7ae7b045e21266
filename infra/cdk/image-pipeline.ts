/**
 * pixelmill on AWS as one construct, for a platform team to drop into its own CDK app:
 *
 *   uploads bucket ─(Object Created)─► EventBridge rule ─► work queue ─► worker (Lambda)
 *                                        │ rule DLQ          │ work DLQ      └► renditions bucket
 *                                                                              └► metadata table
 *   + alarms on an SNS topic, a dashboard, server access logs for the buckets it owns.
 *
 * Secure and tuned by default (see image-pipeline-props.ts for every prop and how defaults are
 * derived); invalid props fail synth with all their problems at once. Outputs for the CLI are
 * added by `addPipelineOutputs` (the ready-made PipelineStack does it).
 */
import {
  ArnFormat,
  Duration,
  type aws_dynamodb as dynamodb,
  aws_iam as iam,
  Stack,
  type aws_s3 as s3,
  aws_sns as sns,
  aws_sns_subscriptions as subscriptions,
} from 'aws-cdk-lib';
import { S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY } from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import type { Topology } from '../topology.ts';
import type { ImagePipelineProps } from './image-pipeline-props.ts';
import { createImageTable } from './image-table.ts';
import { ImageWorker } from './image-worker.ts';
import { acknowledge } from './nag.ts';
import { ObjectCreatedRoute } from './object-created-route.ts';
import { PipelineAlarms } from './pipeline-alarms.ts';
import { PipelineDashboard } from './pipeline-dashboard.ts';
import type { WatchedResources } from './pipeline-metrics.ts';
import { ScheduledAudit } from './scheduled-audit.ts';
import { createSecureBucket } from './secure-bucket.ts';
import { type ImagePipelineSettings, resolveImagePipelineSettings } from './settings/resolve.ts';
import { WorkQueues } from './work-queues.ts';
import { workerEnvironment } from './worker-environment.ts';

/** Incomplete multipart uploads are invisible and billed; nothing of ours resumes one a week on. */
const ABORT_INCOMPLETE_UPLOADS_AFTER = Duration.days(7);
/** Server access logs are for investigating incidents; a quarter covers that. */
const ACCESS_LOG_RETENTION = Duration.days(90);

export class ImagePipeline extends Construct {
  readonly settings: ImagePipelineSettings;
  readonly topology: Topology;
  readonly uploadsBucket: s3.IBucket;
  /** Whether the construct created the uploads bucket (and so turned EventBridge on). */
  readonly ownsUploadsBucket: boolean;
  readonly renditionsBucket: s3.Bucket;
  /** Server access logs of the buckets the construct creates. */
  readonly accessLogsBucket: s3.Bucket;
  readonly table: dynamodb.Table;
  readonly workQueues: WorkQueues;
  readonly route: ObjectCreatedRoute;
  readonly worker: ImageWorker;
  readonly audit: ScheduledAudit;
  readonly alarmTopic: sns.ITopic;
  readonly alarms: PipelineAlarms;
  readonly dashboard: PipelineDashboard;

  constructor(scope: Construct, id: string, props: ImagePipelineProps = {}) {
    super(scope, id);
    // Access logs are delivered under a bucket policy, never an ACL (the buckets disable ACLs),
    // whatever the embedding app's feature flags say. Context must be set before any child.
    this.node.setContext(S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);
    const settings = resolveImagePipelineSettings(this, props);
    this.settings = settings;
    const { topology } = settings;
    this.topology = topology;

    this.accessLogsBucket = createSecureBucket(this, 'AccessLogs', {
      lifecycleRules: [{ expiration: ACCESS_LOG_RETENTION }],
      removalPolicy: settings.removalPolicy,
    });
    acknowledge(
      this.accessLogsBucket,
      'AwsSolutions-S1',
      'This is the server access log bucket of the pipeline; logging its own requests into itself ' +
        'would log each log delivery, without end.',
    );

    if (settings.uploadsBucket) {
      this.uploadsBucket = settings.uploadsBucket;
      this.ownsUploadsBucket = false;
    } else {
      // Versioned, so every upload is a distinct object version with its own terminal state, and
      // an overwrite never destroys the input of work still queued; old versions expire. The
      // whole bucket sends events to EventBridge; the rule narrows them to the uploads prefix.
      // https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventBridge.html
      this.uploadsBucket = createSecureBucket(this, topology.uploadsBucket, {
        versioned: true,
        eventBridgeEnabled: true,
        lifecycleRules: [
          {
            noncurrentVersionExpiration: Duration.days(settings.noncurrentVersionExpirationDays),
            abortIncompleteMultipartUploadAfter: ABORT_INCOMPLETE_UPLOADS_AFTER,
          },
        ],
        serverAccessLogsBucket: this.accessLogsBucket,
        serverAccessLogsPrefix: 'uploads/',
        removalPolicy: settings.removalPolicy,
      });
      this.ownsUploadsBucket = true;
      this.acknowledgeNotificationsHandler();
    }
    // Separate from uploads, so writing a rendition can never trigger work.
    this.renditionsBucket = createSecureBucket(this, topology.renditionsBucket, {
      lifecycleRules: [{ abortIncompleteMultipartUploadAfter: ABORT_INCOMPLETE_UPLOADS_AFTER }],
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'renditions/',
      removalPolicy: settings.removalPolicy,
    });
    this.table = createImageTable(this, topology, settings.removalPolicy);

    this.workQueues = new WorkQueues(this, 'WorkQueues', { topology });
    this.route = new ObjectCreatedRoute(this, 'ObjectCreatedRoute', {
      topology,
      uploadsBucket: this.uploadsBucket,
      workQueue: this.workQueues.queue,
    });
    this.worker = new ImageWorker(this, 'Worker', {
      entry: settings.workerEntry,
      architecture: settings.architecture,
      memoryMb: settings.memoryMb,
      timeoutSeconds: settings.timeoutSeconds,
      batchSize: topology.batchSize,
      batchWindowSeconds: topology.batchWindowSeconds,
      maxConcurrency: settings.maxConcurrency,
      reservedConcurrency: settings.reservedConcurrency,
      environment: workerEnvironment(settings, {
        uploadsBucket: this.uploadsBucket.bucketName,
        renditionsBucket: this.renditionsBucket.bucketName,
        table: this.table.tableName,
      }),
      logRetention: settings.logRetention,
      removalPolicy: settings.removalPolicy,
      workQueue: this.workQueues.queue,
      deadLetterQueue: this.workQueues.deadLetterQueue,
      uploadsBucket: this.uploadsBucket,
      uploadsPrefix: topology.uploadsPrefix,
      renditionsBucket: this.renditionsBucket,
      table: this.table,
    });
    this.audit = new ScheduledAudit(this, 'Audit', {
      ...settings.audit,
      architecture: settings.architecture,
      workerConfigJson: settings.workerConfigJson,
      serviceName: settings.serviceName,
      logRetention: settings.logRetention,
      removalPolicy: settings.removalPolicy,
      uploadsBucket: this.uploadsBucket,
      uploadsPrefix: topology.uploadsPrefix,
      renditionsBucket: this.renditionsBucket,
      table: this.table,
      workQueue: this.workQueues.queue,
      deadLetterQueue: this.workQueues.deadLetterQueue,
    });

    this.alarmTopic = settings.alarms.topic ?? this.createAlarmTopic();
    if (settings.alarms.email) {
      this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(settings.alarms.email));
    }
    // What the alarms and the dashboard both watch.
    const watched: WatchedResources = {
      serviceName: settings.serviceName,
      workQueue: this.workQueues.queue,
      workDeadLetterQueue: this.workQueues.deadLetterQueue,
      ruleDeadLetterQueue: this.route.deadLetterQueue,
      rule: this.route.rule,
      worker: this.worker.function,
    };
    this.alarms = new PipelineAlarms(this, 'Alarms', {
      ...watched,
      topic: this.alarmTopic,
      settings: settings.alarms,
      audit: this.audit.function,
      auditIntervalMinutes: settings.audit.intervalMinutes,
    });
    this.dashboard = new PipelineDashboard(this, 'Dashboard', {
      ...watched,
      timeoutSeconds: settings.timeoutSeconds,
      alarms: [...Object.values(this.alarms.alarms), ...Object.values(this.alarms.auditHealth)],
    });
  }

  /**
   * A topic that only this account's CloudWatch alarms may publish to, over TLS only. A topic
   * policy replaces SNS's default one, so CloudWatch's permission to publish is stated here;
   * without it every alarm would fire into "not authorized". No KMS key: CloudWatch cannot use
   * SNS's AWS-managed key, and alarm notifications carry alarm names and metric values only
   * (bring your own encrypted topic with `alarms.topic` if policy requires one).
   * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Notify_Users_Alarm_Changes.html
   */
  private createAlarmTopic(): sns.Topic {
    const topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: `pixelmill alarms: ${this.settings.serviceName}`.slice(0, 100),
      enforceSSL: true,
    });
    const stack = Stack.of(this);
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    return topic;
  }

  /**
   * Turning EventBridge notifications on adds CDK's BucketNotificationsHandler, a stack-wide
   * singleton Lambda function (inline Python) that calls PutBucketNotificationConfiguration once
   * at deploy time. Its findings are acknowledged on that handler only.
   */
  private acknowledgeNotificationsHandler(): void {
    const handlers = Stack.of(this).node.children.filter((c) =>
      c.node.id.startsWith('BucketNotificationsHandler'),
    );
    for (const handler of handlers) {
      acknowledge(
        handler,
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        "CDK's BucketNotificationsHandler (turns on the uploads bucket's EventBridge " +
          'notifications at deploy time) comes with this role; the managed policy only lets it ' +
          'write its own CloudWatch logs.',
      );
    }
  }
}
