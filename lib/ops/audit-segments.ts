/**
 * The audit's key space cut into segments that are listed in parallel and checkpointed apart.
 *
 * A segment is the keys `k` with `after < k <= through` in S3's order (UTF-8 bytes), either bound
 * absent meaning open. Lower bounds are exclusive because S3's listings start *after* a key
 * (ListObjectsV2 `StartAfter`, ListObjectVersions `KeyMarker`), so a segment starts with exactly
 * the call S3 offers and the segments cover every key exactly once, whatever the keys are.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html
 *
 * Cuts are made on the first character after the uploads prefix, from digits and ASCII letters
 * (where generated and hashed names spread). Keys that all share a longer prefix land in one
 * segment: the audit is still correct, only less parallel.
 */

export interface AuditSegment {
  /** Exclusive lower bound; undefined: from the start of the prefix. */
  readonly after?: string | undefined;
  /** Inclusive upper bound; undefined: to the end of the prefix. */
  readonly through?: string | undefined;
}

/** The characters segments are cut on, in S3's (byte) order. */
const CUT_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** S3 orders keys by their UTF-8 bytes, which JavaScript's `<` (UTF-16 units) does not. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Whether `key` is past the segment's upper bound (the segment's listing stops there). */
export function isPastSegment(segment: AuditSegment, key: string): boolean {
  return segment.through !== undefined && compareKeys(key, segment.through) > 0;
}

/** `count` segments (1–62) covering every key under `prefix`, in key order. */
export function splitSegments(prefix: string, count: number): AuditSegment[] {
  const n = Math.max(1, Math.min(CUT_ALPHABET.length, Math.floor(count)));
  // n - 1 cut characters spread evenly over the alphabet; the first segment also holds every key
  // below the first cut (punctuation, `_long-keys`…), the last every key above the last cut.
  const cuts = Array.from(
    { length: n - 1 },
    (_, i) => `${prefix}${CUT_ALPHABET[Math.round(((i + 1) * CUT_ALPHABET.length) / n)]}`,
  );
  return Array.from({ length: n }, (_, i) => ({ after: cuts[i - 1], through: cuts[i] }));
}
