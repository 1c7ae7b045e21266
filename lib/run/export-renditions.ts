/**
 * Copies an image's renditions from the renditions bucket into the output directory:
 * `<out>/<upload key without the uploads prefix>/<preset>.<ext>`. Which image may have which
 * path is decided before upload (`ExportPaths`), from the file names renditions can have.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { relative, resolve, sep } from 'node:path';
import type { OutputFormat, Preset } from '../../events/config/schema.ts';
import type { RenditionRecord } from '../../events/image-row.ts';
import type { ObjectStore } from '../aws/object-store.ts';
import { fileExtensions } from '../imaging/encode.ts';
import { OpsError } from '../ops/errors.ts';
import type { ManifestRendition } from './manifest.ts';

function extensionOf(format: string): string {
  return Object.hasOwn(fileExtensions, format) ? fileExtensions[format as OutputFormat] : format;
}

/** Every file name a rendition can have under these presets (`original` may be any format). */
export function renditionFileNames(presets: readonly Preset[]): Set<string> {
  const names = new Set<string>();
  for (const preset of presets) {
    for (const output of preset.formats) {
      const extensions =
        output.format === 'original'
          ? Object.values(fileExtensions)
          : [fileExtensions[output.format]];
      for (const extension of extensions) names.add(`${preset.name}.${extension}`);
    }
  }
  return names;
}

/**
 * @param stored the bytes of renditions this process just stored, by rendition key (the workers
 *   of `pixelmill run` hand them over with the row): those are written without downloading them
 *   again; any other is read from the renditions bucket.
 */
export async function exportRenditions(
  store: ObjectStore,
  renditionsBucket: string,
  outDir: string,
  imageDir: string,
  renditions: readonly RenditionRecord[],
  stored?: ReadonlyMap<string, Buffer>,
): Promise<ManifestRendition[]> {
  const root = resolve(outDir);
  // Two outputs of one preset in one format (`jpeg` and `original` of a JPEG) are one file,
  // written and listed once.
  const files = new Map<string, RenditionRecord>();
  for (const r of renditions) {
    const file = resolve(root, imageDir, `${r.name}.${extensionOf(r.format)}`);
    if (!file.startsWith(root + sep)) {
      throw new OpsError(`Refusing to write outside ${root}: ${file}`);
    }
    if (!files.has(file)) files.set(file, r);
  }
  const contents = await Promise.all(
    [...files].map(async ([path, r]) => ({
      path,
      data:
        stored?.get(r.key) ??
        (await store.getBytes({ bucket: renditionsBucket, key: r.key }, Number.MAX_SAFE_INTEGER)),
    })),
  );
  // All of an image's renditions share its directory.
  const dir = resolve(root, imageDir);
  await mkdir(dir, { recursive: true });
  await Promise.all(contents.map((f) => writeFile(f.path, f.data)));
  return [...files].map(([file, r]) => ({
    name: r.name,
    format: r.format,
    width: r.width,
    height: r.height,
    bytes: r.bytes,
    path: relative(root, file).split(sep).join('/'),
    ...(r.note ? { note: r.note } : {}),
  }));
}

/** The directory of one image's renditions, relative to the output directory. */
export function imageDirFor(key: string, uploadsPrefix: string): string {
  const withoutPrefix = key.startsWith(uploadsPrefix) ? key.slice(uploadsPrefix.length) : key;
  // Keys come from the source readers (cleaned names), but an output path must never climb out
  // of its root.
  return withoutPrefix
    .split('/')
    .filter((part) => part !== '' && part !== '.' && part !== '..')
    .join('/');
}
