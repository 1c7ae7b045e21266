/**
 * What `pixelmill run` reads: the paths the user names, each a source of `lib/ingest/sources` (a
 * file, a directory, a zip, tar or tar.gz archive), so that `run` and `ingest` share one name,
 * link and archive policy. Checked before any cloud is started: a path that does not exist, is
 * not a file or directory, or is not the archive its name says is a usage error, and so are two
 * paths whose keys would share a root (`a/photos` and `b/photos`, or `photos/` and `photos.zip`).
 */
import { basename, resolve } from 'node:path';
import type { SourceKind } from '../ingest/sources/source.ts';
import { sourceKindOf, stripArchiveExtension } from '../ingest/sources/source-kind.ts';
import { UsageError } from '../ops/errors.ts';

export interface RunSource {
  /** The path as the user typed it: what the manifest's `source` starts with. */
  readonly given: string;
  readonly path: string;
  readonly kind: SourceKind;
  /**
   * Every key this source uploads starts with this (`uploads/photo.jpg`, `uploads/photos/`), as
   * typed: the readers may clean a name further, so this is a hint for listing, not a contract.
   */
  readonly keyPrefix: string;
}

export async function planInputs(
  paths: readonly string[],
  keyPrefix: string,
): Promise<RunSource[]> {
  if (paths.length === 0) throw new UsageError('Expected at least one file or directory');
  const sources: RunSource[] = [];
  const roots = new Map<string, RunSource>();
  for (const given of paths) {
    if (given.startsWith('s3://')) {
      throw new UsageError(`run reads local files; for ${given} use pixelmill ingest`);
    }
    const path = resolve(given);
    const kind = await sourceKindOf(given);
    const own = basename(path);
    const root =
      kind === 'file'
        ? `file:${own}`
        : `tree:${kind === 'directory' ? own : stripArchiveExtension(own)}`;
    const other = roots.get(root);
    if (other?.path === path) continue;
    if (other) {
      throw new UsageError(
        `${other.given} and ${given} would both upload under ${keyPrefix}${root.slice(5)}: rename one, or run them separately`,
      );
    }
    const source = {
      given,
      path,
      kind,
      keyPrefix: `${keyPrefix}${root.slice(5)}${kind === 'file' ? '' : '/'}`,
    };
    roots.set(root, source);
    sources.push(source);
  }
  return sources;
}
