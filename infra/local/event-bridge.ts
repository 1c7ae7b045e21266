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
  /**
   * How many times a matching event reaches the target: once unless told otherwise. Delivery is
   * at least once on AWS, and an event can be lost between S3 and EventBridge; the chaos tests
   * play both through this hook (0: lost, for `audit` to find; 2 or more: duplicates).
   */
  readonly deliveriesOf?: ((event: ObjectCreatedEvent) => number) | undefined;
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
    const matched = matchesEventPattern(o.pattern, event);
    const deliveries = matched ? (o.deliveriesOf?.(event) ?? 1) : 0;
    let outcome: BridgeOutcome;
    if (!matched) {
      outcome = 'not-matched';
    } else if (deliveries < 1) {
      outcome = 'dropped';
    } else {
      const body = JSON.stringify(event);
      try {
        for (let i = 0; i < deliveries; i++) o.deliver(body);
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
