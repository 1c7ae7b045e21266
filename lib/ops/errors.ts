/** Errors of the operator use cases (run, ingest, …). */
export class OpsError extends Error {
  override readonly name: string = 'OpsError';
}

/** The user asked for something that cannot be done as asked (exit code 2 in the CLI). */
export class UsageError extends OpsError {
  override readonly name = 'UsageError';
}
