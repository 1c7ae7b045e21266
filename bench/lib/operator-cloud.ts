/**
 * A bench's own embedded cloud and the operator context over it (what `pixelmill` verbs take),
 * stopped when `run` ends however it ends.
 */
import type { OperatorContext } from '../../lib/ops/operator-context.ts';
import { startTestCloud, type TestCloud } from '../../test/helpers/local-cloud.ts';
import { operatorContext } from '../../test/helpers/operator.ts';

export async function withOperatorCloud<T>(
  run: (env: TestCloud, ctx: OperatorContext) => Promise<T>,
): Promise<T> {
  const cleanups: (() => Promise<void>)[] = [];
  const env = await startTestCloud({ after: (fn) => cleanups.push(fn) });
  try {
    return await run(env, await operatorContext(env));
  } finally {
    for (const c of cleanups) await c();
  }
}
