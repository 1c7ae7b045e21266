/**
 * What `pixelmill ingest` reads: a file, a directory, or an archive (zip, tar, tar.gz), each as one
 * sequence of items in a deterministic order. An item is either an entry to upload or a refusal
 * (with a fixed reason code and a human detail). Bodies are streamed, one at a time, with flat
 * memory whatever the size of the source.
 */
import type { Readable } from 'node:stream';
import type { ArchiveLimits } from './limits.ts';

export type SourceKind = 'file' | 'directory' | 'zip' | 'tar' | 'tar.gz';

/**
 * Why an item of a source is not uploaded. The codes are a stable contract (the CLI prints them,
 * `--json` reports them, the checkpoint records them); meanings are in `refusalReasons`.
 */
export const refusalReasons = {
  'path-traversal':
    'the name would resolve outside the target prefix: a ".." segment, an absolute path ("/x", "C:\\x", "\\\\server"), a backslash path that climbs with "..", or a path through a symbolic link declared earlier in the archive',
  'backslash-in-name':
    'the name contains a backslash: a Windows separator or a literal character, ambiguous, so never guessed',
  'invalid-name':
    'the name is empty once cleaned, or its bytes are not valid in the encoding the archive declares',
  'name-too-long': 'the key (prefix and name) would be longer than the 1,024 UTF-8 bytes S3 allows',
  'name-collision':
    'the name cleans to the same key as an earlier entry (e.g. NFC and NFD spellings, or names differing only by control characters); the first one wins',
  'not-a-regular-file':
    'a symbolic or hard link in an archive; in a directory, a link to a directory or a broken link; a device, FIFO, socket or other special entry; only regular files are read',
  'link-outside-source':
    'a symbolic link in a directory whose target (resolved with realpath, every link on the way followed) is outside the directory named; links to files inside it are followed',
  'nested-archive':
    'an archive inside the source (.zip, .tar, .tgz, .gz, …); archives are not expanded recursively — extract it and ingest it on its own',
  'empty-entry': 'an archive entry with no bytes',
  'unsupported-entry':
    'an encrypted zip entry, or one compressed with a method other than store or deflate',
  'entry-too-large': 'the entry is (or inflates to) more than maxEntryBytes',
  'ratio-limit':
    'the entry inflated past maxRatio times its compressed size (a decompression bomb)',
  'corrupt-entry':
    "the entry's data is damaged: bad CRC, a size that differs from its header, invalid deflate data, a broken local header",
  'archive-too-large':
    'the archive inflated past maxTotalBytes, or past maxRatio times the compressed bytes read once over archiveRatioFloorBytes; the archive ends here',
  'too-many-entries': 'the archive has more than maxEntries entries; the archive ends here',
  'corrupt-archive':
    'the archive is damaged or truncated from this point (or unreadable as a whole); entries before it were read, the archive ends here',
} as const satisfies Record<string, string>;

export type RefusalReason = keyof typeof refusalReasons;

/** Reasons that end the source: nothing after a refusal with one of these is read. */
export const sourceEndingReasons: ReadonlySet<RefusalReason> = new Set<RefusalReason>([
  'archive-too-large',
  'too-many-entries',
  'corrupt-archive',
]);

export interface SourceEntry {
  /**
   * Ordinal of this item in the source's iteration order (entries and refusals both count; entries
   * skipped silently — directories, hidden files — do not). Stable across runs over the same
   * unchanged source with the same reader version.
   */
  readonly index: number;
  /** For messages: `photos.zip:dir/a.jpg`, `photos/dir/a.jpg`; control characters escaped. */
  readonly source: string;
  /**
   * The cleaned relative path, '/'-separated, to append below the key prefix: the source's own
   * name first (`photos/dir/a.jpg` for `photos/`, `photos.zip` or `photos.tar.gz`). Unique within
   * the source: colliding names are refused.
   */
  readonly name: string;
  /** From the archive header or the file's stat: a hint only; the body is counted as it is read. */
  readonly declaredSize: number | undefined;
  /**
   * For a file named or found below a directory named: its path as the user would type it (the
   * named path, then the raw names below it), unescaped. Undefined for an archive's entries.
   */
  readonly path?: string | undefined;
  /**
   * The body, inflated, counted and capped as it is read. A cap hit or damage makes the stream fail
   * with an `EntryRefusedError` (see `refusalOf`). Call at most once, and consume the stream (or
   * `discard()`) before advancing the iteration: advancing abandons a body still being read.
   */
  open(): Readable;
  /** Gives the entry up without uploading it (a tar is read past it; a zip entry is not inflated). */
  discard(): Promise<void>;
}

export interface Refusal {
  readonly index: number;
  readonly source: string;
  readonly reason: RefusalReason;
  readonly detail: string;
  /** As `SourceEntry.path`: for a file named or below a directory, with a UTF-8 name. */
  readonly path?: string;
}

export type SourceItem =
  | { readonly kind: 'entry'; readonly entry: SourceEntry }
  | { readonly kind: 'refused'; readonly refusal: Refusal };

export interface SourceProgress {
  /** Bytes of the source file consumed (compressed bytes of an archive), for an ETA. */
  readonly bytesRead: number;
  /** The source file's size; undefined for a directory. */
  readonly totalBytes: number | undefined;
  /** Entries the source says it has (a zip's central directory count, directories included). */
  readonly entriesKnown: number | undefined;
  /** Items passed so far: yielded, or skipped by `skip`. */
  readonly items: number;
  /** Entries skipped silently: directories, hidden files, `__MACOSX/`. */
  readonly ignored: number;
}

export interface ReadSourceOptions {
  /** Archive defences; `archiveLimits()` builds and validates them. Defaults apply when absent. */
  readonly limits?: ArchiveLimits;
  /** The prefix the caller puts before every name (`uploads/`), for the 1,024-byte key limit. */
  readonly keyPrefix?: string;
  /**
   * Consulted for each would-be entry, after its name is checked and registered: true means "already
   * uploaded" (resume), and the entry is neither yielded nor read (a tar is still read past it).
   * Refusals are always yielded. The name is passed so a checkpoint can key on it, which survives
   * files being added to a directory between runs; the index does not.
   */
  readonly skip?: (index: number, name: string) => boolean;
  /** When the caller already called `sourceKindOf`; otherwise it is called on the first step. */
  readonly kind?: SourceKind;
}

export interface SourceReader {
  /** Iterate once. Content problems become refusals; only I/O failures throw (`SourceReadError`). */
  readonly items: AsyncIterable<SourceItem>;
  progress(): SourceProgress;
}
