/**
 * The one deadline race: runs `work` with a signal that aborts when `ms` have passed, and settles
 * with the timeout's error at that moment, without waiting for the work to notice. The work's
 * own outcome after that is nobody's concern (it is caught, so it cannot go unhandled); the
 * signal is how it learns to stop (the pixel pool, the SDK's `abortSignal`).
 */
export async function withTimeout<T>(
  ms: number,
  timeoutError: () => Error,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const stop = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = timeoutError();
      stop.abort(error);
      reject(error);
    }, ms);
  });
  const running = work(stop.signal);
  running.catch(() => undefined);
  try {
    return await Promise.race([running, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
