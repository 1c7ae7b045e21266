/**
 * S3-like event sequencers: upper-case hex strings that grow for successive writes, so consumers
 * can order events of one key (compare with `compareSequencers`). Time-based, so they keep
 * growing across restarts of the local cloud.
 */
export function createSequencer(): () => string {
  let last = 0n;
  return () => {
    const candidate = BigInt(Date.now()) * 4096n;
    last = candidate > last ? candidate : last + 1n;
    return last.toString(16).toUpperCase().padStart(18, '0');
  };
}
