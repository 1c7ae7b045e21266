/**
 * How a pixelmill process knows that an endpoint is the local cloud of its state directory: the
 * cloud answers GET CLOUD_IDENTITY_PATH with the token it wrote into `<state>/cloud.json` when it
 * started. A pid in that file proves nothing (after a crash or a reboot it may name any live
 * process) and neither does an open port (anything may listen there now); a token only this
 * cloud knows, answered at the endpoint the file names, does.
 */
import { request } from 'node:http';
import { z } from 'zod';

export const CLOUD_IDENTITY_PATH = '/_pixelmill/cloud';

const identitySchema = z.object({
  token: z.string(),
  stateDir: z.string(),
  pid: z.int(),
});

export type CloudIdentity = z.infer<typeof identitySchema>;

/**
 * Whether the cloud at `endpoint` answers with `token`, within `timeoutMs`. Anything else — a
 * refused connection, another server, another cloud, no answer in time — is a no. Each probe
 * opens a connection of its own: a kept-alive one could still reach a cloud that has stopped
 * listening and is closing.
 */
export function cloudAnswers(endpoint: string, token: string, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = request(
      new URL(CLOUD_IDENTITY_PATH, endpoint),
      { agent: false, timeout: timeoutMs, headers: { connection: 'close' } },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('error', () => resolve(false));
        response.on('end', () => {
          if (response.statusCode !== 200) return resolve(false);
          try {
            const identity = identitySchema.safeParse(JSON.parse(body));
            resolve(identity.success && identity.data.token === token);
          } catch {
            resolve(false);
          }
        });
      },
    );
    probe.on('timeout', () => probe.destroy());
    probe.on('error', () => resolve(false));
    probe.end();
  });
}
