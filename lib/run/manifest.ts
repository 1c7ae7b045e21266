/**
 * `manifest.json`: the stable, scriptable result of `pixelmill run`. Field names and meanings are
 * a contract; add fields, never rename or remove them.
 */
export const manifestStatuses = ['DONE', 'REJECTED', 'FAILED', 'PENDING'] as const;
export type ManifestStatus = (typeof manifestStatuses)[number];

/**
 * The codes `run` gives an input that never reached the worker, beside the source readers'
 * refusal reasons (`refusalReasons`) and the worker's rejection reasons.
 */
export const runReasons = {
  'output-collision':
    'REJECTED, refused: its renditions would share a path in the output directory with manifest.json, report.html or an earlier image',
  'read-failed': 'FAILED: the file system failed reading it (removed, replaced or unreadable)',
  'upload-failed': 'FAILED: uploading it to the uploads bucket failed',
  'export-failed': 'FAILED: it was DONE, but copying its renditions into the output failed',
} as const;
export type RunReason = keyof typeof runReasons;

export interface ManifestRendition {
  readonly name: string;
  readonly format: string;
  readonly width: number;
  readonly height: number;
  readonly bytes: number;
  /** Relative to the output directory. */
  readonly path: string;
  /** Why its size is not what the preset asked for (fitted inside its format's size cap). */
  readonly note?: string;
}

export interface ManifestImage {
  /**
   * The input path as given (a file below a directory: the directory as given, then the raw
   * names); an archive's entry as `archive:entry`, and a name that is not UTF-8, escaped.
   */
  readonly source: string;
  /** The key in the uploads bucket; empty when nothing was uploaded (refused, or upload-failed). */
  readonly key: string;
  readonly status: ManifestStatus;
  /**
   * A code when not DONE: a rejection reason, a refusal reason (with `refused`), the last error's
   * code, `read-failed`, `upload-failed` or `export-failed` (FAILED), or `pending`.
   */
  readonly reason?: string;
  /**
   * True for an input refused before upload (REJECTED, never uploaded): a refusal reason of the
   * source readers (`link-outside-source`, `invalid-name`, …) or `output-collision`.
   */
  readonly refused?: true;
  /** Human words when not DONE. */
  readonly message?: string;
  /** Upright (auto-oriented) dimensions of the source. */
  readonly width?: number;
  readonly height?: number;
  readonly format?: string;
  readonly bytes: number;
  /** What was learned about a DONE source (see ImageAnalysis): placeholder, colour, hashes. */
  readonly analysis?: ManifestAnalysis;
  readonly renditions: readonly ManifestRendition[];
}

export interface ManifestAnalysis {
  /** ThumbHash, base64: a tiny blurred preview to show while a rendition loads. */
  readonly placeholder?: string;
  /** `#rrggbb`. */
  readonly dominantColour?: string;
  /** 64-bit perceptual hash, 16 hex digits: near-duplicates differ in few bits. */
  readonly phash?: string;
  readonly sha256?: string;
  readonly hasAlpha?: boolean;
  readonly frames?: number;
  /** The name or Content-Type claimed another format than the bytes are. */
  readonly typeMismatch?: boolean;
}

export interface ManifestSummary {
  /** Inputs: every entry of `images`, whatever became of it (an input need not be an image). */
  readonly total: number;
  readonly done: number;
  readonly rejected: number;
  readonly failed: number;
  readonly pending: number;
  /** Of the REJECTED, those refused before upload (`refused: true`). */
  readonly refused: number;
  /**
   * Of the REJECTED, the inputs that are not images at all: bytes that match no image signature
   * (`unrecognised-format`) or no bytes (`empty`). A format that is an image but not allowed
   * (`format-not-allowed`) is an image.
   */
  readonly notImages: number;
  /**
   * Images whose outcome (DONE, REJECTED or FAILED) was written while this run ran: not those
   * finished by an earlier run, refused before upload, or still pending.
   */
  readonly processed: number;
  /** The run's wall time. */
  readonly seconds: number;
  /** From the run's start to the last image it processed settling (0 when it processed none). */
  readonly processingSeconds: number;
  /** `processed` / `processingSeconds`: this run's own rate, not its inputs over its wall time. */
  readonly imagesPerSecond: number;
}

/** Rejection reasons that mean the input is not an image at all (see `notImages`). */
export const NOT_IMAGE_REASONS: ReadonlySet<string> = new Set(['unrecognised-format', 'empty']);

/** Whether a manifest entry is an input that is not an image (see `notImages`). */
export function isNotImage(image: ManifestImage): boolean {
  return image.status === 'REJECTED' && NOT_IMAGE_REASONS.has(image.reason ?? '');
}

export interface Manifest {
  readonly summary: ManifestSummary;
  readonly images: readonly ManifestImage[];
}
