/**
 * A test-only SDK middleware that fails a share of calls the way AWS fails them: a throttling
 * error or a 5xx the SDK's retry strategy recognises and retries, so tests see exactly what
 * production sees after the SDK's own retries give up. It is added only when a FaultPlan is
 * given; nothing enables it from the environment.
 */
import type { MiddlewareStack } from '@smithy/types';
import type { FaultPlan, FaultRule } from './target.ts';

function mulberry32(seed: number): () => number {
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

export function addFaultInjection(
  stack: MiddlewareStack<object, object>,
  service: FaultRule['service'],
  plan: FaultPlan,
): void {
  const random = mulberry32(plan.seed ?? Date.now());
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
