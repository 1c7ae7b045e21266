/**
 * The metadata table: one row per object version and rendition config (events/image-row.ts), the
 * record of each upload's terminal state. On-demand capacity, so a bulk ingest is never throttled
 * by a provisioned limit; point-in-time recovery, because the table is the guarantee's evidence.
 *
 * - On-demand: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/on-demand-capacity-mode.html
 * - PITR: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/PointInTimeRecovery_Howitworks.html
 * - TTL on TABLE_TTL_ATTRIBUTE: the per-minute counts expire by themselves (rows carry none).
 *   https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/TTL.html
 */
import { aws_dynamodb as dynamodb, type RemovalPolicy } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { TABLE_TTL_ATTRIBUTE } from '../../events/image-row.ts';
import type { Topology } from '../topology.ts';

export function createImageTable(
  scope: Construct,
  topology: Topology,
  removalPolicy: RemovalPolicy,
): dynamodb.Table {
  return new dynamodb.Table(scope, topology.table, {
    removalPolicy,
    partitionKey: { name: topology.tableKeys.partitionKey, type: dynamodb.AttributeType.STRING },
    sortKey: { name: topology.tableKeys.sortKey, type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    timeToLiveAttribute: TABLE_TTL_ATTRIBUTE,
  });
}
