/**
 * Moves dead letters back to the work queue: the ones matching the operator's filters, at a safe
 * rate, each move recorded on the image's row. Every move is receive → send → delete, never the
 * other way round: a crash mid-way leaves the message in the DLQ (to be moved again) and at most
 * one extra copy in the work queue, which the worker's idempotency turns into a no-op. Images
 * already finished meanwhile are only deleted from the DLQ, and messages that are not work items
 * are left alone unless asked for by their reason (moving them back only dead-letters them again).
 *
 * StartMessageMoveTask is not used even without filters: it moves messages blindly, records
 * nothing on the rows, and fauxqs (the local cloud) does not implement it.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-configure-dead-letter-queue-redrive.html
 */

import { isTerminal } from '../../events/image-row.ts';
import { Pacer } from '../async/pacer.ts';
import type { DeadLetter } from './dead-letters.ts';
import { letterHistory, peekDeadLetters } from './dead-letters.ts';
import { flushCountsQuietly } from './flush-counts.ts';
import type { KeyPrefixes } from './key-prefixes.ts';
import type { OperatorContext } from './operator-context.ts';

export const REDRIVE_ATTRIBUTE = 'pixelmill-redriven-from';

export interface RedriveFilter {
  /** The last error's code (`ThrottlingException`, `malformed-message`, …), case-insensitive. */
  readonly reason?: string | undefined;
  /** Only uploads keys starting with this (a whole key prefix: the CLI adds the uploads prefix). */
  readonly prefix?: string | undefined;
  /** Only uploads keys under any of these (a run's inputs), as well as `prefix`. */
  readonly prefixes?: KeyPrefixes | undefined;
  /** Only messages whose last failure (or, without a row, whose enqueue) is at or after this. */
  readonly since?: Date | undefined;
  /** At most this many moves. */
  readonly max?: number | undefined;
}

export type RedriveDecision =
  | { readonly action: 'move' }
  | { readonly action: 'delete-finished'; readonly status: string }
  | { readonly action: 'skip'; readonly why: string };

export interface RedriveItem {
  readonly letter: DeadLetter;
  readonly decision: RedriveDecision;
}

export interface RedriveReport {
  readonly dryRun: boolean;
  readonly examined: number;
  readonly matched: number;
  /** Every matching message with what was (or, in a dry run, would be) done with it. */
  readonly plan: readonly RedriveItem[];
  readonly moved: readonly RedriveItem[];
  readonly deletedFinished: readonly RedriveItem[];
  readonly skipped: readonly RedriveItem[];
  readonly failed: readonly { readonly letter: DeadLetter; readonly error: string }[];
  readonly seconds: number;
}

function matches(letter: DeadLetter, filter: RedriveFilter): boolean {
  if (filter.reason && letter.reason.toLowerCase() !== filter.reason.toLowerCase()) return false;
  if (filter.prefix && !(letter.item?.key ?? '').startsWith(filter.prefix)) return false;
  if (filter.prefixes && !filter.prefixes.has(letter.item?.key ?? '')) return false;
  if (filter.since) {
    const when = new Date(letter.lastError?.at ?? letter.sentAt);
    if (when < filter.since) return false;
  }
  return true;
}

function decide(letter: DeadLetter, filter: RedriveFilter): RedriveDecision {
  if (!letter.item) {
    return filter.reason?.toLowerCase() === letter.reason.toLowerCase()
      ? { action: 'move' }
      : {
          action: 'skip',
          why: 'not a work item: moving it back would only dead-letter it again (ask for it by its reason to move it anyway)',
        };
  }
  const status = letter.row?.status;
  if (isTerminal(status)) return { action: 'delete-finished', status };
  return { action: 'move' };
}

export async function redrive(
  ctx: OperatorContext,
  filter: RedriveFilter,
  options: { dryRun: boolean; ratePerSecond: number; onMove?: (item: RedriveItem) => void },
): Promise<RedriveReport> {
  const started = performance.now();
  const peeked = await peekDeadLetters(ctx, { holdSeconds: 300 });
  const matching = peeked.letters
    .filter((l) => matches(l, filter))
    .slice(0, filter.max ?? Number.POSITIVE_INFINITY);
  const items: RedriveItem[] = matching.map((letter) => ({
    letter,
    decision: decide(letter, filter),
  }));
  const moved: RedriveItem[] = [];
  const deletedFinished: RedriveItem[] = [];
  const failed: { letter: DeadLetter; error: string }[] = [];
  const done = new Set<string>();
  const pacer = new Pacer(options.ratePerSecond);
  try {
    if (!options.dryRun) {
      for (const item of items) {
        const { letter, decision } = item;
        if (decision.action === 'skip') continue;
        try {
          if (decision.action === 'delete-finished') {
            await ctx.deadLetterQueue.deleteBatch([letter.receiptHandle]);
            deletedFinished.push(item);
          } else {
            await pacer.take();
            if (letter.row) {
              await ctx.table.requeued(
                { pk: letter.row.pk, sk: letter.row.sk },
                letterHistory(letter, 'redriven'),
                'redrives',
              );
            }
            await ctx.workQueue.send(letter.body, {
              attributes: { [REDRIVE_ATTRIBUTE]: letter.messageId },
            });
            await ctx.deadLetterQueue.deleteBatch([letter.receiptHandle]);
            moved.push(item);
            options.onMove?.(item);
          }
          done.add(letter.messageId);
        } catch (error) {
          failed.push({ letter, error: error instanceof Error ? error.message : String(error) });
        }
      }
    }
  } finally {
    await peeked.release(done);
    await flushCountsQuietly(ctx.table);
  }
  return {
    dryRun: options.dryRun,
    examined: peeked.letters.length,
    matched: items.length,
    plan: items,
    moved,
    deletedFinished,
    skipped: items.filter((i) => i.decision.action === 'skip'),
    failed,
    seconds: Math.round((performance.now() - started) / 10) / 100,
  };
}
