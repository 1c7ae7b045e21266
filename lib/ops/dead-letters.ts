/**
 * The DLQ as an operator sees it: each message joined with its image's row (the row explains it:
 * attempts, last error, history). Reading a queue hides what it reads, so peeking receives the
 * messages for a short hold and then releases them (visibility back to 1 s, never 0: see
 * DESIGN.md's fauxqs gaps); callers that act on some messages delete those instead.
 */
import { DLQ_ATTRIBUTES } from '../../events/dead-letter.ts';
import {
  type HistoryEntry,
  type ImageRow,
  isVersionRow,
  type LastError,
} from '../../events/image-row.ts';
import { parseWorkItem, type WorkItem } from '../../events/work-item.ts';
import { mapPool } from '../async/pool.ts';
import type { ReceivedMessage } from '../aws/queue.ts';
import type { OperatorContext } from './operator-context.ts';

export interface DeadLetter {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  /** When the message was first sent (SQS keeps it when moving a message to the DLQ). */
  readonly sentAt: string;
  readonly ageSeconds: number;
  readonly item?: WorkItem;
  readonly row?: ImageRow;
  /** Why it is here: the row's last error, or the reason the worker attached. */
  readonly lastError?: LastError;
  /** The code to filter on: the last error's code, `malformed-message`, or `unknown`. */
  readonly reason: string;
  readonly attempts?: number;
}

/** What an operator did to a dead letter, as its image's row records it. */
export function letterHistory(
  letter: DeadLetter,
  event: 'redriven' | 'dlq-deleted',
  message?: string,
): HistoryEntry {
  return {
    at: new Date().toISOString(),
    event,
    messageId: letter.messageId,
    code: letter.reason,
    ...(message === undefined ? {} : { message }),
  };
}

/** The row of a work item's object version (under the context's config, or the newest any). */
function pickRow(
  rows: readonly ImageRow[],
  item: WorkItem,
  configHash: string | undefined,
): ImageRow | undefined {
  const version = item.versionId ?? item.etag;
  const candidates = rows.filter((r) => isVersionRow(r) && r.sk.startsWith(`v#${version}#c#`));
  if (configHash) return candidates.find((r) => r.sk.endsWith(`#c#${configHash}`));
  return [...candidates].sort((a, b) => (a.updatedAt < b.updatedAt ? 1 : -1))[0];
}

async function explain(ctx: OperatorContext, m: ReceivedMessage, now: number): Promise<DeadLetter> {
  const sentMs = Number(m.attributes.SentTimestamp ?? now);
  const base = {
    messageId: m.messageId,
    receiptHandle: m.receiptHandle,
    body: m.body,
    sentAt: new Date(sentMs).toISOString(),
    ageSeconds: Math.max(0, Math.round((now - sentMs) / 1000)),
  };
  let item: WorkItem;
  try {
    item = parseWorkItem(m);
  } catch (error) {
    const code = m.messageAttributes[DLQ_ATTRIBUTES.code] ?? 'malformed-message';
    const message =
      m.messageAttributes[DLQ_ATTRIBUTES.message] ??
      (error instanceof Error ? error.message : String(error));
    return { ...base, reason: code, lastError: { code, message, at: base.sentAt } };
  }
  const row = pickRow(
    await ctx.table.rowsOfKey(`${item.bucket}/${item.key}`),
    item,
    ctx.configHash,
  );
  return {
    ...base,
    item,
    ...(row ? { row, attempts: row.attempts } : {}),
    ...(row?.lastError ? { lastError: row.lastError } : {}),
    reason: row?.lastError?.code ?? 'unknown',
  };
}

export interface Peeked {
  readonly letters: readonly DeadLetter[];
  /** Makes every peeked message visible again (except those the caller deleted). */
  release(except?: ReadonlySet<string>): Promise<void>;
}

/** Reads up to `max` DLQ messages, holding them invisible for `holdSeconds` while it works. */
export async function peekDeadLetters(
  ctx: OperatorContext,
  options: { max?: number; holdSeconds?: number } = {},
): Promise<Peeked> {
  const max = options.max ?? 10_000;
  const received: ReceivedMessage[] = [];
  const seen = new Set<string>();
  while (received.length < max) {
    // A short wait, not 0: SQS short polls sample some servers and can come back empty early.
    const batch = await ctx.deadLetterQueue.receive({
      max: Math.min(10, max - received.length),
      waitSeconds: 1,
      visibilityTimeout: options.holdSeconds ?? 60,
    });
    const fresh = batch.filter((m) => !seen.has(m.messageId));
    if (fresh.length === 0) break;
    for (const m of fresh) {
      seen.add(m.messageId);
      received.push(m);
    }
  }
  const now = Date.now();
  const letters = await mapPool(received, 8, (m) => explain(ctx, m, now));
  return {
    letters,
    async release(except = new Set()) {
      await mapPool(
        received.filter((m) => !except.has(m.messageId)),
        8,
        (m) => ctx.deadLetterQueue.changeVisibility(m.receiptHandle, 1).catch(() => undefined),
      );
    },
  };
}

/** Finds one dead letter by message id or by uploads key, and releases the rest. */
export async function findDeadLetter(
  ctx: OperatorContext,
  idOrKey: string,
): Promise<DeadLetter | undefined> {
  const peeked = await peekDeadLetters(ctx, { holdSeconds: 30 });
  try {
    return peeked.letters.find((l) => l.messageId === idOrKey || l.item?.key === idOrKey);
  } finally {
    await peeked.release();
  }
}
