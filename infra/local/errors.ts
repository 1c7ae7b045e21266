/** Errors of the embedded local cloud. */
export class LocalCloudError extends Error {
  override readonly name: string = 'LocalCloudError';
}

/** Another process already runs a local cloud on this state directory. */
export class CloudAlreadyRunningError extends LocalCloudError {
  override readonly name = 'CloudAlreadyRunningError';
  readonly endpoint: string;
  readonly pid: number;
  constructor(stateDir: string, endpoint: string, pid: number) {
    super(`A local cloud (pid ${pid}) already runs on ${stateDir} at ${endpoint}`);
    this.endpoint = endpoint;
    this.pid = pid;
  }
}

/** No local cloud runs on this state directory. */
export class CloudNotRunningError extends LocalCloudError {
  override readonly name = 'CloudNotRunningError';
}
