/** Errors of the embedded local cloud. */
export class LocalCloudError extends Error {
  override readonly name: string = 'LocalCloudError';
}

/** Another process (or another cloud in this one) already runs, or is starting, this state's cloud. */
export class CloudAlreadyRunningError extends LocalCloudError {
  override readonly name = 'CloudAlreadyRunningError';
  readonly stateDir: string;
  /** Where its cloud.json says it listens (if it has written one yet). */
  readonly endpoint: string | undefined;
  constructor(stateDir: string, endpoint: string | undefined) {
    super(
      `A local cloud already runs on ${stateDir}${endpoint ? ` (its cloud.json names ${endpoint})` : ''}: another pixelmill process holds it`,
    );
    this.stateDir = stateDir;
    this.endpoint = endpoint;
  }
}

/** No local cloud runs on this state directory. */
export class CloudNotRunningError extends LocalCloudError {
  override readonly name = 'CloudNotRunningError';
}
