/**
 * What `pixelmill report` knows about a run or a pipeline: everything the HTML page shows, as
 * data. Collected from the manifest, the metadata table, the queues and the renditions bucket
 * (collect.ts), rendered by html.ts into one self-contained page.
 */
import type { ImageStatus } from '../../events/image-row.ts';
import type { SourceFacts } from '../../events/source-facts.ts';
import type { SlowEntry } from '../aws/count-ledger.ts';
import type { DuplicatesListing } from '../duplicates/listing.ts';

export interface ReportData {
  /** e.g. "pixelmill run of ./photos" or "stack Pixelmill (eu-west-1)". */
  readonly title: string;
  readonly generatedAt: string;
  /** Where the numbers come from: "local cloud at .pixelmill" or "stack Pixelmill (eu-west-1)". */
  readonly target: string;
  readonly summary: ReportSummary;
  /** The contact sheet, DONE images first then the rest, at most the report's cap. */
  readonly images: readonly ReportImage[];
  /** Images not on the contact sheet (over the cap). */
  readonly imagesOmitted: number;
  /**
   * The sheet is a sample: the first rows a bounded table read returned (then put in the page's
   * order), not the first images of all of them in that order. Set by a report of the whole
   * pipeline, whose numbers come from the table's counts.
   */
  readonly sampled?: boolean | undefined;
  /** Queue depth and progress over time, oldest first. */
  readonly timeline: readonly TimelinePoint[];
  /**
   * `measured`: sampled from the queues while the run went on. `derived`: reconstructed from
   * upload times and row timestamps (a backlog of images, not SQS messages). `counted`: from the
   * table's per-minute counts (images claimed and finished each minute).
   */
  readonly timelineSource: 'measured' | 'derived' | 'counted';
  readonly rejections: readonly RejectionGroup[];
  readonly deadLetters: readonly ReportDeadLetter[];
  /** The slowest DONE images, slowest first. */
  readonly slowest: readonly SlowImage[];
  /** Groups of copies among the DONE images; absent when the report was asked not to look. */
  readonly duplicates?: ReportDuplicates | DuplicatesNotCompared | undefined;
}

/** The duplicates section when the table held more DONE images than the report compares. */
export interface DuplicatesNotCompared {
  readonly notCompared: { readonly images: number; readonly limit: number };
}

/**
 * The duplicates section: the counts of every group (as `pixelmill duplicates` gives them) and
 * the largest few groups with their images.
 */
export interface ReportDuplicates
  extends Pick<
    DuplicatesListing,
    'distance' | 'images' | 'exactGroups' | 'nearGroups' | 'imagesInGroups' | 'groupsOmitted'
  > {
  readonly groups: readonly ReportDuplicateGroup[];
}

export interface ReportDuplicateGroup {
  readonly kind: 'exact' | 'near';
  readonly size: number;
  /** The first few images, the group's first first; each a tile with its distance to the first. */
  readonly images: readonly (ReportImage & {
    readonly distance: number;
    readonly sameBytesAs?: string | undefined;
  })[];
}

export interface ReportSummary {
  readonly total: number;
  readonly done: number;
  readonly rejected: number;
  readonly failed: number;
  readonly pending: number;
  /** Wall time of the run, when the report is of a run. */
  readonly seconds?: number | undefined;
  readonly imagesPerSecond?: number | undefined;
}

export type ReportImageStatus = ImageStatus | 'PENDING';

export interface ReportImage extends SourceFacts {
  readonly key: string;
  readonly status: ReportImageStatus;
  /** The ThumbHash of the source, base64 (as on the row and in the manifest). */
  readonly placeholder?: string | undefined;
  /** `#rrggbb`. */
  readonly dominantColour?: string | undefined;
  /** A small rendition as a `data:image/…;base64,` URL, when the report embeds one. */
  readonly thumbnail?: string | undefined;
  /** The rejection reason or the last error's code. */
  readonly reason?: string | undefined;
  /** The rejection's or the last error's human message. */
  readonly message?: string | undefined;
}

export interface TimelinePoint {
  readonly at: string;
  /** Messages waiting (measured: visible) or images uploaded and not finished (derived). */
  readonly waiting: number;
  /** Messages in flight (measured only). */
  readonly inFlight?: number | undefined;
  /** Dead letters (measured only). */
  readonly deadLetters?: number | undefined;
  /** Images finished (DONE or REJECTED) so far: its slope is the throughput. */
  readonly finished: number;
}

export interface RejectionGroup {
  /** The reason code (`truncated`, `pixel-limit`, …). */
  readonly reason: string;
  /** What the code means, from the fixed list. */
  readonly description: string;
  readonly count: number;
  /** A few keys with their message. */
  readonly examples: readonly { readonly key: string; readonly message: string }[];
}

export interface ReportDeadLetter {
  readonly messageId: string;
  readonly key?: string | undefined;
  readonly reason: string;
  readonly message?: string | undefined;
  readonly attempts: number;
  readonly ageSeconds: number;
}

/**
 * One of the slowest images: what the table's leaderboard keeps (`ms` is the row's processingMs,
 * from the claim to the last rendition written).
 */
export type SlowImage = SlowEntry;
