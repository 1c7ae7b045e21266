/** `pixelmill dlq list|show`: what is in the dead-letter queue, and why. */

import { type DeadLetterDeletion, deleteDeadLetters } from '../../lib/ops/dead-letter-delete.ts';
import type { DeadLetter } from '../../lib/ops/dead-letters.ts';
import { findDeadLetter, peekDeadLetters } from '../../lib/ops/dead-letters.ts';
import { UsageError } from '../../lib/ops/errors.ts';
import { printable } from '../../lib/ops/printable.ts';
import {
  helpOption,
  type OptionSpec,
  optionsHelp,
  parseCommandArgs,
  positiveInt,
} from '../args.ts';
import { age, columns } from '../format.ts';
import { writeErr, writeJson, writeOut } from '../output.ts';
import { closest } from '../suggest.ts';
import { resolveTarget, targetOptionSpec } from '../target.ts';

export const options = {
  max: { type: 'string', value: 'N', help: 'list (or purge) at most N messages (default 10000)' },
  'dry-run': {
    type: 'boolean',
    default: false,
    help: 'delete: say what would be deleted, change nothing',
  },
  yes: {
    type: 'boolean',
    default: false,
    help: 'purge: really delete (without it, nothing changes)',
  },
  json: { type: 'boolean', default: false, help: 'machine-readable output' },
  ...targetOptionSpec,
  help: helpOption,
} as const satisfies OptionSpec;

export const help = `Usage: pixelmill dlq list [--max N] [--json] [--state DIR | --stack NAME]
       pixelmill dlq show <message-id|key> [--json] [--state DIR | --stack NAME]
       pixelmill dlq delete <message-id|key> [--dry-run] [--json] [--state DIR | --stack NAME]
       pixelmill dlq purge [--yes] [--json] [--state DIR | --stack NAME]

list:   every message in the dead-letter queue with its image's key, attempts, last error and age.
show:   one message's whole story: the event, every attempt and error from the image's row.
delete: delete one dead letter you give up on (by message id, or the image's key: every dead
        letter of that key). The deletion is written in the image's history (dlq-deleted); the
        image stays FAILED, which \`pixelmill audit\` reports as failed-not-in-dlq and
        \`audit --repair\` would process again from its upload.
purge:  delete every dead letter, each recorded as delete does. Without --yes it only says what
        it would delete (as --dry-run does).
To retry dead letters instead, use \`pixelmill redrive\`.
Reading hides messages for a moment; they are made visible again right after.

${optionsHelp(options)}`;

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

export async function run(argv: readonly string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parseCommandArgs(rest, options);
  if (sub === undefined) {
    await writeOut(help);
    return 0;
  }
  if (!DLQ_COMMANDS.includes(sub)) {
    const guess = closest(sub, DLQ_COMMANDS);
    throw new UsageError(
      `Unknown dlq command "${sub}"${guess ? `; did you mean ${guess}?` : ''}: ${DLQ_COMMANDS.join(', ')}`,
    );
  }
  if ((sub === 'show' || sub === 'delete') && positionals.length !== 1)
    throw new UsageError('Expected one message id or key');
  if (sub === 'purge' && positionals.length > 0)
    throw new UsageError('dlq purge deletes every dead letter: it takes no id or key');
  const target = await resolveTarget(values);
  try {
    if (sub === 'delete' || sub === 'purge') {
      const wanted = positionals[0] ?? '';
      const dryRun = sub === 'purge' ? !values.yes : values['dry-run'];
      const deletion = await deleteDeadLetters(
        target,
        (l) => sub === 'purge' || l.messageId === wanted || l.item?.key === wanted,
        {
          dryRun,
          why: `deleted from the DLQ by pixelmill dlq ${sub}`,
          ...(values.max !== undefined ? { max: positiveInt('max', values.max, 10_000) } : {}),
        },
      );
      return await printDeletion(sub, wanted, deletion, values.json);
    }
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
          'Fix the cause, then: pixelmill redrive --reason <REASON> --dry-run\n' +
          'Or give one up: pixelmill dlq delete <KEY> --dry-run\n',
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

const DLQ_COMMANDS = ['list', 'show', 'delete', 'purge'];

async function printDeletion(
  sub: 'delete' | 'purge',
  wanted: string,
  d: DeadLetterDeletion,
  json: boolean,
): Promise<number> {
  const view = (letters: readonly DeadLetter[]) => letters.map(summary);
  if (json) {
    await writeJson({
      dryRun: d.dryRun,
      examined: d.examined,
      selected: view(d.selected),
      deleted: view(d.deleted),
      failed: d.failed.map((f) => ({ ...summary(f.letter), error: f.error })),
      seconds: d.seconds,
    });
  } else {
    const lines: string[] = [];
    if (d.selected.length === 0)
      lines.push(
        sub === 'purge'
          ? 'The dead-letter queue is empty.'
          : `No dead letter with message id or key "${printable(wanted)}" (pixelmill dlq list shows them).`,
      );
    else {
      lines.push(
        columns([
          ['KEY', 'REASON', 'ATTEMPTS', 'MESSAGE'],
          ...d.selected.map((l) => [
            l.item?.key ?? '(not a work item)',
            l.reason,
            String(l.attempts ?? '-'),
            l.messageId,
          ]),
        ]),
      );
      lines.push(
        d.dryRun
          ? `${d.selected.length} dead letter(s) would be deleted; nothing changed.${sub === 'purge' ? ' Add --yes to delete them.' : ' Run again without --dry-run to delete.'}`
          : `${d.deleted.length} dead letter(s) deleted (written in each image's history); ${d.failed.length} failed, in ${d.seconds} s.`,
      );
      for (const f of d.failed)
        lines.push(`  failed ${printable(f.letter.messageId)}: ${printable(f.error)}`);
      if (!d.dryRun && d.deleted.some((l) => l.row?.status === 'FAILED'))
        lines.push(
          'Their images stay FAILED: `pixelmill audit --repair` would process them again.',
        );
    }
    await writeOut(`${lines.join('\n')}\n`);
  }
  if (d.failed.length > 0) return 1;
  // Asked to delete one that is not there: nothing was done, as `dlq show` says of a miss.
  return sub === 'delete' && d.selected.length === 0 ? 1 : 0;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
