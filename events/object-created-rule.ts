import type { EventPattern } from './event-pattern.ts';
import { OBJECT_CREATED_DETAIL_TYPE, OBJECT_CREATED_SOURCE } from './object-created.ts';

/**
 * The EventBridge rule pattern that routes uploads into the work queue. The deployed rule (CDK)
 * and the local cloud's bridge both build it here, so they cannot disagree.
 */
export function objectCreatedPattern(options: { bucket: string; prefix: string }): EventPattern {
  return {
    source: [OBJECT_CREATED_SOURCE],
    'detail-type': [OBJECT_CREATED_DETAIL_TYPE],
    detail: {
      bucket: { name: [options.bucket] },
      object: { key: [{ prefix: options.prefix }] },
    },
  };
}
