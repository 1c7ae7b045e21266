/**
 * What is known of an upload's image once it is DONE, as reports and counts carry it: upright
 * (auto-oriented) dimensions, the format its bytes are (never what its name says) and its size.
 * Each is absent until known.
 */
export interface SourceFacts {
  readonly width?: number | undefined;
  readonly height?: number | undefined;
  readonly format?: string | undefined;
  readonly bytes?: number | undefined;
}
