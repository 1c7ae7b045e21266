/**
 * Lambda entry point for the scheduled audit (bundled by the CDK construct). Configuration is read
 * once, at cold start; a missing variable fails the cold start naming it.
 */
import { z } from 'zod';
import { AUDIT_ENV } from '../events/worker-environment.ts';
import { configHash } from '../lib/config/parse.ts';
import { createAuditHandler } from './audit-handler.ts';
import { parseEnvironment, storageOf } from './env.ts';
import { readWorkerConfig } from './worker-config.ts';

const schema = z.object({
  [AUDIT_ENV.uploadsBucket]: z.string().min(3),
  [AUDIT_ENV.uploadsPrefix]: z.string().min(1),
  [AUDIT_ENV.renditionsBucket]: z.string().min(3),
  [AUDIT_ENV.table]: z.string().min(3),
  [AUDIT_ENV.workQueueUrl]: z.url(),
  [AUDIT_ENV.deadLetterQueueUrl]: z.url(),
  [AUDIT_ENV.repair]: z.enum(['true', 'false']).default('false'),
  [AUDIT_ENV.checkRenditions]: z.enum(['true', 'false']).default('true'),
  [AUDIT_ENV.concurrency]: z
    .string()
    .regex(/^[1-9][0-9]?$/, 'Expected an integer from 1 to 99')
    .default('8'),
  [AUDIT_ENV.config]: z.string().optional(),
  [AUDIT_ENV.inventory]: z
    .string()
    .regex(/^s3:\/\/[^/]+\//, 'Expected s3://BUCKET/PREFIX/')
    .optional(),
  [AUDIT_ENV.region]: z.string().min(1),
});

const env = parseEnvironment(schema, process.env, 'Audit');

export const handler = createAuditHandler({
  target: { region: env[AUDIT_ENV.region] },
  resources: {
    ...storageOf(env),
    workQueueUrl: env[AUDIT_ENV.workQueueUrl],
    deadLetterQueueUrl: env[AUDIT_ENV.deadLetterQueueUrl],
  },
  configHash: configHash(readWorkerConfig(env[AUDIT_ENV.config])),
  repair: env[AUDIT_ENV.repair] === 'true',
  checkRenditions: env[AUDIT_ENV.checkRenditions] === 'true',
  concurrency: Number(env[AUDIT_ENV.concurrency]),
  inventory: env[AUDIT_ENV.inventory],
});
