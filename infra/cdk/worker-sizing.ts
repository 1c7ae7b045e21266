/**
 * The worker's memory and timeout, derived from the image limits it enforces instead of typed:
 * a function sized for 12-megapixel photos runs out of memory on the first 50-megapixel scan, and
 * one whose timeout is shorter than the per-image limit times out instead of rejecting.
 *
 * The record loop's timing and the limits' defaults come from the worker's own contract
 * (events/config/), so they cannot drift apart.
 *
 * - Lambda memory and CPU (one vCPU at 1,769 MB):
 *   https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html
 * - Lambda timeout: https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html
 */
import { BATCH_TIMING } from '../../events/config/batch-timing.ts';
import type { Limits } from '../../events/config/schema.ts';

export const WORKER_SIZING = {
  /** Records one invocation works on at once. */
  recordsAtOnce: BATCH_TIMING.concurrency,
  /** Bytes of one decoded pixel: 8-bit RGBA, the widest the engine keeps. */
  bytesPerPixel: 4,
  /** Decoded copies of one image alive at once: the decoded source and a resized intermediate. */
  workingCopies: 2,
  /** Node.js, the bundle, the AWS SDK clients, sharp and libvips' operation cache. */
  baselineMb: 256,
  /** Lambda's memory bounds. */
  minMemoryMb: 128,
  maxMemoryMb: 10_240,
  /** Lambda allocates one full vCPU at this memory; below it sharp gets a fraction of one. */
  oneVcpuMemoryMb: 1769,
  /** The record loop stops this long before the function's deadline. */
  safetyMarginSeconds: BATCH_TIMING.safetyMarginMs / 1000,
  /** The record loop starts no record with less than this left. */
  minRecordSeconds: BATCH_TIMING.minRecordMs / 1000,
  /** Allowance to fetch a source at the byte limit and store its renditions. */
  transferSeconds: 15,
  /** Lambda's largest timeout. */
  maxTimeoutSeconds: 900,
} as const;

const MIB = 1024 * 1024;

/**
 * Memory for `recordsAtOnce` images at the pixel and byte limits at the same time, on top of the
 * baseline, and at least room for one pixel process at its memory cap beside the worker (the
 * worker runs as many pixel processes as its memory holds, at least one), rounded up to 64 MB.
 */
export function requiredMemoryMb(limits: Limits): number {
  const s = WORKER_SIZING;
  const perImageMb = (limits.maxPixels * s.bytesPerPixel * s.workingCopies + limits.maxBytes) / MIB;
  const total = Math.max(
    s.baselineMb + s.recordsAtOnce * perImageMb,
    s.baselineMb + limits.maxMemoryMb,
  );
  return Math.ceil(total / 64) * 64;
}

/**
 * The shortest timeout in which the record loop can still finish one image that takes the whole
 * per-image limit: its margin, the least time it needs to start a record, the image, the transfer.
 */
export function minimumTimeoutSeconds(limits: Limits): number {
  const s = WORKER_SIZING;
  return s.safetyMarginSeconds + s.minRecordSeconds + limits.timeoutSeconds + s.transferSeconds;
}

/** vCPUs Lambda gives a function of `memoryMb` (proportional to memory). */
export function vcpusFor(memoryMb: number): number {
  return memoryMb / WORKER_SIZING.oneVcpuMemoryMb;
}
