/**
 * Deletes dead letters an operator gives up on (`pixelmill dlq delete`, `dlq purge`), each
 * deletion written on the image's row first (history `dlq-deleted`, with the message id and the
 * last error's code), as a redrive writes its moves: a row never loses the story of its message.
 * The row keeps its status: a FAILED image stays FAILED, now without a message in the DLQ, which
 * `pixelmill audit` reports as `failed-not-in-dlq` and `audit --repair` re-enqueues from its
 * upload. SQS's PurgeQueue is not used: it records nothing, and cannot be limited or previewed.
 */
import type { DeadLetter } from './dead-letters.ts';
import { letterHistory, peekDeadLetters } from './dead-letters.ts';
import { OpsError } from './errors.ts';
import type { OperatorContext } from './operator-context.ts';

export interface DeadLetterDeletion {
  readonly dryRun: boolean;
  /** Messages read from the DLQ. */
  readonly examined: number;
  /** The selected messages: deleted, or with `dryRun`, those that would be. */
  readonly selected: readonly DeadLetter[];
  readonly deleted: readonly DeadLetter[];
  readonly failed: readonly { readonly letter: DeadLetter; readonly error: string }[];
  readonly seconds: number;
}

export async function deleteDeadLetters(
  ctx: OperatorContext,
  select: (letter: DeadLetter) => boolean,
  options: { readonly dryRun: boolean; readonly why: string; readonly max?: number },
): Promise<DeadLetterDeletion> {
  const started = performance.now();
  const peeked = await peekDeadLetters(ctx, {
    holdSeconds: 300,
    ...(options.max !== undefined ? { max: options.max } : {}),
  });
  const selected = peeked.letters.filter(select);
  const deleted: DeadLetter[] = [];
  const failed: { letter: DeadLetter; error: string }[] = [];
  const gone = new Set<string>();
  try {
    if (!options.dryRun) {
      for (const letter of selected) {
        try {
          if (letter.row) {
            await ctx.table.note(
              { pk: letter.row.pk, sk: letter.row.sk },
              letterHistory(letter, 'dlq-deleted', options.why),
            );
          }
          const kept = await ctx.deadLetterQueue.deleteBatch([letter.receiptHandle]);
          if (kept.length > 0) throw new OpsError('SQS did not delete it (try again)');
          gone.add(letter.messageId);
          deleted.push(letter);
        } catch (error) {
          failed.push({ letter, error: error instanceof Error ? error.message : String(error) });
        }
      }
    }
  } finally {
    await peeked.release(gone);
  }
  return {
    dryRun: options.dryRun,
    examined: peeked.letters.length,
    selected,
    deleted,
    failed,
    seconds: Math.round((performance.now() - started) / 10) / 100,
  };
}
