/**
 * The child's half of the pixel pool: receive the config once, then render one image per
 * message with the engine (render.ts) and answer. One image at a time, so everything the process
 * uses while it works — CPU time, resident memory — is that image's, which is what lets the
 * parent hold each image to its limits by watching the process. When the parent goes away (its
 * IPC channel closes), the child exits: no orphan keeps decoding.
 */
import sharp from 'sharp';
import { ImageRejectedError } from '../errors.ts';
import { renderImage } from '../render.ts';
import type { FromChild, ToChild } from './protocol.ts';

export interface ChildPort {
  send(message: FromChild): void;
  onMessage(listener: (message: ToChild) => void): void;
  onDisconnect(listener: () => void): void;
}

/** The IPC channel of a process started by `child_process.fork`. */
export function processPort(): ChildPort {
  const send = process.send?.bind(process);
  if (!send) throw new Error('the pixel child must be started by the pixel pool (no IPC channel)');
  return {
    send: (message) => {
      send(message);
    },
    onMessage: (listener) => {
      process.on('message', (message) => listener(message as ToChild));
    },
    onDisconnect: (listener) => {
      process.on('disconnect', listener);
    },
  };
}

const toBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);

export function servePixelJobs(port: ChildPort): void {
  let config: Extract<ToChild, { kind: 'init' }>['config'] | undefined;
  port.onDisconnect(() => process.exit(0));
  port.onMessage((message) => {
    if (message.kind === 'init') {
      config = message.config;
      sharp.concurrency(message.threads);
      port.send({ kind: 'ready' });
      return;
    }
    const { id } = message;
    if (!config) {
      port.send({ kind: 'failed', id, name: 'PixelChildError', message: 'render before init' });
      return;
    }
    renderImage(toBuffer(message.input), config, message.declared, message.presets).then(
      (result) => port.send({ kind: 'done', id, ...result }),
      (error: unknown) => {
        if (error instanceof ImageRejectedError) {
          port.send({ kind: 'rejected', id, reason: error.reason, message: error.message });
        } else {
          port.send({
            kind: 'failed',
            id,
            name: error instanceof Error ? error.name : 'Error',
            message: error instanceof Error ? error.message : String(error),
          });
        }
      },
    );
  });
}
