/**
 * A zip archive, read with yauzl by random access: the central directory lazily, one record at a
 * time; an entry's data only when its body is opened. yauzl is asked for raw names and raw data:
 * names are decoded and judged here (yauzl would end the whole archive on one bad name), and data
 * is inflated here so every inflated byte is counted against the caps, its size against the
 * header, and its CRC-32 checked (yauzl does not check it). Damage to one entry's data refuses that
 * entry; damage to the central directory ends the archive with `corrupt-archive`.
 */
import { close as closeFd, fstat, open as openFd } from 'node:fs';
import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import { promisify } from 'node:util';
import { createInflateRaw, type InflateRaw } from 'node:zlib';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { isIoError } from './directory.ts';
import { type EntryFacts, EntryHandle, yieldEntry } from './entry-handle.ts';
import { decodeZipName } from './entry-names.ts';
import { SourceReadError } from './errors.ts';
import { formatBytes, INFLATE_CHUNK_BYTES } from './limits.ts';
import { ArchiveBudget, EntryMeter } from './meter.ts';
import type { SourceSequence } from './sequence.ts';
import type { RefusalReason, SourceItem } from './source.ts';
import { WindowedFileReader } from './zip-file-reader.ts';

const STORED = 0;
const DEFLATED = 8;

// Unix file types in the high 16 bits of the external attributes (st_mode).
const S_IFMT = 0o170000;
// A Map, not an object literal: Biome 2.6.8's useSimpleNumberKeys fix rewrites octal keys wrongly.
const unixTypes: ReadonlyMap<number, string> = new Map([
  [0o010000, 'a FIFO'],
  [0o020000, 'a character device'],
  [0o060000, 'a block device'],
  [0o120000, 'a symbolic link'],
  [0o140000, 'a socket'],
]);
const S_IFDIR = 0o040000;
const MSDOS_DIRECTORY = 0x10;

type EntryType = { kind: 'file' } | { kind: 'directory' } | { kind: 'special'; what: string };

function typeOf(entry: Entry, rawName: Uint8Array): EntryType {
  const mode = (entry.externalFileAttributes >>> 16) & S_IFMT;
  const special = unixTypes.get(mode);
  if (special !== undefined) return { kind: 'special', what: special };
  if (
    rawName[rawName.byteLength - 1] === 0x2f ||
    mode === S_IFDIR ||
    (entry.externalFileAttributes & MSDOS_DIRECTORY) !== 0
  ) {
    return { kind: 'directory' };
  }
  return { kind: 'file' };
}

type Next = { kind: 'entry'; entry: Entry } | { kind: 'end' } | { kind: 'error'; error: Error };

/** One central-directory record at a time, as promises. */
function entries(zipfile: ZipFile): () => Promise<Next> {
  let waiting: ((next: Next) => void) | undefined;
  let failed: Error | undefined;
  const settle = (next: Next) => {
    const resolve = waiting;
    waiting = undefined;
    resolve?.(next);
  };
  zipfile.on('entry', (entry: Entry) => settle({ kind: 'entry', entry }));
  zipfile.on('end', () => settle({ kind: 'end' }));
  zipfile.on('error', (error: Error) => {
    failed = error;
    settle({ kind: 'error', error });
  });
  return () =>
    new Promise<Next>((resolve) => {
      if (failed) return resolve({ kind: 'error', error: failed });
      waiting = resolve;
      zipfile.readEntry();
    });
}

class ZipEntry extends EntryHandle {
  readonly #zipfile: ZipFile;
  readonly #entry: Entry;
  readonly #sequence: SourceSequence;
  readonly #budget: ArchiveBudget;
  readonly #path: string;

  constructor(
    facts: EntryFacts,
    context: {
      zipfile: ZipFile;
      entry: Entry;
      sequence: SourceSequence;
      budget: ArchiveBudget;
      path: string;
    },
  ) {
    super(facts);
    this.#zipfile = context.zipfile;
    this.#entry = context.entry;
    this.#sequence = context.sequence;
    this.#budget = context.budget;
    this.#path = context.path;
  }

  protected createBody(): Readable {
    const entry = this.#entry;
    let inflate: InflateRaw | undefined;
    let raw: Readable | undefined;
    const meter = new EntryMeter({
      limits: this.#sequence.limits,
      expectedSize: entry.uncompressedSize,
      expectedCrc: entry.crc32,
      compressed:
        entry.compressionMethod === DEFLATED ? () => inflate?.bytesWritten ?? 0 : undefined,
      budget: this.#budget,
    });
    const body = new Transform({
      transform: (chunk: Buffer, _encoding, callback) => {
        const verdict = meter.add(chunk);
        const consumed = inflate ? inflate.bytesWritten : meter.bytes;
        const at = entry.relativeOffsetOfLocalHeader + consumed;
        this.#sequence.bytesRead = Math.max(this.#sequence.bytesRead, at);
        callback(verdict ? this.refusedError(verdict) : null, verdict ? undefined : chunk);
      },
      flush: (callback) => {
        const verdict = meter.end();
        callback(verdict ? this.refusedError(verdict) : null);
      },
    });
    body.on('close', () => {
      raw?.destroy();
      inflate?.destroy();
    });
    const corrupt = (error: Error) =>
      body.destroy(
        isIoError(error)
          ? new SourceReadError(this.#path, error)
          : this.refusedError({ reason: 'corrupt-entry', detail: error.message }, error),
      );
    this.#zipfile.openReadStream(entry, { decodeFileData: false }, (error, stream) => {
      if (error) return corrupt(error);
      if (body.destroyed) return stream.destroy();
      raw = stream;
      raw.on('error', corrupt);
      if (entry.compressionMethod === DEFLATED) {
        // 64 KiB pieces instead of zlib's 16 KiB: each piece is a round trip to the thread
        // pool, and at 16 KiB the reader waited more than it inflated (+40 % MB/s measured).
        inflate = createInflateRaw({ chunkSize: INFLATE_CHUNK_BYTES });
        inflate.on('error', corrupt);
        raw.pipe(inflate).pipe(body);
      } else {
        raw.pipe(body);
      }
    });
    return body;
  }

  protected release(): Promise<void> {
    return Promise.resolve();
  }
}

async function openZip(path: string): Promise<ZipFile> {
  // A plain descriptor, not a FileHandle: a FileHandle closes itself when garbage-collected.
  const fd = await promisify(openFd)(path, 'r');
  try {
    const { size } = await promisify(fstat)(fd);
    return await new Promise<ZipFile>((resolve, reject) => {
      yauzl.fromRandomAccessReader(
        new WindowedFileReader(fd),
        size,
        // Raw names and no size validation: both are judged per entry here, where yauzl would
        // end the whole archive. autoClose off: the reader closes it when the iteration ends.
        { lazyEntries: true, decodeStrings: false, validateEntrySizes: false, autoClose: false },
        (error, zipfile) => (error ? reject(error) : resolve(zipfile)),
      );
    });
  } catch (error) {
    // yauzl lets go of the reader only once it has opened; before that it is ours to close.
    await promisify(closeFd)(fd);
    throw error;
  }
}

export async function* zipItems(
  path: string,
  sequence: SourceSequence,
): AsyncGenerator<SourceItem> {
  let zipfile: ZipFile;
  try {
    zipfile = await openZip(path);
  } catch (error) {
    if (isIoError(error)) throw new SourceReadError(path, error);
    yield sequence.ended('corrupt-archive', `cannot be read as a zip: ${(error as Error).message}`);
    return;
  }
  const limits = sequence.limits;
  const budget = new ArchiveBudget(limits);
  sequence.totalBytes = zipfile.fileSize;
  sequence.entriesKnown = zipfile.entryCount;
  // Progress is the furthest offset passed: entries are normally stored in directory order.
  const passTo = (offset: number) => {
    sequence.bytesRead = Math.max(sequence.bytesRead, Math.min(offset, zipfile.fileSize));
  };
  const next = entries(zipfile);
  try {
    for (;;) {
      const step = await next();
      if (step.kind === 'end') break;
      if (step.kind === 'error') {
        if (isIoError(step.error)) throw new SourceReadError(path, step.error);
        yield sequence.ended(
          'corrupt-archive',
          `the central directory is damaged: ${step.error.message}`,
        );
        return;
      }
      if (!sequence.countEntry()) {
        yield sequence.tooManyEntries();
        return;
      }
      const entry = step.entry;
      passTo(entry.relativeOffsetOfLocalHeader);
      const item = judge(entry, sequence, budget);
      if (item.kind === 'ignored') {
        sequence.ignore();
      } else if (item.kind === 'item') {
        yield item.item;
      } else if (item.kind === 'entry') {
        const zipEntry = new ZipEntry(item.facts, { zipfile, entry, sequence, budget, path });
        yield* yieldEntry(zipEntry);
      }
      passTo(entry.relativeOffsetOfLocalHeader + entry.compressedSize);
      const over = budget.exceeded;
      if (over) {
        yield sequence.ended(over.reason, over.detail);
        return;
      }
    }
    sequence.bytesRead = zipfile.fileSize;
  } finally {
    zipfile.close();
  }
}

type Judged =
  | { kind: 'ignored' }
  | { kind: 'item'; item: SourceItem }
  | { kind: 'entry'; facts: EntryFacts }
  | { kind: 'skipped' };

function judge(entry: Entry, sequence: SourceSequence, budget: ArchiveBudget): Judged {
  const raw = entry.fileNameRaw;
  const type = typeOf(entry, raw);
  if (type.kind === 'directory') return { kind: 'ignored' };
  const decoded = decodeZipName(raw, entry.generalPurposeBitFlag, entry.extraFields);
  const rawShown = decoded ?? raw.toString('latin1');
  const source = sequence.sourceOf(rawShown);
  const refuse = (reason: RefusalReason, detail: string): Judged => ({
    kind: 'item',
    item: sequence.refused(source, reason, detail),
  });
  if (decoded === undefined) {
    return refuse('invalid-name', 'its name is flagged UTF-8 but is not valid UTF-8');
  }
  const judged = sequence.judgeArchiveName(decoded, type.kind === 'file');
  if (judged.kind === 'ignored') return { kind: 'ignored' };
  if (judged.kind === 'refused') return refuse(judged.reason, judged.detail);
  if (type.kind === 'special') {
    const item = sequence.refused(source, 'not-a-regular-file', type.what);
    if (type.what === 'a symbolic link' && item.kind === 'refused') {
      sequence.addLink(judged.name, item.refusal.index);
    }
    return { kind: 'item', item };
  }
  if (entry.isEncrypted()) return refuse('unsupported-entry', 'it is encrypted');
  if (entry.compressionMethod !== STORED && entry.compressionMethod !== DEFLATED) {
    return refuse(
      'unsupported-entry',
      `compression method ${entry.compressionMethod} (only store and deflate are read)`,
    );
  }
  if (entry.uncompressedSize === 0) return refuse('empty-entry', 'it has no bytes');
  if (entry.uncompressedSize > sequence.limits.maxEntryBytes) {
    return refuse(
      'entry-too-large',
      `its header declares ${formatBytes(entry.uncompressedSize)}, more than maxEntryBytes (${formatBytes(sequence.limits.maxEntryBytes)})`,
    );
  }
  const index = sequence.claim(judged.name);
  if (index === undefined) {
    // Already done: count it as it was counted when it was read, from its (then verified) header.
    budget.add(entry.uncompressedSize, entry.compressedSize);
    return { kind: 'skipped' };
  }
  return {
    kind: 'entry',
    facts: { index, source, name: judged.name, declaredSize: entry.uncompressedSize },
  };
}
