/**
 * The object versions of one audit segment, from where it stopped: the uploads bucket's listing
 * between the segment's bounds (audit-segments.ts), or the rows of one S3 Inventory data file
 * (inventory-rows.ts). Each comes with how to record its position in the segment's state once
 * audited, so a resumed pass starts after the last version audited.
 */

import type { AuditObject } from './audit.ts';
import type { SegmentState } from './audit-checkpoint.ts';
import { isPastSegment } from './audit-segments.ts';
import type { InventoryManifest } from './inventory-manifest.ts';
import { inventoryRows } from './inventory-rows.ts';
import type { OperatorContext } from './operator-context.ts';

export interface SegmentVersion {
  readonly object: AuditObject;
  /** Records this version as the segment's position (once its page is audited). */
  readonly done: (state: SegmentState) => void;
}

export async function* segmentVersions(
  ctx: OperatorContext,
  state: SegmentState,
  index: number,
  inventory: InventoryManifest | undefined,
): AsyncGenerator<SegmentVersion> {
  if (inventory) {
    for await (const { row, object } of inventoryRows(ctx, inventory, index, state.rows ?? 0))
      yield { object, done: (s) => (s.rows = row) };
    return;
  }
  const { uploadsBucket, uploadsPrefix } = ctx.resources;
  const listing = ctx.store.listVersions(uploadsBucket, uploadsPrefix, {
    startAfter: state.resumeAfter?.key ?? state.after,
    versionIdMarker: state.resumeAfter?.versionId,
  });
  for await (const o of listing) {
    if (isPastSegment(state, o.key)) return;
    yield {
      object: {
        bucket: uploadsBucket,
        key: o.key,
        etag: o.etag,
        versionId: o.versionId,
        size: o.size,
        lastModified: o.lastModified,
      },
      done: (s) => (s.resumeAfter = { key: o.key, versionId: o.versionId ?? 'null' }),
    };
  }
}
