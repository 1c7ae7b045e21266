/**
 * A CLI process's tie to a local cloud that another process runs (lib/aws/target.ts CloudLink):
 * where it listens now, and what happens when it stops answering. The SDK clients send every
 * call to `endpoint()` and, when a call cannot connect, wait on `unreachable()`.
 *
 * When the cloud stops answering, the link says so once (one line for the user, not a stack
 * trace in a log) and watches the state directory until a cloud answers for it again: at the
 * same port when it was free, or wherever its new cloud.json says. A process that may host the
 * cloud (`pixelmill run`) starts it itself as soon as no other process holds the directory, so a
 * run that joined another run's cloud outlives it. It says once more when the cloud is back.
 *
 * A cloud can also move without this process ever being refused: restarted on another port
 * while something else took the old one, which then answers in its place. So the link also
 * looks at cloud.json every LOOK_EVERY_MS while it is used, and follows a new cloud there once
 * that one answers with its token.
 */
import type { LocalCloudInfo } from '../infra/local/cloud.ts';
import { cloudAnswers } from '../infra/local/cloud-identity.ts';
import type { CloudThreadLog } from '../infra/local/cloud-thread.ts';
import { readCloudFile, statePaths } from '../infra/local/state-dir.ts';
import type { CloudLink } from '../lib/aws/target.ts';
import { answeringCloud, startCloudHere } from './connect-cloud.ts';

export interface CloudLinkOptions {
  readonly stateDir: string;
  /** Start the cloud in this process when nobody else runs it. */
  readonly host: boolean;
  /** How long a call waits for the cloud before it fails with its error. */
  readonly waitMs: number;
  /** One line for the user (no newline). */
  readonly say: (line: string) => void;
  readonly log?: CloudThreadLog | undefined;
}

const POLL_MS = 250;
const LOOK_EVERY_MS = 2000;

function reasonOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
}

export class LocalCloudLink implements CloudLink {
  #endpoint: string;
  /** The token of the cloud at #endpoint (cloud.json's), to tell a new cloud from it. */
  #token: string;
  #nextLook = Date.now() + LOOK_EVERY_MS;
  readonly #options: CloudLinkOptions;
  /** The cloud this process started after the one it joined went away. */
  #hosted: LocalCloudInfo | undefined;
  #reconnecting: Promise<boolean> | undefined;
  #closed = false;
  #wake: (() => void) | undefined;

  constructor(
    cloud: { readonly endpoint: string; readonly token: string },
    options: CloudLinkOptions,
  ) {
    this.#endpoint = cloud.endpoint;
    this.#token = cloud.token;
    this.#options = options;
  }

  endpoint(): string {
    const now = Date.now();
    if (now >= this.#nextLook && !this.#closed) {
      this.#nextLook = now + LOOK_EVERY_MS;
      void this.#look();
    }
    return this.#endpoint;
  }

  /** Follows a new cloud that cloud.json names, once it answers. */
  async #look(): Promise<void> {
    const file = readCloudFile(statePaths(this.#options.stateDir));
    if (!file || file.token === this.#token || this.#reconnecting) return;
    if (!(await cloudAnswers(file.endpoint, file.token))) return;
    const was = this.#endpoint;
    this.#endpoint = file.endpoint;
    this.#token = file.token;
    if (file.endpoint !== was)
      this.#options.say(`the local cloud moved to ${file.endpoint} (it was at ${was}); going on`);
  }

  unreachable(endpoint: string, error: unknown): Promise<boolean> {
    if (this.#closed) return Promise.resolve(false);
    // The cloud has moved since this call was sent: send it again at once.
    if (endpoint !== this.#endpoint) return Promise.resolve(true);
    this.#reconnecting ??= this.#reconnect(error).finally(() => {
      this.#reconnecting = undefined;
    });
    return this.#reconnecting;
  }

  /** Calls waiting for the cloud fail now, and no call waits any more (Ctrl-C). */
  interrupt(): void {
    this.#closed = true;
    this.#wake?.();
  }

  /** Stops waiting, and stops the cloud this process started, if it did. */
  async close(): Promise<void> {
    this.interrupt();
    await this.#hosted?.stop();
  }

  async #reconnect(error: unknown): Promise<boolean> {
    const lost = this.#endpoint;
    const giveUp = Date.now() + this.#options.waitMs;
    let told = false;
    while (!this.#closed) {
      const file = await answeringCloud(this.#options.stateDir);
      if (file) {
        this.#endpoint = file.endpoint;
        this.#token = file.token;
        if (told || file.endpoint !== lost)
          this.#options.say(
            `the local cloud answers again at ${file.endpoint}${file.endpoint === lost ? '' : ` (it was at ${lost})`}; going on`,
          );
        return true;
      }
      if (!told) {
        told = true;
        this.#options.say(
          `lost the local cloud at ${lost} (${reasonOf(error)}); ${this.#options.host ? 'running it here unless another process does' : 'waiting for it to come back'}`,
        );
      }
      if (this.#options.host && !this.#hosted) {
        const cloud = await startCloudHere(this.#options.stateDir, this.#options.log);
        if (cloud) {
          this.#hosted = cloud;
          this.#endpoint = cloud.endpoint;
          this.#token = readCloudFile(statePaths(this.#options.stateDir))?.token ?? '';
          this.#options.say(`runs the local cloud now, at ${cloud.endpoint}; going on`);
          return true;
        }
      }
      if (Date.now() > giveUp) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, POLL_MS);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
    return false;
  }
}
