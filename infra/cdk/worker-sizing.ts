/**
 * The worker's memory and timeout, derived from the image limits it enforces instead of typed:
 * a function sized for 12-megapixel photos runs out of memory on the first 50-megapixel scan, and
 * one whose timeout is shorter than the per-image limit times out instead of rejecting.
 *
 * The constants restate facts about the worker that infra/cdk may not import (the dependency
 * rule); test/infra/worker-sizing.test.ts holds them equal to the worker's own values.
 *
 * - Lambda memory and CPU (one vCPU at 1,769 MB):
 *   https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html
 * - Lambda timeout: https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html
 */

export interface ImageLimits {
  /** Largest object accepted, in bytes. */
  readonly maxBytes: number;
  /** Largest width × height (× frames) accepted, read from the header before decoding. */
  readonly maxPixels: number;
  /** Longest side accepted, in pixels. */
  readonly maxDimension: number;
  /** Most frames an animated image may have when animating. */
  readonly maxFrames: number;
  /** CPU seconds for decoding and encoding one image. */
  readonly timeoutSeconds: number;
  /** Resident memory of the pixel process working on one image, in MiB. */
  readonly maxMemoryMb: number;
}

/** lib/config's limits defaults (held equal by test/infra/worker-sizing.test.ts). */
export const DEFAULT_IMAGE_LIMITS: ImageLimits = {
  maxBytes: 64 * 1024 * 1024,
  maxPixels: 50_000_000,
  maxDimension: 32_768,
  maxFrames: 300,
  timeoutSeconds: 30,
  maxMemoryMb: 1024,
};

/** lib/config's ranges for the limits. */
export const IMAGE_LIMIT_RANGES = {
  maxBytes: { min: 1, max: Number.MAX_SAFE_INTEGER },
  maxPixels: { min: 1, max: Number.MAX_SAFE_INTEGER },
  maxDimension: { min: 1, max: Number.MAX_SAFE_INTEGER },
  maxFrames: { min: 1, max: Number.MAX_SAFE_INTEGER },
  timeoutSeconds: { min: 1, max: 600 },
  maxMemoryMb: { min: 256, max: 65_536 },
} as const satisfies Record<keyof ImageLimits, { min: number; max: number }>;

export const WORKER_SIZING = {
  /** Records one invocation works on at once (lib/pipeline's defaultBatchOptions.concurrency). */
  recordsAtOnce: 2,
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
  /** The record loop stops this long before the function's deadline (lib/pipeline). */
  safetyMarginSeconds: 5,
  /** The record loop starts no record with less than this left (lib/pipeline). */
  minRecordSeconds: 5,
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
export function requiredMemoryMb(limits: ImageLimits): number {
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
export function minimumTimeoutSeconds(limits: ImageLimits): number {
  const s = WORKER_SIZING;
  return s.safetyMarginSeconds + s.minRecordSeconds + limits.timeoutSeconds + s.transferSeconds;
}

/** vCPUs Lambda gives a function of `memoryMb` (proportional to memory). */
export function vcpusFor(memoryMb: number): number {
  return memoryMb / WORKER_SIZING.oneVcpuMemoryMb;
}
