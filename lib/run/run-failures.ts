/**
 * What `pixelmill run` does about images that end FAILED (their retries spent), so that a run
 * with failures has a way forward:
 *
 * - Before it ends, it lets their messages reach the dead-letter queue. SQS moves a message there
 *   when it is received once more after its last allowed receive (fauxqs does the same), so a run
 *   that stopped its workers as soon as the last row said FAILED left the message in the work
 *   queue: `dlq list` showed nothing and a redrive found nothing. The workers keep polling until
 *   the work queue has drained (bounded: a joined cloud may hold other work).
 * - A rerun of the same command retries them: before uploading, the dead letters of keys under
 *   the run's inputs are redriven (receive → send → delete, each move recorded on the image's
 *   row: history `redriven`, `redrives` + 1, status RETRYING until a worker takes it), so the run
 *   follows them to a new outcome instead of finding their rows FAILED at once. The moved
 *   message starts with a receive count of 1, so the image gets its full retries again; the row's
 *   `attempts` keeps counting across both (a record, not a budget). Images finished meanwhile are
 *   only removed from the DLQ, as by `pixelmill redrive`.
 */
import type { Queue } from '../aws/queue.ts';
import { KeyPrefixes } from '../ops/key-prefixes.ts';
import type { OperatorContext } from '../ops/operator-context.ts';
import { type RedriveReport, redrive } from '../ops/redrive.ts';

/** Moves per second when a rerun redrives its own failures (one run's worth, not a backlog). */
const RERUN_REDRIVE_RATE = 500;

/**
 * Redrives the dead letters of keys under `prefixes` (a run's inputs); undefined when the DLQ is
 * empty (checked first from its attributes: reading an empty queue costs a one-second poll).
 */
export async function redriveEarlierFailures(
  ctx: OperatorContext,
  prefixes: readonly string[],
): Promise<RedriveReport | undefined> {
  const depth = await ctx.deadLetterQueue.depth();
  if (depth.visible + depth.inFlight + depth.delayed === 0) return undefined;
  return redrive(
    ctx,
    { prefixes: new KeyPrefixes(prefixes) },
    { dryRun: false, ratePerSecond: RERUN_REDRIVE_RATE },
  );
}

/**
 * Waits until the work queue holds nothing (its last FAILED messages received once more, and so
 * moved to the DLQ), or `timeoutMs` has passed; whether it drained.
 */
export async function waitForDeadLetters(
  workQueue: Queue,
  timeoutMs: number,
  pollMs = 250,
): Promise<boolean> {
  const ends = Date.now() + timeoutMs;
  for (;;) {
    const d = await workQueue.depth();
    if (d.visible + d.inFlight + d.delayed === 0) return true;
    if (Date.now() >= ends) return false;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
