/**
 * pixelmill's CloudWatch metrics: the contract between what emits them (the worker, through
 * Powertools' embedded metric format; the scheduled audit) and what watches them (the CDK
 * construct's alarms and dashboard). Defined once, here, because both sides import events/.
 *
 * Every metric carries one dimension, `service`: the pipeline's service name (one per deployed
 * pipeline, so two pipelines in one account never share a time series). `ImagesRejected` is also
 * published with a second dimension set, `service` + `reason` (a code from rejection-reasons.ts).
 *
 * Names are a public contract (dashboards, alarms, users' own queries): add, never rename.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */
export const METRIC_NAMESPACE = 'Pixelmill';

export const METRIC_DIMENSIONS = {
  service: 'service',
  reason: 'reason',
} as const;

export const METRICS = {
  /** Count: images that reached DONE in this attempt. */
  imagesProcessed: 'ImagesProcessed',
  /** Count: images that reached REJECTED (also by `reason`). */
  imagesRejected: 'ImagesRejected',
  /** Count: attempts that failed with a transient error (the record is retried). */
  imagesFailed: 'ImagesFailed',
  /** Milliseconds: one image, from the claim to the last rendition written. */
  processingTime: 'ProcessingTime',
  /** Bytes: all renditions of one image. */
  renditionBytes: 'RenditionBytes',
  /**
   * Count: batches whose changes to the metadata table's counts could not be written: `status`
   * and `report` read those counts, which now drift until `pixelmill status --recount`.
   */
  countsFlushFailed: 'CountsFlushFailed',
  /**
   * Count: uploads without a terminal row, found by the scheduled audit (uploads bucket ⨝ metadata
   * table) in its current pass so far (a pass may take several invocations). Every invocation that
   * ends well publishes it, so it doubles as the audit's heartbeat: its absence is alarmed too.
   */
  auditGaps: 'AuditGaps',
  /** Count: object versions one audit invocation checked (its share of the pass). */
  auditVersionsChecked: 'AuditVersionsChecked',
} as const;

export type MetricName = (typeof METRICS)[keyof typeof METRICS];
