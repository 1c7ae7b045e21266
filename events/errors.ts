/**
 * Errors raised while reading an event contract. Each one names the record it came from and the
 * path inside it, so a poison message in a batch of ten can be found without guessing.
 */
export class EventContractError extends Error {
  override readonly name: string = 'EventContractError';
}

export interface EventIssue {
  /** Dotted path inside the parsed value, e.g. `detail.object.key`; empty for the root. */
  readonly path: string;
  readonly message: string;
}

export class EventParseError extends EventContractError {
  override readonly name = 'EventParseError';
  readonly recordId: string;
  readonly issues: readonly EventIssue[];

  constructor(recordId: string, issues: readonly EventIssue[], options?: ErrorOptions) {
    const detail = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
    super(`Record ${recordId} is not a pixelmill work item: ${detail}`, options);
    this.recordId = recordId;
    this.issues = issues;
  }
}
