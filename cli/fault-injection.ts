/**
 * Test-only SDK middleware, added through the target's `addMiddleware` hook (lib/aws/target.ts)
 * by the chaos tests and by `pixelmill worker`/`run` under PIXELMILL_FAULTS (test-faults.ts):
 * - fails a share of calls the way AWS fails them: a throttling error or a 5xx the SDK's retry
 *   strategy recognises and retries, so tests see exactly what production sees after the SDK's
 *   own retries give up;
 * - or stops the process instead of sending the write that marks an image DONE (after its
 *   renditions are written), as a worker killed at that moment.
 * Nothing here is imported by the workers, so none of it is in the Lambda bundle.
 */
import type { MiddlewareStack } from '@smithy/types';
import type { ClientMiddleware } from '../lib/aws/target.ts';

export interface FaultRule {
  readonly service: 's3' | 'sqs' | 'dynamodb';
  /** SDK command names (`PutObjectCommand`); all when absent. */
  readonly commands?: readonly string[];
  /** Share of matching calls that fail, 0..1. */
  readonly rate: number;
  /** Only calls whose S3 key or DynamoDB pk starts with this. */
  readonly keyPrefix?: string;
  readonly error: 'throttle' | 'server-error';
}

export interface FaultPlan {
  readonly rules: readonly FaultRule[];
  /** Deterministic randomness for reproducible runs. */
  readonly seed?: number;
  /** Counts injected failures, so tests can report "N faults injected". */
  readonly onInjected?: (rule: FaultRule, command: string) => void;
}

/** Seeded randomness (mulberry32), so a run's faults can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A DynamoDB key attribute, plain or (after the DocumentClient has marshalled it) `{ S }`. */
function stringAttribute(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) {
    const s = (value as Record<string, unknown>).S;
    if (typeof s === 'string') return s;
  }
  return undefined;
}

function keyOf(input: unknown): string | undefined {
  if (typeof input !== 'object' || input === null) return undefined;
  const record = input as Record<string, unknown>;
  if (typeof record.Key === 'string') return record.Key;
  for (const holder of [record.Key, record.Item]) {
    if (typeof holder !== 'object' || holder === null) continue;
    const pk = stringAttribute((holder as Record<string, unknown>).pk);
    if (pk !== undefined) return pk;
  }
  return undefined;
}

function injectedError(rule: FaultRule, command: string): Error {
  const throttle = rule.error === 'throttle';
  const error = new Error(`Injected ${rule.error} on ${command}`);
  error.name = throttle ? 'ThrottlingException' : 'InternalError';
  Object.assign(error, {
    $fault: throttle ? 'client' : 'server',
    $metadata: { httpStatusCode: throttle ? 400 : 500, attempts: 1 },
    $retryable: { throttling: throttle },
  });
  return error;
}

function addFaultInjection(
  stack: MiddlewareStack<object, object>,
  service: FaultRule['service'],
  plan: FaultPlan,
): void {
  const random = seededRandom(plan.seed ?? Date.now());
  const rules = plan.rules.filter((r) => r.service === service);
  if (rules.length === 0) return;
  stack.add(
    (next, context) => async (args) => {
      const command = String((context as { commandName?: string }).commandName ?? 'unknown');
      const key = keyOf(args.input);
      for (const rule of rules) {
        if (rule.commands && !rule.commands.includes(command)) continue;
        if (rule.keyPrefix !== undefined && !(key ?? '').startsWith(rule.keyPrefix)) continue;
        if (random() < rule.rate) {
          plan.onInjected?.(rule, command);
          throw injectedError(rule, command);
        }
      }
      return next(args);
    },
    // Inside the retry loop: the SDK retries injected faults as it retries real ones.
    { step: 'deserialize', name: 'pixelmillFaultInjection', priority: 'high' },
  );
}

/** The middleware hook that injects a plan's failures into every client. */
export function faultMiddleware(plan: FaultPlan): ClientMiddleware {
  return (service, stack) => addFaultInjection(stack, service, plan);
}

/**
 * Whether a DynamoDB call is an UpdateItem that sets an image row's status to `status`: a SET of
 * the `status` attribute (its name and value placeholders share their suffix, as the table's
 * writes make them) to that value.
 */
function setsStatus(input: unknown, status: string): boolean {
  if (typeof input !== 'object' || input === null) return false;
  const { ExpressionAttributeNames: names, ExpressionAttributeValues: values } = input as {
    ExpressionAttributeNames?: Record<string, unknown>;
    ExpressionAttributeValues?: Record<string, unknown>;
  };
  return Object.entries(names ?? {}).some(
    ([placeholder, name]) =>
      name === 'status' && stringAttribute(values?.[`:${placeholder.slice(1)}`]) === status,
  );
}

/**
 * Runs `before()` (and waits for it) just before each write of `status` to an image row goes out:
 * a test steals a lease at that moment, `crashBeforeDoneRate` ends the process.
 */
export function beforeStatusWrite(
  status: 'DONE' | 'REJECTED',
  before: () => void | Promise<void>,
): ClientMiddleware {
  return (service, stack) => {
    if (service !== 'dynamodb') return;
    stack.add(
      (next, context) => async (args) => {
        const command = String((context as { commandName?: string }).commandName ?? '');
        if (command.startsWith('Update') && setsStatus(args.input, status)) await before();
        return next(args);
      },
      { step: 'build', name: `pixelmillBefore${status}`, priority: 'high' },
    );
  };
}

/** Both hooks, or one, or none. */
export function allMiddleware(
  ...hooks: readonly (ClientMiddleware | undefined)[]
): ClientMiddleware | undefined {
  const present = hooks.filter((h) => h !== undefined);
  if (present.length === 0) return undefined;
  return (service, stack) => {
    for (const hook of present) hook(service, stack);
  };
}
