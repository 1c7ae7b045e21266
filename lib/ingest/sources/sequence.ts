/**
 * The state every reader shares while it walks one source: the next item index, the entry count
 * against `maxEntries`, the names taken (collisions, links), and progress. The rules for an archive
 * entry's name live here so zip and tar apply them identically.
 */
import {
  cleanEntryName,
  displayName,
  fitsKey,
  isNestedArchiveName,
  keyBytes,
  MAX_KEY_BYTES,
} from './entry-names.ts';
import type { ArchiveLimits } from './limits.ts';
import { NameRegistry } from './name-registry.ts';
import type { RefusalReason, SourceItem, SourceProgress } from './source.ts';

export type NameJudgement =
  | { readonly kind: 'name'; readonly name: string }
  | { readonly kind: 'refused'; readonly reason: RefusalReason; readonly detail: string }
  | { readonly kind: 'ignored' };

export interface SequenceOptions {
  /** The cleaned first segment of every name (`photos` for `photos.zip`). */
  readonly root: string;
  /** The source as the user named it, for messages. */
  readonly label: string;
  readonly limits: ArchiveLimits;
  readonly keyPrefix: string;
  readonly skip: ((index: number, name: string) => boolean) | undefined;
}

export class SourceSequence {
  readonly root: string;
  /** The source as the user named it, escaped for messages. */
  readonly label: string;
  /** The source as the user named it, raw. */
  readonly given: string;
  readonly limits: ArchiveLimits;
  readonly keyPrefix: string;
  readonly #skip: ((index: number, name: string) => boolean) | undefined;
  readonly #names = new NameRegistry();
  #links = 0;
  #next = 0;
  #entriesSeen = 0;
  #ignored = 0;
  /** Updated by the reader: bytes of the source consumed, its size, the entries it declares. */
  bytesRead = 0;
  totalBytes: number | undefined;
  entriesKnown: number | undefined;

  constructor(options: SequenceOptions) {
    this.root = options.root;
    this.label = displayName(options.label);
    this.given = options.label;
    this.limits = options.limits;
    this.keyPrefix = options.keyPrefix;
    this.#skip = options.skip;
  }

  progress(): SourceProgress {
    return {
      bytesRead: this.bytesRead,
      totalBytes: this.totalBytes,
      entriesKnown: this.entriesKnown,
      items: this.#next,
      ignored: this.#ignored,
    };
  }

  /** `photos.zip:dir/a.jpg`, escaped. */
  sourceOf(rawName: string): string {
    return `${this.label}:${displayName(rawName)}`;
  }

  /** Counts one entry read from an archive; false once past `maxEntries` (the archive ends). */
  countEntry(): boolean {
    this.#entriesSeen += 1;
    return this.#entriesSeen <= this.limits.maxEntries;
  }

  ignore(): void {
    this.#ignored += 1;
  }

  /** A refusal; `path` is the raw path of a file on disk (see `Refusal.path`). */
  refused(source: string, reason: RefusalReason, detail: string, path?: string): SourceItem {
    const refusal = { index: this.#next++, source, reason, detail };
    return { kind: 'refused', refusal: path === undefined ? refusal : { ...refusal, path } };
  }

  /** The refusal that ends the archive: `too-many-entries`, `archive-too-large`, `corrupt-archive`. */
  ended(reason: RefusalReason, detail: string): SourceItem {
    return this.refused(this.label, reason, detail);
  }

  tooManyEntries(): SourceItem {
    return this.ended(
      'too-many-entries',
      `more than maxEntries (${this.limits.maxEntries.toLocaleString('en-US')}) entries; nothing after entry ${this.limits.maxEntries.toLocaleString('en-US')} was read`,
    );
  }

  /**
   * The name rules for an archive entry, after its type was found to be worth naming: cleaning,
   * paths through links declared earlier, nested archives (for regular files), the key length, and
   * collisions with names already yielded.
   */
  judgeArchiveName(raw: string, regularFile: boolean): NameJudgement {
    const cleaned = cleanEntryName(raw);
    if ('skipped' in cleaned) return { kind: 'ignored' };
    if ('refused' in cleaned)
      return { kind: 'refused', reason: cleaned.refused, detail: cleaned.detail };
    const relative = cleaned.name;
    const through = this.#linkAncestor(relative);
    if (through !== undefined) {
      return {
        kind: 'refused',
        reason: 'path-traversal',
        detail: `its path passes through "${displayName(through.name)}", a link declared by item ${through.index}`,
      };
    }
    const name = `${this.root}/${relative}`;
    if (!regularFile) return { kind: 'name', name };
    return this.judgeName(name);
  }

  /** Nested archive (unless turned off), key length and collision, for a full cleaned name. */
  judgeName(name: string, options: { readonly nestedArchives?: boolean } = {}): NameJudgement {
    if (options.nestedArchives !== false && isNestedArchiveName(name)) {
      return {
        kind: 'refused',
        reason: 'nested-archive',
        detail: 'archives are not expanded recursively; extract it and ingest it on its own',
      };
    }
    if (!fitsKey(this.keyPrefix, name)) {
      return {
        kind: 'refused',
        reason: 'name-too-long',
        detail: `its key would be ${keyBytes(this.keyPrefix, name).toLocaleString('en-US')} UTF-8 bytes; S3 allows ${MAX_KEY_BYTES.toLocaleString('en-US')}`,
      };
    }
    const first = this.#names.find(this.#relative(name));
    if (first?.kind === 'entry') {
      return {
        kind: 'refused',
        reason: 'name-collision',
        detail: `cleans to "${displayName(name)}", the name of item ${first.index}`,
      };
    }
    return { kind: 'name', name };
  }

  /** Remembers a link's name: entries below it are refused. */
  addLink(name: string, index: number): void {
    this.#names.add(this.#relative(name), index, 'link');
    this.#links += 1;
  }

  /**
   * The index for a named entry, with its name taken; undefined when `skip` says it is already
   * done (it still counts, and its name stays taken).
   */
  claim(name: string): number | undefined {
    const index = this.#next++;
    this.#names.add(this.#relative(name), index, 'entry');
    return this.#skip?.(index, name) === true ? undefined : index;
  }

  /** Claims an index with no name registry (directory walks check collisions per directory). */
  claimUnregistered(name: string): number | undefined {
    const index = this.#next++;
    return this.#skip?.(index, name) === true ? undefined : index;
  }

  #relative(name: string): string {
    return name.slice(this.root.length + 1);
  }

  #linkAncestor(relative: string): { name: string; index: number } | undefined {
    if (this.#links === 0) return undefined;
    const segments = relative.split('/');
    for (let depth = 1; depth < segments.length; depth += 1) {
      const ancestor = segments.slice(0, depth).join('/');
      const found = this.#names.find(ancestor);
      if (found?.kind === 'link') return { name: `${this.root}/${ancestor}`, index: found.index };
    }
    return undefined;
  }
}
