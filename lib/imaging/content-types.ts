/**
 * The one table of image formats by name: each format's Content-Type, and the format a file
 * name's extension claims. A name or a declared type is only ever a hint: pixelmill decides the
 * format from the bytes (sniff.ts).
 */
export const contentTypes = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
  avif: 'image/avif',
  tiff: 'image/tiff',
  svg: 'image/svg+xml',
} as const;

export type NamedFormat = keyof typeof contentTypes;

const formatByExtension: Readonly<Record<string, NamedFormat>> = {
  jpg: 'jpeg',
  jpeg: 'jpeg',
  jpe: 'jpeg',
  png: 'png',
  webp: 'webp',
  gif: 'gif',
  avif: 'avif',
  tif: 'tiff',
  tiff: 'tiff',
  svg: 'svg',
};

/** The format an extension (without its dot, any case) claims, if it names one. */
export function formatOfExtension(extension: string): NamedFormat | undefined {
  const ext = extension.toLowerCase();
  return Object.hasOwn(formatByExtension, ext) ? formatByExtension[ext] : undefined;
}

/** The format a file name's extension claims, if it has one that names a format. */
export function formatOfName(name: string): NamedFormat | undefined {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? undefined : formatOfExtension(name.slice(dot + 1));
}

/** The Content-Type of a format named by a string (a rendition's `format`), if it is one. */
export function contentTypeOf(format: string): string | undefined {
  return Object.hasOwn(contentTypes, format) ? contentTypes[format as NamedFormat] : undefined;
}

/** The Content-Type a file name claims: a hint for whoever downloads the original. */
export function contentTypeOfName(name: string): string | undefined {
  const format = formatOfName(name);
  return format === undefined ? undefined : contentTypes[format];
}
