/**
 * infra/cdk restates a few facts about the worker it may not import (the dependency rule); tests
 * may import both, and hold them equal.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_IMAGE_LIMITS,
  IMAGE_LIMIT_RANGES,
  minimumTimeoutSeconds,
  requiredMemoryMb,
  WORKER_SIZING,
} from '../../infra/cdk/worker-sizing.ts';
import { defaultConfig } from '../../lib/config/parse.ts';
import { limitsSchema } from '../../lib/config/schema.ts';
import { defaultBatchOptions } from '../../lib/pipeline/process-batch.ts';

describe('worker sizing', () => {
  it('restates the worker’s own numbers', () => {
    assert.deepEqual(DEFAULT_IMAGE_LIMITS, defaultConfig().limits);
    assert.equal(WORKER_SIZING.recordsAtOnce, defaultBatchOptions.concurrency);
    assert.equal(WORKER_SIZING.safetyMarginSeconds * 1000, defaultBatchOptions.safetyMarginMs);
    assert.equal(WORKER_SIZING.minRecordSeconds * 1000, defaultBatchOptions.minRecordMs);
    // The same bounds as lib/config's schema.
    assert.ok(
      limitsSchema.safeParse({ timeoutSeconds: IMAGE_LIMIT_RANGES.timeoutSeconds.max }).success,
    );
    assert.ok(
      !limitsSchema.safeParse({ timeoutSeconds: IMAGE_LIMIT_RANGES.timeoutSeconds.max + 1 })
        .success,
    );
    assert.ok(!limitsSchema.safeParse({ maxPixels: IMAGE_LIMIT_RANGES.maxPixels.min - 1 }).success);
  });

  it('sizes memory for two images at the pixel and byte limits, or one pixel process at its cap', () => {
    // 256 + 2 × (50 MP × 4 B × 2 copies + 64 MiB) = 1146.9 MB, below 256 + the 1,024 MiB cap.
    assert.equal(requiredMemoryMb(DEFAULT_IMAGE_LIMITS), 1280);
    assert.equal(requiredMemoryMb({ ...DEFAULT_IMAGE_LIMITS, maxMemoryMb: 512 }), 1152);
    assert.equal(requiredMemoryMb({ ...DEFAULT_IMAGE_LIMITS, maxPixels: 100_000_000 }), 1920);
  });

  it('gives one image at the per-image limit room to finish inside the record loop’s deadline', () => {
    assert.equal(minimumTimeoutSeconds(DEFAULT_IMAGE_LIMITS), 5 + 5 + 30 + 15);
  });
});
