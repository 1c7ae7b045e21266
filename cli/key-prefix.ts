/**
 * `--prefix P` means one thing for every command: a key prefix below the uploads prefix
 * (`uploads/`). `ingest` writes keys under `uploads/P/`; `report` and `redrive` select the keys
 * starting with `uploads/P`, so what an ingest put under `--prefix P` is found with the same
 * `--prefix P` (and `--prefix photos/` selects a run's `photos` directory). Slashes at its start
 * are dropped: a key never starts with one below the uploads prefix.
 */

function relative(prefix: string): string {
  return prefix.replace(/^\/+/, '');
}

/** Where `ingest --prefix P` writes: `<uploads prefix>P/` (just the uploads prefix without P). */
export function ingestKeyPrefix(prefix: string | undefined, uploadsPrefix: string): string {
  const folder = relative(prefix ?? '').replace(/\/+$/, '');
  return folder === '' ? uploadsPrefix : `${uploadsPrefix}${folder}/`;
}

/** The keys `--prefix P` selects: those starting with `<uploads prefix>P`; undefined without P. */
export function selectedKeyPrefix(
  prefix: string | undefined,
  uploadsPrefix: string,
): string | undefined {
  return prefix === undefined ? undefined : `${uploadsPrefix}${relative(prefix)}`;
}

/**
 * A warning for a P that already starts with the uploads prefix (how `report` and `redrive` read
 * it before): it now selects keys below `uploads/uploads/…`, which is rarely what is meant.
 */
export function prefixWarning(
  prefix: string | undefined,
  uploadsPrefix: string,
): string | undefined {
  if (prefix === undefined || !relative(prefix).startsWith(uploadsPrefix)) return undefined;
  return `pixelmill: note: --prefix is relative to ${uploadsPrefix}: ${prefix} selects keys under ${uploadsPrefix}${relative(prefix)} (did you mean --prefix ${relative(prefix).slice(uploadsPrefix.length)}?)\n`;
}
