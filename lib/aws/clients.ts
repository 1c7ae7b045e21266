/**
 * The AWS SDK v3 clients, configured once per target. On AWS: default credentials, standard retry
 * mode. On the local cloud: the gateway endpoint, path-style S3 (no `*.localhost` DNS needed) and
 * checksums only where S3 requires them (the emulator stores, never verifies, them).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { MiddlewareStack } from '@smithy/types';
import { addFaultInjection } from './fault-injection.ts';
import type { AwsTarget } from './target.ts';

export interface AwsClients {
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly dynamo: DynamoDBDocumentClient;
  destroy(): void;
}

export function createAwsClients(target: AwsTarget): AwsClients {
  const local = target.endpoint !== undefined;
  const common = {
    region: target.region,
    maxAttempts: target.maxAttempts ?? 3,
    ...(local ? { endpoint: target.endpoint } : {}),
    ...(target.credentials ? { credentials: target.credentials } : {}),
  };
  const s3 = new S3Client({
    ...common,
    forcePathStyle: local,
    ...(local
      ? { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' }
      : {}),
  });
  // The local cloud's queue URLs name `sqs.<region>.localhost`; send every call to the endpoint.
  const sqs = new SQSClient({ ...common, ...(local ? { useQueueUrlAsEndpoint: false } : {}) });
  const dynamoBase = new DynamoDBClient(common);
  const dynamo = DynamoDBDocumentClient.from(dynamoBase, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
  if (target.faults) {
    addFaultInjection(s3.middlewareStack as MiddlewareStack<object, object>, 's3', target.faults);
    addFaultInjection(sqs.middlewareStack as MiddlewareStack<object, object>, 'sqs', target.faults);
    addFaultInjection(
      dynamo.middlewareStack as MiddlewareStack<object, object>,
      'dynamodb',
      target.faults,
    );
  }
  return {
    s3,
    sqs,
    dynamo,
    destroy() {
      s3.destroy();
      sqs.destroy();
      dynamoBase.destroy();
    },
  };
}
