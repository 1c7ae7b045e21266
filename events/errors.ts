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

/**
 * A well-formed work item the worker must not act on: an object in another bucket or outside the
 * uploads prefix (a forged or misrouted event — the renditions bucket's own objects would make
 * renditions of renditions), or a key too long to record as a table key. Retrying cannot change
 * that, so, like a malformed message, it goes to the DLQ at once, with this `code` as its reason.
 */
export class WorkItemRefusedError extends EventParseError {
  readonly code: 'foreign-bucket' | 'outside-prefix' | 'key-too-long';
  constructor(
    recordId: string,
    code: WorkItemRefusedError['code'],
    issue: EventIssue,
    options?: ErrorOptions,
  ) {
    super(recordId, [issue], options);
    this.code = code;
  }
}
