/**
 * Powertools' Metrics, publishing its embedded-metric-format (EMF) blobs to a LineSink when given
 * one, instead of stdout. Buffering, validation, dimensions and the EMF document itself are
 * Powertools' own; only where the serialized blob is written changes. Without a sink it is
 * Powertools' Metrics unchanged.
 * https://docs.aws.amazon.com/powertools/typescript/latest/features/metrics/
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { MetricsOptions } from '@aws-lambda-powertools/metrics/types';
import type { LineSink } from './line-sink.ts';

export class SinkMetrics extends Metrics {
  private readonly sink: LineSink | undefined;
  private readonly options: MetricsOptions;

  constructor(sink: LineSink | undefined, options: MetricsOptions = {}) {
    super(options);
    this.sink = sink;
    this.options = options;
  }

  /**
   * Writes the stored metrics as one EMF blob and clears them, as Powertools does. An invocation
   * that recorded nothing (a batch of duplicates) writes nothing, not Powertools' warning that
   * there was nothing: that would be one warning per idle invocation.
   */
  override publishStoredMetrics(): this {
    if (!this.hasStoredMetrics()) {
      this.clearDimensions();
      this.clearMetadata();
      return this;
    }
    if (this.sink === undefined) return super.publishStoredMetrics();
    try {
      if (!this.isDisabled()) {
        this.sink(JSON.stringify(this.serializeMetrics()));
      }
    } finally {
      this.clearMetrics();
      this.clearDimensions();
      this.clearMetadata();
    }
    return this;
  }

  /** A one-off metric with its own dimensions (published at once), to the same sink. */
  override singleMetric(): Metrics {
    if (this.sink === undefined) return super.singleMetric();
    return new SinkMetrics(this.sink, { ...this.options, singleMetric: true });
  }
}
