/**
 * Creates the image table where nobody else does: the local cloud's provisioning
 * (infra/local/provision.ts). On AWS the CDK stack owns the table. The key schema is the
 * contract's (events/image-row.ts); no GSI, which dynalite cannot add to an existing table.
 */
import { CreateTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { IMAGE_TABLE_KEYS } from '../../events/image-row.ts';
import { toAdapterError } from './errors.ts';
import { ImageCounts } from './image-counts.ts';

/** Creates the table unless it exists, and waits until it is ACTIVE. */
export async function ensureImageTable(doc: DynamoDBDocumentClient, name: string): Promise<void> {
  let created = false;
  try {
    await doc.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: IMAGE_TABLE_KEYS.partitionKey, AttributeType: 'S' },
          { AttributeName: IMAGE_TABLE_KEYS.sortKey, AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: IMAGE_TABLE_KEYS.partitionKey, KeyType: 'HASH' },
          { AttributeName: IMAGE_TABLE_KEYS.sortKey, KeyType: 'RANGE' },
        ],
      }),
    );
    created = true;
  } catch (error) {
    if ((error as { name?: string }).name !== 'ResourceInUseException') {
      throw toAdapterError(`CreateTable ${name}`, error);
    }
  }
  for (let i = 0; i < 100; i++) {
    const d = await doc.send(new DescribeTableCommand({ TableName: name }));
    if (d.Table?.TableStatus === 'ACTIVE') {
      // A new table has no rows: everything it will hold is counted from now on.
      if (created) await new ImageCounts(doc, name).markBaseline(new Date());
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`Table ${name} did not become ACTIVE`);
}
