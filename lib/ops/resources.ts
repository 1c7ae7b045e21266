/** The deployed (or local) resources an operator command works on, by physical name or URL. */
export interface PipelineResources {
  readonly uploadsBucket: string;
  readonly uploadsPrefix: string;
  readonly renditionsBucket: string;
  readonly table: string;
  readonly workQueueUrl: string;
  readonly deadLetterQueueUrl: string;
}
