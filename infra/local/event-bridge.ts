/**
 * The EventBridge hop the emulators lack. Every object created in a bucket becomes the event S3
 * would send to EventBridge; if it matches the rule pattern it is delivered to the rule's target
 * (the work queue), and if delivery fails it goes to the rule's dead-letter queue, as EventBridge
 * does after its retries. https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventBridge.html
 *
 * Delivery is synchronous with the write: the upload's HTTP response is sent only after the
 * message is in the queue, so locally "the upload succeeded" implies "the event was enqueued".
 */
import type { EventPattern } from '../../events/event-pattern.ts';
import { matchesEventPattern } from '../../events/event-pattern.ts';
import { buildObjectCreatedEvent, type ObjectCreatedEvent } from '../../events/object-created.ts';

export interface CreatedObject {
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
  readonly etag: string;
  readonly multipart: boolean;
}

export interface BridgeOptions {
  readonly pattern: EventPattern;
  readonly region: string;
  readonly account: string;
  readonly nextSequencer: () => string;
  /** Puts the event body on the rule's target queue; throws on failure. */
  readonly deliver: (body: string) => void;
  /** Puts an undeliverable event on the rule's dead-letter queue. */
  readonly deadLetter: (body: string, error: unknown) => void;
  /** Test hook: return true to drop an event on purpose (a lost event for `audit` to find). */
  readonly drop?: ((event: ObjectCreatedEvent) => boolean) | undefined;
  /** Test hook: deliver each event this many times (S3 and EventBridge may deliver twice). */
  readonly deliveries?: number | undefined;
  readonly onEvent?: ((event: ObjectCreatedEvent, outcome: BridgeOutcome) => void) | undefined;
}

export type BridgeOutcome = 'delivered' | 'not-matched' | 'dropped' | 'dead-lettered';

export class LocalEventBridge {
  readonly #options: BridgeOptions;
  readonly counts: Record<BridgeOutcome, number> = {
    delivered: 0,
    'not-matched': 0,
    dropped: 0,
    'dead-lettered': 0,
  };

  constructor(options: BridgeOptions) {
    this.#options = options;
  }

  objectCreated(object: CreatedObject): BridgeOutcome {
    const o = this.#options;
    const event = buildObjectCreatedEvent({
      bucket: object.bucket,
      key: object.key,
      size: object.size,
      etag: object.etag,
      sequencer: o.nextSequencer(),
      reason: object.multipart ? 'CompleteMultipartUpload' : 'PutObject',
      region: o.region,
      account: o.account,
    });
    let outcome: BridgeOutcome;
    if (!matchesEventPattern(o.pattern, event)) {
      outcome = 'not-matched';
    } else if (o.drop?.(event)) {
      outcome = 'dropped';
    } else {
      const body = JSON.stringify(event);
      try {
        for (let i = 0; i < Math.max(1, o.deliveries ?? 1); i++) o.deliver(body);
        outcome = 'delivered';
      } catch (error) {
        o.deadLetter(body, error);
        outcome = 'dead-lettered';
      }
    }
    this.counts[outcome]++;
    o.onEvent?.(event, outcome);
    return outcome;
  }
}
