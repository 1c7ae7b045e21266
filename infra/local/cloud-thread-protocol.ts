/** What the local cloud's thread (cloud-thread-main.ts) and its starter (cloud-thread.ts) say. */
import type { Topology } from '../topology.ts';
import type { LocalCloudInfo } from './cloud.ts';

export interface CloudThreadOptions {
  readonly stateDir: string;
  readonly topology?: Topology;
  readonly port?: number;
}

export type CloudThreadMessage =
  | { readonly kind: 'ready'; readonly info: Omit<LocalCloudInfo, 'stop'> }
  | {
      readonly kind: 'failed';
      readonly message: string;
      /** Set when another process already holds the state directory (cloud-owner.ts). */
      readonly running?: { readonly endpoint?: string };
    }
  | {
      readonly kind: 'log';
      readonly level: 'debug' | 'info' | 'warn' | 'error';
      readonly message: string;
      readonly fields?: Record<string, unknown>;
    };

export type CloudThreadCommand = { readonly kind: 'stop' };
