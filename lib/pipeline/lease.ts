/**
 * The claim on an image is a short lease, renewed while the image is being worked on. A worker
 * that dies (a crash, a timeout, `kill -9`) stops renewing, and another delivery of the same
 * image can take over within one lease period, instead of waiting out the whole invocation time.
 */
import type { ImageTable, RowKey } from '../aws/image-table.ts';
import type { PipelineLogger } from './log.ts';

export interface LeasePolicy {
  /** How long one claim or renewal lasts. */
  readonly leaseMs: number;
  /** How often a live worker renews it (a third of the lease leaves room for two misses). */
  readonly renewEveryMs: number;
}

export const defaultLeasePolicy: LeasePolicy = { leaseMs: 15_000, renewEveryMs: 5_000 };

export function leaseUntil(policy: LeasePolicy, hardLimit: number, now = Date.now()): number {
  return Math.min(now + policy.leaseMs, hardLimit);
}

/**
 * Renews the lease until stopped or until `hardLimit` (the invocation's own deadline), and calls
 * `onTick` each time (the worker pushes the message's visibility forward with it). The
 * returned function stops renewing and resolves once no renewal is in flight, so the caller's
 * next write is the last word on the row.
 */
export function startLeaseHeartbeat(
  table: ImageTable,
  key: RowKey,
  owner: string,
  policy: LeasePolicy,
  hardLimit: number,
  log: PipelineLogger,
  onTick?: () => Promise<void> | undefined,
  /** The flow's clock, epoch ms. */
  now: () => number = Date.now,
): () => Promise<void> {
  let stopped = false;
  let inFlight: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    if (stopped || now() >= hardLimit) return;
    const warn = (what: string) => (error: unknown) => {
      log.warn(what, {
        rowKey: key.pk,
        error: error instanceof Error ? error.message : String(error),
      });
    };
    inFlight = Promise.all([
      table
        .renewLease(key, owner, leaseUntil(policy, hardLimit, now()), new Date(now()))
        .catch(warn('could not renew the lease')),
      Promise.resolve()
        .then(() => onTick?.())
        .catch(warn('could not extend the message visibility')),
    ]).then(() => undefined);
  }, policy.renewEveryMs);
  timer.unref();
  return async () => {
    stopped = true;
    clearInterval(timer);
    await inFlight;
  };
}
