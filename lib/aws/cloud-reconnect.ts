/**
 * SDK middleware for a local cloud that another process runs: when a call cannot connect (the
 * cloud stopped, or is restarting), it waits on the CloudLink until the cloud answers again and
 * sends the call again, to wherever the cloud listens now — instead of failing every call made
 * meanwhile. It wraps the SDK's own retries (which come first, as for any transient error), so
 * a call is only held once the cloud has refused it several times in a row.
 *
 * A call whose body is a stream is not sent again (it cannot be read twice); it fails as it
 * would have, and the caller's own retry applies (an SQS redelivery, an ingest's --resume).
 */
import { Readable } from 'node:stream';
import type { FinalizeRequestMiddleware, MiddlewareStack } from '@smithy/types';
import type { CloudLink } from './target.ts';

/**
 * Times one call is sent again after the link said the cloud answers: a cloud that answers its
 * identity route but drops this one call every time must not hold it for ever.
 */
const MAX_RESENDS = 10;

/** Node's codes for a connection refused, or dropped under a request. */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE']);

export function isUnreachable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && UNREACHABLE_CODES.has(code);
}

interface HttpRequestShape {
  hostname?: string;
  port?: number;
  protocol?: string;
  headers?: Record<string, string>;
  body?: unknown;
}

/** Points a request at `endpoint` (host and port), if it is not there already. */
function aim(request: HttpRequestShape, endpoint: URL): void {
  const port = endpoint.port ? Number(endpoint.port) : undefined;
  if (request.hostname === endpoint.hostname && request.port === port) return;
  request.hostname = endpoint.hostname;
  request.port = port;
  request.protocol = endpoint.protocol;
  if (request.headers) request.headers.host = endpoint.host;
}

export function addCloudReconnect(stack: MiddlewareStack<object, object>, link: CloudLink): void {
  let aimedAt = link.endpoint();
  let url = new URL(aimedAt);
  const middleware: FinalizeRequestMiddleware<object, object> = (next) => async (args) => {
    const request = (args as { request?: HttpRequestShape }).request;
    for (let resends = 0; ; resends++) {
      const endpoint = link.endpoint();
      if (endpoint !== aimedAt) {
        aimedAt = endpoint;
        url = new URL(endpoint);
      }
      if (request) aim(request, url);
      try {
        return await next(args);
      } catch (error) {
        if (!isUnreachable(error) || request?.body instanceof Readable) throw error;
        if (resends >= MAX_RESENDS) throw error;
        if (!(await link.unreachable(endpoint, error))) throw error;
      }
    }
  };
  stack.addRelativeTo(middleware, {
    relation: 'before',
    toMiddleware: 'retryMiddleware',
    name: 'pixelmillCloudReconnect',
  });
}
