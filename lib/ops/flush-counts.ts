/**
 * Writes the count changes an operator command made (a redrive, an audit's repairs) once it is
 * done with the rows. Counts are advisory: a failed write leaves them off until a recount, and
 * never fails the command, whose row writes already happened.
 */
import type { ImageTable } from '../aws/image-table.ts';

export async function flushCountsQuietly(table: ImageTable): Promise<string | undefined> {
  try {
    await table.flushCounts();
    return undefined;
  } catch (error) {
    return `could not update the table's counts (run \`pixelmill status --recount\`): ${error instanceof Error ? error.message : String(error)}`;
  }
}
