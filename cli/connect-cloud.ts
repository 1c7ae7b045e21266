/**
 * Finds the local cloud of a state directory for a CLI process, or starts it here. A cloud is
 * running only when the endpoint in `<state>/cloud.json` answers with that file's token
 * (infra/local/cloud-identity.ts): a pid proves nothing, a stale file is simply not answered.
 * Only a process that can take the directory's lock starts one (infra/local/cloud-owner.ts), so
 * two processes starting at once never open the emulators' files twice: the one that loses waits
 * for the winner's cloud to answer and joins it.
 */
import type { LocalCloudInfo } from '../infra/local/cloud.ts';
import { cloudAnswers } from '../infra/local/cloud-identity.ts';
import { cloudOwned } from '../infra/local/cloud-owner.ts';
import type { CloudThreadLog } from '../infra/local/cloud-thread.ts';
import { CloudAlreadyRunningError, LocalCloudError } from '../infra/local/errors.ts';
import { type CloudFile, readCloudFile, statePaths } from '../infra/local/state-dir.ts';

export type Connection =
  | { readonly kind: 'joined'; readonly cloud: CloudFile }
  | { readonly kind: 'started'; readonly cloud: LocalCloudInfo };

/** The cloud.json of a cloud that answers for it, or undefined. */
export async function answeringCloud(stateDir: string): Promise<CloudFile | undefined> {
  const file = readCloudFile(statePaths(stateDir));
  return file && (await cloudAnswers(file.endpoint, file.token)) ? file : undefined;
}

/**
 * Starts the cloud in a thread of this process (off the event loop of its SDK clients and
 * workers), unless another process holds the directory: then undefined.
 */
export async function startCloudHere(
  stateDir: string,
  log: CloudThreadLog | undefined,
): Promise<LocalCloudInfo | undefined> {
  if (cloudOwned(statePaths(stateDir))) return undefined;
  const { startLocalCloudThread } = await import('../infra/local/cloud-thread.ts');
  try {
    return await startLocalCloudThread({ stateDir, ...(log ? { log } : {}) });
  } catch (error) {
    // Another process took the directory between the check and the thread's start.
    if (error instanceof CloudAlreadyRunningError) return undefined;
    throw error;
  }
}

const POLL_MS = 200;

export async function connectCloud(
  stateDir: string,
  options: {
    readonly log?: CloudThreadLog | undefined;
    /** Give up after this long without a cloud that answers or a directory to start one in. */
    readonly waitMs: number;
    /** Told once when the wait is longer than a moment. */
    readonly onWait?: (() => void) | undefined;
  },
): Promise<Connection> {
  const started = Date.now();
  let told = false;
  for (;;) {
    const joined = await answeringCloud(stateDir);
    if (joined) return { kind: 'joined', cloud: joined };
    const cloud = await startCloudHere(stateDir, options.log);
    if (cloud) return { kind: 'started', cloud };
    // Held by a process whose cloud does not answer (yet): it is starting, or stopping.
    const waited = Date.now() - started;
    if (waited > options.waitMs) {
      const file = readCloudFile(statePaths(stateDir));
      throw new LocalCloudError(
        `The local cloud on ${statePaths(stateDir).root} does not answer: another pixelmill process holds the directory${file ? `, and ${file.endpoint} (its cloud.json) did not answer` : ''} for ${Math.round(waited / 1000)} s`,
      );
    }
    if (!told && waited > 2000) {
      told = true;
      options.onWait?.();
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
