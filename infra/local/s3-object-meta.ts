/**
 * The `.meta.json` beside each stored object, multipart upload and part: the same JSON fauxqs
 * 2.4.1's `FileS3Persistence` writes (so an object of the old layout moves into the new one by a
 * rename, its meta file unchanged). An object's meta holds its real key: file names are hashes.
 */
import type {
  FauxqsMultipartPart,
  FauxqsMultipartUpload,
  FauxqsS3Object,
} from './fauxqs-internals.ts';

/** The store keeps bodies out of memory when persisting; they are read on demand. */
const NO_BODY = Buffer.alloc(0);

/** What fauxqs's PutObject records when the uploader sends no Content-Type. */
const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

type FieldType = 'string' | 'number';
type Typed<F extends Record<string, FieldType>> = Json & {
  [K in keyof F]: F[K] extends 'string' ? string : number;
};

/** A meta file's JSON object, if it is one with each of `fields` of its type. */
export function readMeta<F extends Record<string, FieldType>>(
  text: string,
  fields: F,
): Typed<F> | undefined {
  let meta: unknown;
  try {
    meta = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(meta)) return undefined;
  for (const [name, type] of Object.entries(fields)) {
    if (typeof meta[name] !== type) return undefined;
  }
  return meta as Typed<F>;
}

function optional<T extends object>(value: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [name, v] of Object.entries(value) as [keyof T, T[keyof T]][]) {
    if (v !== undefined && v !== null && v !== '') out[name] = v;
  }
  return out;
}

/** The named fields that hold non-empty strings, as fauxqs restores them (`meta.x && { x }`). */
function pick(meta: Json, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = meta[name];
    if (typeof value === 'string' && value !== '') out[name] = value;
  }
  return out;
}

/**
 * What an object and a multipart upload both restore from their meta: the Content-Type (S3's
 * default when the uploader sent none), the user metadata and the representation headers set.
 */
function contentHeaders(m: Json) {
  return {
    contentType: typeof m.contentType === 'string' ? m.contentType : DEFAULT_CONTENT_TYPE,
    metadata: isRecord(m.metadata) ? (m.metadata as Record<string, string>) : {},
    ...pick(m, ['contentLanguage', 'contentDisposition', 'cacheControl', 'contentEncoding']),
  };
}

export function objectMeta(object: FauxqsS3Object): string {
  return JSON.stringify({
    key: object.key,
    contentType: object.contentType,
    contentLength: object.contentLength,
    etag: object.etag,
    lastModified: object.lastModified.toISOString(),
    metadata: object.metadata,
    ...optional({
      contentLanguage: object.contentLanguage,
      contentDisposition: object.contentDisposition,
      cacheControl: object.cacheControl,
      contentEncoding: object.contentEncoding,
      parts: object.parts,
      checksumAlgorithm: object.checksumAlgorithm,
      checksumValue: object.checksumValue,
      checksumType: object.checksumType,
      partChecksums: object.partChecksums,
    }),
  });
}

/** The object a meta file describes (body not loaded), or undefined if it is not one. */
export function parseObjectMeta(text: string): FauxqsS3Object | undefined {
  const meta = readMeta(text, {
    key: 'string',
    contentLength: 'number',
    etag: 'string',
    lastModified: 'string',
  });
  if (!meta) return undefined;
  const m = meta as Json & Partial<Record<keyof FauxqsS3Object, unknown>>;
  return {
    key: meta.key,
    body: NO_BODY,
    contentLength: meta.contentLength,
    etag: meta.etag,
    lastModified: new Date(meta.lastModified),
    ...contentHeaders(m),
    ...pick(m, ['checksumAlgorithm', 'checksumValue', 'checksumType']),
    ...(Array.isArray(m.parts) ? { parts: m.parts as FauxqsS3Object['parts'] } : {}),
    ...(Array.isArray(m.partChecksums) ? { partChecksums: m.partChecksums as string[] } : {}),
  } as FauxqsS3Object;
}

export function uploadMeta(upload: FauxqsMultipartUpload): string {
  return JSON.stringify({
    uploadId: upload.uploadId,
    bucket: upload.bucket,
    key: upload.key,
    contentType: upload.contentType,
    metadata: upload.metadata,
    initiated: upload.initiated.toISOString(),
    ...optional({
      contentLanguage: upload.contentLanguage,
      contentDisposition: upload.contentDisposition,
      cacheControl: upload.cacheControl,
      contentEncoding: upload.contentEncoding,
      checksumAlgorithm: upload.checksumAlgorithm,
    }),
  });
}

export function parseUploadMeta(text: string): FauxqsMultipartUpload | undefined {
  const meta = readMeta(text, {
    uploadId: 'string',
    bucket: 'string',
    key: 'string',
    initiated: 'string',
  });
  if (!meta) return undefined;
  const m = meta as Json;
  return {
    uploadId: meta.uploadId,
    bucket: meta.bucket,
    key: meta.key,
    parts: new Map(),
    initiated: new Date(meta.initiated),
    ...contentHeaders(m),
    ...pick(m, ['checksumAlgorithm']),
  } as FauxqsMultipartUpload;
}

export function partMeta(part: FauxqsMultipartPart): string {
  return JSON.stringify({
    partNumber: part.partNumber,
    etag: part.etag,
    lastModified: part.lastModified.toISOString(),
    ...optional({ checksumValue: part.checksumValue }),
  });
}

export function parsePartMeta(text: string): Omit<FauxqsMultipartPart, 'body'> | undefined {
  const meta = readMeta(text, { partNumber: 'number', etag: 'string', lastModified: 'string' });
  if (!meta) return undefined;
  return {
    partNumber: meta.partNumber,
    etag: meta.etag,
    lastModified: new Date(meta.lastModified),
    ...(typeof meta.checksumValue === 'string' ? { checksumValue: meta.checksumValue } : {}),
  };
}
