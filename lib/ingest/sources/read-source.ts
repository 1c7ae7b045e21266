/**
 * One entry point for every kind of source: `readSource(path)` gives the items and a progress
 * snapshot. Names start with the source's own name (`pixelmill run` and `ingest` alike):
 * `photos/` → `photos/…`, and an archive's entries go below its base name without the archive
 * extension (`photos.zip`, `photos.tar.gz` → `photos/…`), so ingesting an archive and ingesting
 * its extraction give the same keys.
 */
import { basename, resolve } from 'node:path';
import { directoryItems, FileEntry } from './directory.ts';
import { yieldEntry } from './entry-handle.ts';
import { cleanSegment } from './entry-names.ts';
import { SourceKindError, SourceUsageError } from './errors.ts';
import { defaultArchiveLimits } from './limits.ts';
import { openNamedFile } from './open-found.ts';
import { SourceSequence } from './sequence.ts';
import type { ReadSourceOptions, SourceItem, SourceKind, SourceReader } from './source.ts';
import { sourceKindOf, stripArchiveExtension } from './source-kind.ts';
import { tarItems } from './tar.ts';
import { zipItems } from './zip.ts';

export function readSource(path: string, options: ReadSourceOptions = {}): SourceReader {
  let sequence: SourceSequence | undefined;
  let iterated = false;
  async function* items(): AsyncGenerator<SourceItem> {
    const kind = options.kind ?? (await sourceKindOf(path));
    const absolute = resolve(path);
    const own = basename(absolute);
    const rootName = kind === 'file' || kind === 'directory' ? own : stripArchiveExtension(own);
    const root = cleanSegment(rootName);
    const made = new SourceSequence({
      root: 'name' in root ? root.name : '',
      label: path,
      limits: options.limits ?? defaultArchiveLimits,
      keyPrefix: options.keyPrefix ?? '',
      skip: options.skip,
    });
    sequence = made;
    if (kind === 'file') {
      yield* fileItems(absolute, made, root);
      return;
    }
    if (!('name' in root)) {
      const why = 'refused' in root ? root.detail : 'it is hidden';
      throw new SourceKindError(
        path,
        `Cannot make keys from the name of ${path}: ${why}; rename it`,
      );
    }
    yield* itemsOf(kind, absolute, path, made);
  }
  return {
    items: {
      [Symbol.asyncIterator]() {
        if (iterated) throw new SourceUsageError(`${path}: a source can be iterated only once`);
        iterated = true;
        return items();
      },
    },
    progress() {
      return (
        sequence?.progress() ?? {
          bytesRead: 0,
          totalBytes: undefined,
          entriesKnown: undefined,
          items: 0,
          ignored: 0,
        }
      );
    },
  };
}

function itemsOf(
  kind: Exclude<SourceKind, 'file'>,
  absolute: string,
  given: string,
  sequence: SourceSequence,
): AsyncGenerator<SourceItem> {
  switch (kind) {
    case 'directory':
      return directoryItems(absolute, given, sequence);
    case 'zip':
      return zipItems(absolute, sequence);
    case 'tar':
      return tarItems(absolute, false, sequence);
    case 'tar.gz':
      return tarItems(absolute, true, sequence);
  }
}

/** A file named by the user: one entry, its own name; no caps (the worker's limits apply). */
async function* fileItems(
  absolute: string,
  sequence: SourceSequence,
  root: ReturnType<typeof cleanSegment>,
): AsyncGenerator<SourceItem> {
  const { handle, stats } = await openNamedFile(absolute);
  let kept = false;
  try {
    const size = stats.size;
    sequence.totalBytes = size;
    sequence.entriesKnown = 1;
    const source = sequence.label;
    if ('refused' in root) {
      yield sequence.refused(source, root.refused, root.detail, sequence.given);
      return;
    }
    if (!('name' in root)) return;
    const judged = sequence.judgeName(root.name, { nestedArchives: false });
    if (judged.kind === 'refused') {
      yield sequence.refused(source, judged.reason, judged.detail, sequence.given);
      return;
    }
    const index = sequence.claimUnregistered(root.name);
    if (index !== undefined) {
      const facts = { index, source, name: root.name, declaredSize: size, path: sequence.given };
      kept = true;
      yield* yieldEntry(new FileEntry(facts, absolute, handle));
    }
    sequence.bytesRead = size;
  } finally {
    // The entry closes the descriptor it was given; otherwise it is closed here.
    if (!kept) await handle.close().catch(() => undefined);
  }
}
