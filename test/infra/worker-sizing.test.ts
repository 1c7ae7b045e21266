import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Limits, limitsSchema } from '../../events/config/schema.ts';
import { minimumTimeoutSeconds, requiredMemoryMb } from '../../infra/cdk/worker-sizing.ts';

/** The worker's own default limits, from the one schema both sides use. */
const DEFAULTS: Limits = limitsSchema.parse({});

describe('worker sizing', () => {
  it('sizes memory for two images at the pixel and byte limits, or one pixel process at its cap', () => {
    // 256 + 2 × (50 MP × 4 B × 2 copies + 64 MiB) = 1146.9 MB, below 256 + the 1,024 MiB cap.
    assert.equal(requiredMemoryMb(DEFAULTS), 1280);
    assert.equal(requiredMemoryMb({ ...DEFAULTS, maxMemoryMb: 512 }), 1152);
    assert.equal(requiredMemoryMb({ ...DEFAULTS, maxPixels: 100_000_000 }), 1920);
  });

  it('gives one image at the per-image limit room to finish inside the record loop’s deadline', () => {
    // The loop's safety margin and least time to start a record, the image, the transfer.
    assert.equal(minimumTimeoutSeconds(DEFAULTS), 5 + 5 + 30 + 15);
  });
});
