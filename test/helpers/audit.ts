/**
 * What the audit tests share: uploads seeded with one of every outcome, the report's numbers, and
 * the scheduled audit's handler invoked as Lambda would.
 */
import assert from 'node:assert/strict';
import type { Context } from 'aws-lambda';
import { mapPool } from '../../lib/async/pool.ts';
import { expectedEtag } from '../../lib/aws/etag.ts';
import type { AuditReport } from '../../lib/ops/audit.ts';
import type { OperatorContext } from '../../lib/ops/operator-context.ts';
import { type AuditSettings, createAuditHandler } from '../../workers/audit-handler.ts';
import type { TestCloud } from './local-cloud.ts';
import { type RowSpec, renditionsOf, writeRows } from './table-rows.ts';

export const AUDIT_OUTCOMES = [
  'done',
  'rejected',
  'no-row',
  'stuck',
  'failed-not-in-dlq',
  'missing-renditions',
] as const;

/**
 * Uploads `keys` (the i-th with the body `object ${i}`), the i-th with the rows and renditions of
 * outcome AUDIT_OUTCOMES[i % 6]; `extraRows` are written with them.
 */
export async function seedAuditOutcomes(
  env: TestCloud,
  configHash: string,
  keys: readonly string[],
  extraRows: readonly RowSpec[] = [],
): Promise<void> {
  const { uploadsBucket, renditionsBucket } = env.cloud.topology;
  const longAgo = new Date(Date.now() - 2 * 3_600_000);
  const specs: RowSpec[] = [];
  const renditions: string[] = [];
  await mapPool(keys, 8, async (key, i) => {
    const body = Buffer.from(`object ${i}`);
    await env.store.put(uploadsBucket, key, body);
    const version = expectedEtag(body);
    const outcome = AUDIT_OUTCOMES[i % AUDIT_OUTCOMES.length];
    if (outcome === 'done' || outcome === 'missing-renditions')
      specs.push({ key, version, status: 'DONE' });
    if (outcome === 'done') renditions.push(...renditionsOf(key).map((r) => r.key));
    if (outcome === 'rejected') specs.push({ key, version, status: 'REJECTED' });
    if (outcome === 'stuck') specs.push({ key, version, status: 'PROCESSING', at: longAgo });
    if (outcome === 'failed-not-in-dlq')
      specs.push({ key, version, status: 'FAILED', at: longAgo });
  });
  await writeRows(env.table, uploadsBucket, configHash, [...specs, ...extraRows]);
  await mapPool(renditions, 8, (key) => env.store.put(renditionsBucket, key, Buffer.from('r')));
}

/** The report's counts, for comparing two passes. */
export const auditSummary = (r: AuditReport) => ({
  objects: r.objects,
  done: r.done,
  rejected: r.rejected,
  inFlight: r.inFlight,
  inDeadLetterQueue: r.inDeadLetterQueue,
  gapCount: r.gapCount,
  gapsByKind: r.gapsByKind,
});

/** A pass resumed once from its checkpoint found what one uninterrupted pass finds. */
export function assertResumedLike(resumed: AuditReport, full: AuditReport): void {
  assert.equal(resumed.complete, true);
  assert.equal(resumed.sessions, 2);
  assert.deepEqual(auditSummary(resumed), auditSummary(full), 'no version counted twice or missed');
}

export const gapKeys = (r: AuditReport) => r.gaps.map((g) => `${g.kind} ${g.object.key}`).sort();

/** A Lambda context as the audit handler reads it (a stand-in: only Lambda makes real ones). */
export const lambdaContext = (awsRequestId = 'r1') =>
  ({
    functionName: 'audit',
    awsRequestId,
    getRemainingTimeInMillis: () => 60_000,
  }) as unknown as Context;

/** The scheduled audit's handler on the test cloud, its log and metric lines into `lines`. */
export function auditHandler(
  env: TestCloud,
  ctx: OperatorContext,
  configHash: string,
  lines: string[],
  settings: Partial<AuditSettings> = {},
) {
  return createAuditHandler({
    target: env.cloud.target,
    resources: ctx.resources,
    configHash,
    repair: false,
    checkRenditions: true,
    graceSeconds: 0,
    output: (line) => lines.push(line),
    ...settings,
  });
}
