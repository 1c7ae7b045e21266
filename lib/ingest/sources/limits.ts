/**
 * The defences of the archive readers, as numbers. Every cap is checked against bytes actually
 * inflated and entries actually read, never against what headers declare (headers are hints: a
 * declared size over a cap refuses an entry early, a declared size under it proves nothing).
 * Directories and plain files have no caps: their bytes are on the user's disk, and the worker's
 * own limits (`limits.maxBytes`, …) still apply to every upload.
 */
import { z } from 'zod';
import { limitsSchema } from '../../../events/config/schema.ts';
import { UsageError } from '../../ops/errors.ts';

export interface ArchiveLimits {
  /** Most entries read from one archive (directories and hidden entries count); then it ends. */
  readonly maxEntries: number;
  /** Most bytes one entry may inflate to. */
  readonly maxEntryBytes: number;
  /** Most bytes one archive may inflate to in all (refused entries' inflated bytes count); then it ends. */
  readonly maxTotalBytes: number;
  /** Largest inflated/compressed ratio, per entry and over the whole archive. */
  readonly maxRatio: number;
  /** An entry is held to `maxRatio` only once it has inflated past this many bytes. */
  readonly entryRatioFloorBytes: number;
  /** The archive as a whole is held to `maxRatio` only once it has inflated past this. */
  readonly archiveRatioFloorBytes: number;
}

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const TiB = 1024 * GiB;

const archiveLimitsSchema = z.strictObject({
  // One million: above the largest archives the tool is for in one file, and it bounds the name
  // registry (about 26–52 bytes per entry) and the refusals a tiny hostile zip can make.
  maxEntries: z.int().min(1).default(1_000_000),
  // The worker's default `limits.maxBytes`: anything larger would be REJECTED `byte-limit` after
  // the upload; refusing it here saves the upload. Pass the configured value when it differs.
  maxEntryBytes: z
    .int()
    .min(1)
    .default(() => limitsSchema.parse({}).maxBytes),
  // A budget rather than a defence (the ratio is the defence): about half a million photos.
  maxTotalBytes: z.int().min(1).default(TiB),
  // Image formats are compressed already: JPEG, PNG, WebP, AVIF and GIF deflate about 1:1, and
  // even uncompressed TIFF photographs rarely reach 10:1; zeros and flat fills reach 1000:1.
  maxRatio: z.number().min(1).default(100),
  // Small flat images (an icon, a solid uncompressed TIFF) may pass 100:1 honestly; below 1 MiB an
  // entry can do little harm.
  entryRatioFloorBytes: z.int().min(0).default(MiB),
  // Many small bombs each under the entry floor still inflate the archive 1000:1 in all; past
  // 1 GiB the whole archive is held to the ratio, so such an archive stops after about 1 GiB.
  archiveRatioFloorBytes: z.int().min(0).default(GiB),
});

/**
 * Output piece size of the zip and gzip inflaters. Caps are checked per piece, so an entry or
 * archive can pass a cap by at most this much before it is stopped.
 */
export const INFLATE_CHUNK_BYTES = 64 * 1024;

/** Default limits, with every value written out. */
export const defaultArchiveLimits: ArchiveLimits = Object.freeze(archiveLimitsSchema.parse({}));

/**
 * Limits from the given overrides and the defaults; an unknown key or a bad value is a
 * `UsageError` naming every problem at once.
 */
export function archiveLimits(overrides: Partial<ArchiveLimits> = {}): ArchiveLimits {
  const parsed = archiveLimitsSchema.safeParse(overrides);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) =>
      issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message,
    );
    throw new UsageError(`Invalid archive limits: ${problems.join('; ')}`);
  }
  return Object.freeze(parsed.data);
}

/** Bytes in a human unit, for refusal details. */
export function formatBytes(bytes: number): string {
  if (bytes >= TiB) return `${(bytes / TiB).toFixed(1)} TiB`;
  if (bytes >= GiB) return `${(bytes / GiB).toFixed(1)} GiB`;
  if (bytes >= MiB) return `${(bytes / MiB).toFixed(1)} MiB`;
  return `${bytes.toLocaleString('en-US')} bytes`;
}
