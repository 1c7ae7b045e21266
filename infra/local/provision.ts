/**
 * The local cloud's provisioning: what the CDK stack creates on AWS, created from the topology
 * through the SDK (the adapters in lib/aws) each time a cloud starts — the two buckets, the
 * queues with the work queue's redrive policy, and the image table. Idempotent; the topology is
 * the source of truth, so a state dir made under older settings follows the current one.
 */
import { createAwsClients } from '../../lib/aws/clients.ts';
import { ensureImageTable } from '../../lib/aws/image-table-setup.ts';
import { ObjectStore } from '../../lib/aws/object-store.ts';
import { Queue } from '../../lib/aws/queue.ts';
import type { AwsTarget } from '../../lib/aws/target.ts';
import type { Topology } from '../topology.ts';

export interface ProvisionedQueues {
  readonly work: string;
  readonly deadLetter: string;
  readonly ruleDeadLetter: string;
}

export async function provisionCloud(
  target: AwsTarget,
  topology: Topology,
): Promise<ProvisionedQueues> {
  const clients = createAwsClients(target);
  try {
    const store = new ObjectStore(clients.s3);
    await store.ensureBucket(topology.uploadsBucket);
    await store.ensureBucket(topology.renditionsBucket);
    const retention = (seconds: number) => ({ MessageRetentionPeriod: String(seconds) });
    const dlq = await Queue.ensure(
      clients.sqs,
      topology.deadLetterQueue,
      retention(topology.deadLetterRetentionSeconds),
    );
    const ruleDlq = await Queue.ensure(
      clients.sqs,
      topology.ruleDeadLetterQueue,
      retention(topology.deadLetterRetentionSeconds),
    );
    const workAttributes = {
      ...retention(topology.workQueueRetentionSeconds),
      VisibilityTimeout: String(topology.visibilityTimeoutSeconds),
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: dlq.arn,
        maxReceiveCount: topology.maxReceiveCount,
      }),
    };
    const work = await Queue.ensure(clients.sqs, topology.workQueue, workAttributes);
    await work.setAttributes(workAttributes);
    await ensureImageTable(clients.dynamo, topology.table);
    return { work: work.url, deadLetter: dlq.url, ruleDeadLetter: ruleDlq.url };
  } finally {
    clients.destroy();
  }
}
