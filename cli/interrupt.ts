/**
 * Ctrl-C (SIGINT) and SIGTERM, handled the same way by every command: the first of either
 * aborts `signal`, and the command finishes what it can; `release` stops listening, so a command
 * that is done leaves the process's default handling as it found it.
 */
export interface Interrupt {
  readonly signal: AbortSignal;
  /** Resolves on the first SIGINT or SIGTERM. */
  readonly requested: Promise<void>;
  release(): void;
}

export function listenForInterrupt(): Interrupt {
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const requested = new Promise<void>((resolve) => {
    controller.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  return {
    signal: controller.signal,
    requested,
    release: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
