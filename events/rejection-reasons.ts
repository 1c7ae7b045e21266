/**
 * The fixed list of reasons an image can be REJECTED for. A rejection is permanent: the same bytes
 * under the same configuration would be rejected again, so retrying only burns money. The codes
 * are a public contract (manifest.json, the metadata table, metrics dimensions); add, never rename.
 */
export const rejectionReasons = {
  empty: 'the object has no bytes',
  'unrecognised-format': 'the bytes match no known image signature',
  'format-not-allowed': 'a known format that is not on the allowlist of loaders',
  'byte-limit': 'the object is larger than the byte limit',
  'pixel-limit': 'the header declares more pixels than the pixel limit',
  'dimension-limit': 'the header declares a side longer than the dimension limit',
  'frame-limit': 'the image has more frames than the frame limit',
  truncated: 'the image data ends before the image does',
  corrupt: 'the decoder found invalid data',
  timeout: 'decoding and encoding took more CPU time than the per-image timeout',
  'memory-limit': 'decoding and encoding needed more memory than the per-image memory limit',
  'not-found': 'the object version no longer exists in the uploads bucket',
} as const;

export type RejectionReason = keyof typeof rejectionReasons;

export function isRejectionReason(value: string): value is RejectionReason {
  return Object.hasOwn(rejectionReasons, value);
}
