/**
 * The messages between the pixel pool and its child processes, over Node's IPC channel with
 * `serialization: 'advanced'` (the structured clone algorithm: Buffers arrive as Uint8Arrays,
 * nothing is JSON-encoded). The child knows nothing but these messages: no environment, no
 * network, no storage.
 */

import type { OutputFormat, PixelmillConfig } from '../../../events/config/schema.ts';
import type { RejectionReason } from '../../../events/rejection-reasons.ts';
import type { DeclaredType, ImageAnalysis } from '../analyse.ts';
import { ImageRejectedError, type ImageUsage } from '../errors.ts';
import type { RenderResult } from '../render.ts';

/** Sent once, first: what the child renders with and how many libvips threads it may use. */
export interface InitMessage {
  readonly kind: 'init';
  readonly config: PixelmillConfig;
  readonly threads: number;
}

export interface RenderMessage {
  readonly kind: 'render';
  readonly id: number;
  readonly input: Uint8Array;
  readonly declared?: DeclaredType | undefined;
  /** Render only these presets (by name); every preset when absent. */
  readonly presets?: readonly string[] | undefined;
}

export type ToChild = InitMessage | RenderMessage;

export interface ReadyMessage {
  readonly kind: 'ready';
}

export interface WireRendition {
  readonly presetName: string;
  readonly format: OutputFormat;
  readonly width: number;
  readonly height: number;
  readonly contentType: string;
  readonly data: Uint8Array;
  readonly note?: string;
}

export interface DoneMessage {
  readonly kind: 'done';
  readonly id: number;
  readonly analysis: ImageAnalysis;
  readonly renditions: readonly WireRendition[];
}

/** The image's own fault (ImageRejectedError). */
export interface RejectedMessage {
  readonly kind: 'rejected';
  readonly id: number;
  readonly reason: RejectionReason;
  readonly message: string;
}

/** Anything else the engine threw: a bug or the environment, never the image's verdict. */
export interface FailedMessage {
  readonly kind: 'failed';
  readonly id: number;
  readonly name: string;
  readonly message: string;
}

export type FromChild = ReadyMessage | DoneMessage | RejectedMessage | FailedMessage;

const toBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);

/** A child's answer to a render as the caller sees it: the result, or the error to reject with. */
export function answerOf(
  message: DoneMessage | RejectedMessage | FailedMessage,
  usage: ImageUsage | undefined,
): { result: RenderResult } | { error: Error } {
  if (message.kind === 'done') {
    return {
      result: {
        analysis: message.analysis,
        renditions: message.renditions.map((r) => ({ ...r, data: toBuffer(r.data) })),
        ...(usage ? { usage } : {}),
      },
    };
  }
  if (message.kind === 'rejected') {
    return { error: new ImageRejectedError(message.reason, message.message, { usage }) };
  }
  const error = new Error(message.message);
  error.name = message.name;
  return { error };
}
