/**
 * A tar or gzip-compressed tar, read sequentially with tar-stream over one file stream (gunzipped
 * for `.tar.gz`/`.tgz`). Every byte out of the decompressor is counted against the archive's
 * budget as it is produced, whether it belongs to a header, an uploaded entry, or an entry being
 * read past; each opened entry is also counted against its own caps, its ratio measured against
 * the compressed bytes zlib consumed meanwhile. A tar cannot skip: refused, discarded and resumed
 * entries are read past, so an archive whose damage or budget is hit ends there.
 */
import { createReadStream, type ReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { createGunzip, type Gunzip } from 'node:zlib';
import { extract as createExtract, type Extract, type Header } from 'tar-stream';
import { type EntryFacts, EntryHandle, yieldEntry } from './entry-handle.ts';
import { decodeTarName, displayName } from './entry-names.ts';
import { type EntryRefusedError, SourceReadError } from './errors.ts';
import { formatBytes, INFLATE_CHUNK_BYTES } from './limits.ts';
import { ArchiveBudget, EntryMeter, type MeterVerdict } from './meter.ts';
import type { SourceSequence } from './sequence.ts';
import type { RefusalReason, SourceItem } from './source.ts';

/** tar-stream's entry stream (a streamx Readable), as far as this reader uses it. */
interface EntrySource {
  on(event: 'data', listener: (chunk: unknown) => void): unknown;
  on(event: 'end' | 'close', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  pause(): unknown;
  resume(): unknown;
}

/** tar-stream's options beyond its declared ones (see its extract.js). */
interface ExtractOptions extends NonNullable<Parameters<typeof createExtract>[0]> {
  readonly filenameEncoding: 'latin1';
  readonly allowUnknownFormat: boolean;
}

type FeedEvent =
  | { kind: 'entry'; header: Header; stream: EntrySource; unlock: () => void }
  | { kind: 'end' }
  | { kind: 'failed'; verdict: MeterVerdict }
  | { kind: 'io-failed'; error: Error };

/** The file → gunzip → tar-stream plumbing, as a pull of events. */
class TarFeed {
  readonly compressed: boolean;
  readonly #path: string;
  readonly #file: ReadStream;
  readonly #gunzip: Gunzip | undefined;
  readonly #extract: Extract;
  #pending: FeedEvent | undefined;
  #waiting: ((event: FeedEvent) => void) | undefined;
  #failure: FeedEvent | undefined;

  constructor(path: string, compressed: boolean, budget: ArchiveBudget, sequence: SourceSequence) {
    this.compressed = compressed;
    this.#path = path;
    this.#file = createReadStream(path);
    this.#gunzip = compressed ? createGunzip({ chunkSize: INFLATE_CHUNK_BYTES }) : undefined;
    // Names as Latin-1 keep every byte; `decodeTarName` decides the encoding. Pre-POSIX headers
    // (no `ustar` magic) are accepted: their checksum is still verified.
    const options: ExtractOptions = { filenameEncoding: 'latin1', allowUnknownFormat: true };
    this.#extract = createExtract(options);
    const file = this.#file;
    const gunzip = this.#gunzip;
    const extract = this.#extract;
    const tarStream: Readable = gunzip ? file.pipe(gunzip) : file;
    file.on('data', (chunk: string | Buffer) => {
      sequence.bytesRead += chunk.length;
    });
    let consumedSeen = 0;
    tarStream.on('data', (chunk: Buffer) => {
      const consumed = gunzip ? gunzip.bytesWritten - consumedSeen : chunk.byteLength;
      consumedSeen += consumed;
      const over = budget.add(chunk.byteLength, consumed);
      if (over) return this.#fail({ kind: 'failed', verdict: over });
      if (!extract.write(chunk)) tarStream.pause();
    });
    extract.on('drain', () => tarStream.resume());
    tarStream.on('end', () => extract.end(undefined));
    file.on('error', (error) => this.#fail({ kind: 'io-failed', error }));
    gunzip?.on('error', (error) =>
      this.#fail({
        kind: 'failed',
        verdict: corrupt(`the gzip data is damaged: ${error.message}`),
      }),
    );
    extract.on('error', (error) =>
      this.#fail({ kind: 'failed', verdict: corrupt(`the tar data is damaged: ${error.message}`) }),
    );
    extract.on('entry', (header, stream, unlock) =>
      this.#deliver({
        kind: 'entry',
        header,
        stream: stream as unknown as EntrySource,
        unlock: () => unlock(),
      }),
    );
    extract.on('finish', () => this.#deliver({ kind: 'end' }));
  }

  /** Compressed bytes zlib has consumed (a plain tar: bytes read). */
  consumed(): number {
    return this.#gunzip ? this.#gunzip.bytesWritten : this.#file.bytesRead;
  }

  next(): Promise<FeedEvent> {
    if (this.#failure) return Promise.resolve(this.#failure);
    const pending = this.#pending;
    if (pending) {
      this.#pending = undefined;
      return Promise.resolve(pending);
    }
    return new Promise((resolve) => {
      this.#waiting = resolve;
    });
  }

  get failed(): boolean {
    return this.#failure !== undefined;
  }

  /** What the current entry's body fails with when the archive fails inside it. */
  entryError(entry: EntryHandle): EntryRefusedError | SourceReadError {
    const failure = this.#failure;
    if (failure?.kind === 'io-failed') return new SourceReadError(this.#path, failure.error);
    const verdict =
      failure?.kind === 'failed' ? failure.verdict : corrupt('the archive ended inside this entry');
    return entry.refusedError(verdict);
  }

  close(): void {
    this.#file.destroy();
    this.#gunzip?.destroy();
    this.#extract.destroy();
  }

  #deliver(event: FeedEvent): void {
    const waiting = this.#waiting;
    if (waiting) {
      this.#waiting = undefined;
      waiting(event);
    } else {
      this.#pending = event;
    }
  }

  #fail(event: FeedEvent): void {
    if (this.#failure) return;
    this.#failure = event;
    this.#file.destroy();
    this.#gunzip?.destroy();
    // Ends the entry stream in flight (its body then fails with `entryError`).
    this.#extract.destroy(new Error('the archive failed'));
    this.#pending = undefined;
    this.#deliver(event);
  }
}

function corrupt(detail: string): MeterVerdict {
  return { reason: 'corrupt-archive', detail: `${detail}; nothing after this was read` };
}

/** Resolves once the entry's data has been read to its end (or the archive failed). */
function finished(stream: EntrySource): Promise<void> {
  return new Promise((resolve) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', () => resolve());
  });
}

function drain(stream: EntrySource, done: Promise<void>): Promise<void> {
  stream.on('data', () => {});
  stream.resume();
  return done;
}

class TarEntry extends EntryHandle {
  readonly #stream: EntrySource;
  readonly #feed: TarFeed;
  readonly #sequence: SourceSequence;
  readonly #done: Promise<void>;

  constructor(
    facts: EntryFacts,
    source: { stream: EntrySource; done: Promise<void>; feed: TarFeed; sequence: SourceSequence },
  ) {
    super(facts);
    this.#stream = source.stream;
    this.#done = source.done;
    this.#feed = source.feed;
    this.#sequence = source.sequence;
  }

  protected createBody(): Readable {
    const stream = this.#stream;
    const feed = this.#feed;
    const start = feed.consumed();
    const meter = new EntryMeter({
      limits: this.#sequence.limits,
      compressed: feed.compressed ? () => feed.consumed() - start : undefined,
    });
    let forwarding = true;
    const stop = () => {
      forwarding = false;
      stream.resume(); // read on past the rest of the entry
    };
    const body = new Readable({ read: () => void stream.resume() });
    stream.on('data', (chunk) => {
      if (!forwarding) return;
      const bytes = chunk as Buffer;
      const verdict = meter.add(bytes);
      if (verdict) {
        stop();
        body.destroy(this.refusedError(verdict));
      } else if (!body.push(bytes)) {
        stream.pause();
      }
    });
    stream.on('end', () => {
      if (!forwarding) return;
      forwarding = false;
      const verdict = meter.end();
      if (verdict) body.destroy(this.refusedError(verdict));
      else body.push(null);
    });
    stream.on('close', () => {
      if (!forwarding) return;
      forwarding = false;
      body.destroy(feed.entryError(this));
    });
    body.on('close', () => {
      if (forwarding) stop();
    });
    return body;
  }

  protected release(): Promise<void> {
    return drain(this.#stream, this.#done);
  }
}

const SPECIAL: Readonly<Record<string, string>> = {
  link: 'a hard link',
  symlink: 'a symbolic link',
  'character-device': 'a character device',
  'block-device': 'a block device',
  fifo: 'a FIFO',
};

type Judged =
  | { kind: 'ignored' }
  | { kind: 'item'; item: SourceItem }
  | { kind: 'entry'; facts: EntryFacts }
  | { kind: 'skipped' };

function paxField(header: Header, field: 'path' | 'linkpath'): boolean {
  const pax = header.pax as Record<string, unknown> | null | undefined;
  return typeof pax?.[field] === 'string';
}

function judge(header: Header, sequence: SourceSequence): Judged {
  const type: string | null = header.type;
  if (type === 'directory') return { kind: 'ignored' };
  const decoded = decodeTarName(header.name, paxField(header, 'path'));
  const source = sequence.sourceOf(decoded ?? header.name);
  const refuse = (reason: RefusalReason, detail: string): Judged => ({
    kind: 'item',
    item: sequence.refused(source, reason, detail),
  });
  if (decoded === undefined) return refuse('invalid-name', 'its PAX path is not valid UTF-8');
  const regular = type === 'file' || type === 'contiguous-file';
  const judged = sequence.judgeArchiveName(decoded, regular);
  if (judged.kind === 'ignored') return { kind: 'ignored' };
  if (judged.kind === 'refused') return refuse(judged.reason, judged.detail);
  if (!regular) {
    const what = (type !== null && SPECIAL[type]) || 'an entry of a type other than a regular file';
    const target =
      type === 'link' || type === 'symlink'
        ? ` to "${displayName(decodeTarName(header.linkname ?? '', paxField(header, 'linkpath')) ?? '')}"`
        : '';
    const item = sequence.refused(source, 'not-a-regular-file', `${what}${target}`);
    if ((type === 'link' || type === 'symlink') && item.kind === 'refused') {
      sequence.addLink(judged.name, item.refusal.index);
    }
    return { kind: 'item', item };
  }
  if (header.size === 0) return refuse('empty-entry', 'it has no bytes');
  if (header.size > sequence.limits.maxEntryBytes) {
    return refuse(
      'entry-too-large',
      `its header declares ${formatBytes(header.size)}, more than maxEntryBytes (${formatBytes(sequence.limits.maxEntryBytes)})`,
    );
  }
  const index = sequence.claim(judged.name);
  if (index === undefined) return { kind: 'skipped' };
  return { kind: 'entry', facts: { index, source, name: judged.name, declaredSize: header.size } };
}

export async function* tarItems(
  path: string,
  compressed: boolean,
  sequence: SourceSequence,
): AsyncGenerator<SourceItem> {
  try {
    sequence.totalBytes = (await stat(path)).size;
  } catch (error) {
    throw new SourceReadError(path, error);
  }
  const feed = new TarFeed(path, compressed, new ArchiveBudget(sequence.limits), sequence);
  try {
    for (;;) {
      const event = await feed.next();
      if (event.kind === 'end') break;
      if (event.kind === 'io-failed') throw new SourceReadError(path, event.error);
      if (event.kind === 'failed') {
        yield sequence.ended(event.verdict.reason, event.verdict.detail);
        return;
      }
      if (!sequence.countEntry()) {
        yield sequence.tooManyEntries();
        return;
      }
      const { header, stream, unlock } = event;
      const done = finished(stream);
      const judged = judge(header, sequence);
      if (judged.kind === 'entry') {
        const entry = new TarEntry(judged.facts, { stream, done, feed, sequence });
        yield* yieldEntry(entry);
      } else {
        if (judged.kind === 'ignored') sequence.ignore();
        if (judged.kind === 'item') yield judged.item;
        await drain(stream, done);
      }
      if (!feed.failed) unlock();
    }
  } finally {
    feed.close();
  }
}
