/** Reads a source to the end the way the ingest engine does, recording what each item became. */
import { refusalOf } from '../../lib/ops/sources/errors.ts';
import { readSource } from '../../lib/ops/sources/read-source.ts';
import type {
  ReadSourceOptions,
  Refusal,
  SourceEntry,
  SourceProgress,
} from '../../lib/ops/sources/source.ts';

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
