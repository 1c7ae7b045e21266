/**
 * The audit's checkpoint: how far each segment got and what it counted, so that an audit cut off
 * (by the Lambda's 15-minute limit, by Ctrl-C, by a crash) continues where it stopped instead of
 * starting over, and its final report counts every object version exactly once.
 *
 * It is one small JSON document kept in the metadata table itself (one item, see
 * ImageTable.putDocument), so the CLI and the scheduled Lambda share it and nothing else needs
 * storage or permissions. A segment's position is written only after its page is counted (and
 * repaired): a page cut off midway is audited again, never counted twice. A repair of such a page
 * may be sent twice; the worker's idempotency makes the second a no-op.
 */
import { z } from 'zod';
import { AUDIT_ITEMS_PK } from '../../events/image-row.ts';
import type { RowKey } from '../aws/image-table.ts';
import type { AuditGap, GapKind } from './audit.ts';
import type { AuditSegment } from './audit-segments.ts';
import type { OperatorContext } from './operator-context.ts';

/** Gap details a checkpoint carries (the counts cover all of them). */
export const CHECKPOINT_GAP_DETAILS = 100;

const countsSchema = z.strictObject({
  objects: z.int().min(0),
  done: z.int().min(0),
  rejected: z.int().min(0),
  inFlight: z.int().min(0),
  inDeadLetterQueue: z.int().min(0),
  requeued: z.int().min(0),
  repairSkipped: z.int().min(0),
  'no-row': z.int().min(0),
  stuck: z.int().min(0),
  'failed-not-in-dlq': z.int().min(0),
  'missing-renditions': z.int().min(0),
});
export type AuditCounts = z.infer<typeof countsSchema>;

export function emptyCounts(): AuditCounts {
  return {
    objects: 0,
    done: 0,
    rejected: 0,
    inFlight: 0,
    inDeadLetterQueue: 0,
    requeued: 0,
    repairSkipped: 0,
    'no-row': 0,
    stuck: 0,
    'failed-not-in-dlq': 0,
    'missing-renditions': 0,
  };
}

export function addCounts(into: AuditCounts, from: Readonly<AuditCounts>): void {
  for (const k of Object.keys(into) as (keyof AuditCounts)[]) into[k] += from[k];
}

const segmentSchema = z.strictObject({
  after: z.string().optional(),
  through: z.string().optional(),
  /** The last object version finished: the listing resumes after it. */
  resumeAfter: z.strictObject({ key: z.string(), versionId: z.string() }).optional(),
  /** A pass from an S3 Inventory (one segment per data file): rows of the file finished. */
  rows: z.int().min(0).optional(),
  finished: z.boolean(),
  counts: countsSchema,
});
export type SegmentState = z.infer<typeof segmentSchema>;

const gapSchema = z.strictObject({
  kind: z.enum(['no-row', 'stuck', 'failed-not-in-dlq', 'missing-renditions']),
  detail: z.string(),
  object: z.strictObject({
    bucket: z.string(),
    key: z.string(),
    etag: z.string(),
    versionId: z.string().optional(),
    size: z.number(),
  }),
});

const checkpointSchema = z.strictObject({
  version: z.literal(1),
  /** What the audit is of: a checkpoint of another bucket, prefix or config is not resumed. */
  scope: z.string(),
  startedAt: z.string(),
  updatedAt: z.string(),
  /** Sessions (invocations, CLI runs) this pass has taken so far. */
  sessions: z.int().min(1),
  finished: z.boolean(),
  segments: z.array(segmentSchema).min(1),
  gaps: z.array(gapSchema).max(CHECKPOINT_GAP_DETAILS),
});
export type AuditCheckpoint = z.infer<typeof checkpointSchema>;

/** Where checkpoints are kept; the table store is the one the CLI and the Lambda use. */
export interface AuditCheckpointStore {
  load(): Promise<AuditCheckpoint | undefined>;
  save(checkpoint: AuditCheckpoint): Promise<void>;
}

/**
 * The checkpoint item's key: its own partition, so the Lambda's write permission is that key. Each
 * auditor keeps its own (`scheduled`, `operator`), so one never resets the other's pass.
 */
export function auditCheckpointKey(name = 'default'): RowKey {
  return { pk: AUDIT_ITEMS_PK, sk: `checkpoint#${name}` };
}

/** With an inventory, its manifest is part of the scope: a pass over one report is not resumed on another. */
export function auditScope(ctx: OperatorContext, inventoryUri?: string): string {
  const r = ctx.resources;
  const scope = [r.uploadsBucket, r.uploadsPrefix, r.renditionsBucket, ctx.configHash];
  return JSON.stringify(inventoryUri ? [...scope, inventoryUri] : scope);
}

/** The checkpoint in the metadata table. A document that does not parse is ignored (a new pass). */
export function tableCheckpointStore(
  table: OperatorContext['table'],
  name?: string,
): AuditCheckpointStore {
  const key = auditCheckpointKey(name);
  return {
    async load() {
      const body = await table.getDocument(key);
      if (body === undefined) return undefined;
      try {
        const parsed = checkpointSchema.safeParse(JSON.parse(body));
        return parsed.success ? parsed.data : undefined;
      } catch {
        return undefined;
      }
    },
    async save(checkpoint) {
      await table.putDocument(key, JSON.stringify(checkpointSchema.parse(checkpoint)));
    },
  };
}

export function newSegmentState(segment: AuditSegment): SegmentState {
  return {
    ...(segment.after !== undefined ? { after: segment.after } : {}),
    ...(segment.through !== undefined ? { through: segment.through } : {}),
    finished: false,
    counts: emptyCounts(),
  };
}

/** A gap as a checkpoint keeps it: no row (the report's details are for reading, not repair). */
export function storedGap(gap: AuditGap): AuditCheckpoint['gaps'][number] {
  const o = gap.object;
  return {
    kind: gap.kind satisfies GapKind,
    detail: gap.detail.slice(0, 300),
    object: {
      bucket: o.bucket,
      key: o.key,
      etag: o.etag,
      ...(o.versionId ? { versionId: o.versionId } : {}),
      size: o.size,
    },
  };
}
