/** `pixelmill dlq list|show`: what is in the dead-letter queue, and why. */
import type { DeadLetter } from '../../lib/ops/dead-letters.ts';
import { findDeadLetter, peekDeadLetters } from '../../lib/ops/dead-letters.ts';
import { UsageError } from '../../lib/ops/errors.ts';
import { printable } from '../../lib/ops/printable.ts';
import { parseCommandArgs, positiveInt } from '../args.ts';
import { age, columns } from '../format.ts';
import { writeErr, writeJson, writeOut } from '../output.ts';
import { resolveTarget, targetHelp, targetOptionSpec } from '../target.ts';

export const dlqHelp = `Usage: pixelmill dlq list [--max N] [--json] [--state DIR | --stack NAME]
       pixelmill dlq show <message-id|key> [--json] [--state DIR | --stack NAME]

list: every message in the dead-letter queue with its image's key, attempts, last error and age.
show: one message's whole story: the event, every attempt and error from the image's row.
Reading hides messages for a moment; they are made visible again right after.

Options:
  --max N            list at most N messages (default 10000)
  --json             machine-readable output
${targetHelp}
  -h, --help
`;

function summary(letter: DeadLetter) {
  return {
    messageId: letter.messageId,
    key: letter.item?.key ?? null,
    version: letter.item ? (letter.item.versionId ?? letter.item.etag) : null,
    status: letter.row?.status ?? null,
    attempts: letter.attempts ?? null,
    reason: letter.reason,
    lastError: letter.lastError ?? null,
    sentAt: letter.sentAt,
    ageSeconds: letter.ageSeconds,
    redrives: letter.row?.redrives ?? 0,
  };
}

export async function dlqCommand(argv: readonly string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parseCommandArgs(rest, {
    ...targetOptionSpec,
    max: { type: 'string' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help || sub === undefined || sub === '--help' || sub === '-h') {
    await writeOut(dlqHelp);
    return 0;
  }
  if (sub !== 'list' && sub !== 'show')
    throw new UsageError(`Unknown dlq command "${sub}": list or show`);
  if (sub === 'show' && positionals.length !== 1)
    throw new UsageError('Expected one message id or key');
  const target = await resolveTarget(values);
  try {
    if (sub === 'list') {
      const peeked = await peekDeadLetters(target, {
        max: positiveInt('max', values.max, 10_000),
        holdSeconds: 60,
      });
      await peeked.release();
      const letters = peeked.letters.map(summary);
      if (values.json) {
        await writeJson({ count: letters.length, messages: letters });
        return 0;
      }
      if (letters.length === 0) {
        await writeErr('The dead-letter queue is empty.\n');
        return 0;
      }
      const byReason = new Map<string, number>();
      for (const l of letters) byReason.set(l.reason, (byReason.get(l.reason) ?? 0) + 1);
      await writeOut(
        `${columns([
          ['AGE', 'ATTEMPTS', 'REASON', 'KEY', 'LAST ERROR'],
          ...letters.map((l) => [
            age(l.ageSeconds),
            String(l.attempts ?? '-'),
            l.reason,
            l.key ?? `(message ${l.messageId})`,
            (l.lastError?.message ?? '').slice(0, 100),
          ]),
        ])}\n\n${letters.length} message(s): ${[...byReason].map(([r, n]) => `${n} ${printable(r)}`).join(', ')}\n` +
          'Fix the cause, then: pixelmill redrive --reason <REASON> --dry-run\n',
      );
      return 0;
    }
    const wanted = positionals[0] ?? '';
    const letter = await findDeadLetter(target, wanted);
    const rows = letter?.item
      ? await target.table.rowsOfKey(`${letter.item.bucket}/${letter.item.key}`)
      : await target.table.rowsOfKey(`${target.resources.uploadsBucket}/${wanted}`);
    if (!letter && rows.length === 0) {
      await writeErr(`No DLQ message and no row for "${printable(wanted)}".\n`);
      return 1;
    }
    const story = {
      inDeadLetterQueue: Boolean(letter),
      message: letter ? { ...summary(letter), body: safeJson(letter.body) } : null,
      rows: rows.map((r) => ({
        sk: r.sk,
        status: r.status,
        attempts: r.attempts,
        redrives: r.redrives ?? 0,
        reason: r.reason ?? null,
        lastError: r.lastError ?? null,
        history: r.history ?? [],
        updatedAt: r.updatedAt,
      })),
    };
    if (values.json) {
      await writeJson(story);
      return 0;
    }
    const lines: string[] = [];
    if (letter) {
      lines.push(
        `DLQ message ${printable(letter.messageId)}, sent ${printable(letter.sentAt)} (${age(letter.ageSeconds)} ago)`,
      );
      lines.push(
        `  key ${letter.item ? printable(letter.item.key) : '(not a work item)'}  reason ${printable(letter.reason)}`,
      );
      if (!letter.item) lines.push(`  body ${printable(letter.body.slice(0, 300))}`);
    } else lines.push(`"${printable(wanted)}" is not in the DLQ.`);
    // Everything below is read from the table: data, so each value is escaped.
    for (const r of story.rows) {
      lines.push(
        printable(
          `row ${r.sk}: ${r.status}, ${r.attempts} attempt(s), ${r.redrives} redrive(s), updated ${r.updatedAt}`,
        ),
      );
      for (const h of r.history) {
        const what = [h.code, h.message].filter(Boolean).join(': ');
        lines.push(
          `  ${printable(
            `${h.at}  ${h.event.padEnd(9)} ${h.receiveCount ? `receive ${h.receiveCount} ` : ''}${h.origin ? `(${h.origin}) ` : ''}${what}`,
          )}`,
        );
      }
    }
    await writeOut(`${lines.join('\n')}\n`);
    return 0;
  } finally {
    await target.close();
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
