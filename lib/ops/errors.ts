/** Errors of the operator use cases (run, ingest, …). */
export class OpsError extends Error {
  override readonly name: string = 'OpsError';
}

/** The user asked for something that cannot be done as asked (exit code 2 in the CLI). */
export class UsageError extends OpsError {
  override readonly name = 'UsageError';
}

/**
 * An S3 Inventory report that cannot be audited from: a manifest that does not parse or names
 * another bucket, a format other than CSV, a data file that is truncated, corrupt or not what the
 * manifest says. The audit stops rather than report a partial pass as clean.
 */
export class InventoryError extends OpsError {
  override readonly name: string = 'InventoryError';
  /** The manifest or data file at fault (`s3://bucket/key`). */
  readonly location: string;
  constructor(location: string, message: string, options?: ErrorOptions) {
    super(`${location}: ${message}`, options);
    this.location = location;
  }
}

/** No report under the inventory prefix yet (S3 delivers the first up to 48 hours after setup). */
export class NoInventoryReportError extends InventoryError {
  override readonly name = 'NoInventoryReportError';
}
