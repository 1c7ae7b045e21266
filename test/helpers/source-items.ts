/** Reads a source to the end the way the ingest engine does, recording what each item became. */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { EntryAbandonedError, refusalOf } from '../../lib/ingest/sources/errors.ts';
import { readSource } from '../../lib/ingest/sources/read-source.ts';
import type {
  ReadSourceOptions,
  Refusal,
  SourceEntry,
  SourceProgress,
} from '../../lib/ingest/sources/source.ts';
import { eventually } from './temp.ts';

export type Outcome =
  | {
      readonly kind: 'entry';
      readonly index: number;
      readonly name: string;
      readonly source: string;
      readonly declaredSize: number | undefined;
      /** The body as read; undefined when not opened. */
      readonly body: Buffer | undefined;
      /** Bytes read before the body failed. */
      readonly bytesRead: number;
      /** The refusal the body failed with. */
      readonly refused: Refusal | undefined;
      /** A failure that is not a refusal. */
      readonly error: Error | undefined;
    }
  | ({ readonly kind: 'refused' } & Refusal);

export type Handling = 'read' | 'discard' | 'leave';

export async function readBody(
  entry: SourceEntry,
): Promise<{ body: Buffer | undefined; bytesRead: number; failure: unknown }> {
  const chunks: Buffer[] = [];
  let bytesRead = 0;
  try {
    for await (const chunk of entry.open()) {
      chunks.push(chunk as Buffer);
      bytesRead += (chunk as Buffer).byteLength;
    }
    return { body: Buffer.concat(chunks), bytesRead, failure: undefined };
  } catch (failure) {
    return { body: undefined, bytesRead, failure };
  }
}

export async function collect(
  path: string,
  options: ReadSourceOptions = {},
  handle: (entry: SourceEntry) => Handling = () => 'read',
): Promise<{ outcomes: Outcome[]; progress: SourceProgress }> {
  const reader = readSource(path, options);
  const outcomes: Outcome[] = [];
  for await (const item of reader.items) {
    if (item.kind === 'refused') {
      outcomes.push({ kind: 'refused', ...item.refusal });
      continue;
    }
    const entry = item.entry;
    const facts = {
      kind: 'entry' as const,
      index: entry.index,
      name: entry.name,
      source: entry.source,
      declaredSize: entry.declaredSize,
    };
    const how = handle(entry);
    if (how !== 'read') {
      if (how === 'discard') await entry.discard();
      outcomes.push({
        ...facts,
        body: undefined,
        bytesRead: 0,
        refused: undefined,
        error: undefined,
      });
      continue;
    }
    const { body, bytesRead, failure } = await readBody(entry);
    const refused = refusalOf(failure);
    outcomes.push({
      ...facts,
      body,
      bytesRead,
      refused,
      error: failure !== undefined && refused === undefined ? (failure as Error) : undefined,
    });
  }
  return { outcomes, progress: reader.progress() };
}

/** `name` for entries read whole, `reason` for refusals (as items or as failed bodies). */
export function summary(outcomes: readonly Outcome[]): string[] {
  return outcomes.map((o) => {
    if (o.kind === 'refused') return `${o.index} refused ${o.reason}`;
    if (o.refused) return `${o.index} ${o.name} failed ${o.refused.reason}`;
    if (o.error) return `${o.index} ${o.name} error ${o.error.name}`;
    return `${o.index} ${o.name}`;
  });
}

/** The promise's value, or a failure after `ms`: a broken contract fails a test, never hangs it. */
export function within<T>(promise: Promise<T>, ms = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Why a descriptor check cannot run here (no /proc/self/fd), or false when it can. */
export const noFdTable = !existsSync('/proc/self/fd') && 'needs /proc/self/fd';

/**
 * Reads `path` every way an iteration can end (to the end; leaving or discarding bodies; breaking
 * out with a body half-read, which must fail with EntryAbandonedError), 20 times over, and asserts
 * that the process holds no more file descriptors afterwards than before.
 */
export async function assertLetsGoOfFile(path: string): Promise<void> {
  const open = () => readdirSync('/proc/self/fd').length;
  await collect(path);
  const before = open();
  const stopped: Promise<unknown>[] = [];
  for (let i = 0; i < 20; i += 1) {
    await collect(path);
    await collect(path, {}, () => 'leave');
    await collect(path, {}, () => 'discard');
    for await (const item of readSource(path).items) {
      if (item.kind === 'entry') {
        const body = item.entry.open();
        stopped.push(new Promise((resolve) => body.on('error', resolve)));
        body.resume();
      }
      break;
    }
  }
  for (const error of await Promise.all(stopped)) assert.ok(error instanceof EntryAbandonedError);
  await eventually(
    'the descriptors to close',
    async () => (open() <= before ? true : undefined),
    5_000,
  );
}
