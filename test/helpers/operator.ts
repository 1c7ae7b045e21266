/** An OperatorContext over a test cloud, as the CLI builds one. */
import { configHash, defaultConfig } from '../../lib/config/parse.ts';
import type { OperatorContext } from '../../lib/ops/operator-context.ts';
import type { TestCloud } from './local-cloud.ts';

export async function operatorContext(env: TestCloud): Promise<OperatorContext> {
  const { topology } = env.cloud;
  return {
    store: env.store,
    table: env.table,
    workQueue: env.workQueue,
    deadLetterQueue: env.deadLetterQueue,
    resources: {
      uploadsBucket: topology.uploadsBucket,
      uploadsPrefix: topology.uploadsPrefix,
      renditionsBucket: topology.renditionsBucket,
      table: topology.table,
      workQueueUrl: env.workQueue.url,
      deadLetterQueueUrl: env.deadLetterQueue.url,
    },
    configHash: configHash(defaultConfig()),
    visibilityTimeoutSeconds: (await env.workQueue.settings()).visibilityTimeoutSeconds,
  };
}
