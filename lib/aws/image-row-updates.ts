/**
 * The image table's UpdateItem inputs, built from typed requests: which attributes each step of
 * a row's lifecycle sets, and on which condition. image-table.ts sends them and keeps the counts.
 * Attribute names are always aliased (many are reserved words).
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.UpdateExpressions.html
 */
import type { UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import {
  type HistoryEntry,
  IMAGE_TABLE_KEYS,
  type ImageStatus,
  type RenditionRecord,
} from '../../events/image-row.ts';
import type { RejectionReason } from '../../events/rejection-reasons.ts';

export interface RowKey {
  readonly pk: string;
  readonly sk: string;
}

type Names = Record<string, string>;
type Values = Record<string, unknown>;

/** A piece of an update: its clause, with the names and values it uses. */
interface Clause {
  readonly text: string;
  readonly names: Names;
  readonly values: Values;
}

/** `#a = :a, …` for each defined value, aliased under `prefix` so clauses never collide. */
export function setClause(values: Values, prefix = 's'): Clause {
  const names: Names = {};
  const params: Values = {};
  const parts: string[] = [];
  Object.entries(values).forEach(([name, value], i) => {
    if (value === undefined) return;
    names[`#${prefix}${i}`] = name;
    params[`:${prefix}${i}`] = value;
    parts.push(`#${prefix}${i} = :${prefix}${i}`);
  });
  return { text: parts.join(', '), names, values: params };
}

/** The one history append: the entry at the end of the row's list (made if absent). */
export function historyAppend(entry: HistoryEntry): Clause {
  return {
    text: '#history = list_append(if_not_exists(#history, :none), :entry)',
    names: { '#history': 'history' },
    values: { ':none': [], ':entry': [entry] },
  };
}

/** `#inc = #inc + 1` (from 0) on a counter attribute, or nothing. */
function incrementClause(attribute: string | undefined): Clause | undefined {
  if (!attribute) return undefined;
  return {
    text: '#inc = if_not_exists(#inc, :zero) + :one',
    names: { '#inc': attribute },
    values: { ':zero': 0, ':one': 1 },
  };
}

/** The condition "the row is not finished", with its names and values. */
const NOT_TERMINAL: Clause = {
  text: '#status <> :done AND #status <> :rejected',
  names: { '#status': 'status' },
  values: { ':done': 'DONE' satisfies ImageStatus, ':rejected': 'REJECTED' satisfies ImageStatus },
};

/** One UpdateItem: SET the clauses, on the condition, with everything they name merged. */
function update(
  table: string,
  key: RowKey,
  set: readonly (Clause | undefined)[],
  extra: {
    remove?: string;
    condition?: string;
    names?: Names;
    values?: Values;
    returnValues?: UpdateCommandInput['ReturnValues'];
  } = {},
): UpdateCommandInput {
  const clauses = set.filter((c): c is Clause => c !== undefined && c.text !== '');
  const names = Object.assign({}, ...clauses.map((c) => c.names), extra.names) as Names;
  const values = Object.assign({}, ...clauses.map((c) => c.values), extra.values) as Values;
  return {
    TableName: table,
    Key: { ...key },
    UpdateExpression:
      `SET ${clauses.map((c) => c.text).join(', ')}` +
      (extra.remove ? ` REMOVE ${extra.remove}` : ''),
    ...(extra.condition ? { ConditionExpression: extra.condition } : {}),
    ExpressionAttributeNames: names,
    ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
    ...(extra.returnValues ? { ReturnValues: extra.returnValues } : {}),
  };
}

export interface ClaimRequest {
  readonly key: RowKey;
  /** Facts about the object version, written on first claim and refreshed on every claim. */
  readonly facts: {
    readonly bucket: string;
    readonly key: string;
    readonly version: string;
    readonly etag: string;
    readonly versionId?: string | undefined;
    readonly sequencer: string;
    readonly configHash: string;
  };
  readonly owner: string;
  /**
   * A live lease whose owner starts with this is taken over too: it was taken by an earlier
   * receive of the same message, which SQS only hands out again once that receive has let it go
   * (crashed, timed out, or given up), so waiting for that lease would wait on nobody.
   */
  readonly takeOverPrefix?: string;
  /** Epoch ms until which the claim holds; after it another worker may take over. */
  readonly leaseUntil: number;
  readonly receiveCount: number;
  readonly now: Date;
  /** Appended to the row's history. */
  readonly history: HistoryEntry;
}

/**
 * Takes the lease: the row is new, or not finished and its lease has lapsed (or was taken by an
 * earlier receive of the same message). Returns the row as it was.
 */
export function claimUpdate(table: string, request: ClaimRequest): UpdateCommandInput {
  const now = request.now.toISOString();
  const set = setClause({
    status: 'PROCESSING' satisfies ImageStatus,
    leaseOwner: request.owner,
    leaseUntil: request.leaseUntil,
    updatedAt: now,
    receiveCount: request.receiveCount,
    ...request.facts,
  });
  const firstClaim: Clause = {
    text: '#attempts = if_not_exists(#attempts, :zero) + :one, #createdAt = if_not_exists(#createdAt, :now)',
    names: { '#attempts': 'attempts', '#createdAt': 'createdAt' },
    values: { ':zero': 0, ':one': 1, ':now': now },
  };
  const takeOver = request.takeOverPrefix;
  return update(table, request.key, [set, firstClaim, historyAppend(request.history)], {
    condition:
      `attribute_not_exists(#pk) OR (${NOT_TERMINAL.text} AND ` +
      '(attribute_not_exists(#leaseUntil) OR #leaseUntil < :nowMs' +
      `${takeOver ? ' OR begins_with(#leaseOwner, :takeOver)' : ''}))`,
    names: {
      ...NOT_TERMINAL.names,
      '#pk': IMAGE_TABLE_KEYS.partitionKey,
      '#leaseUntil': 'leaseUntil',
      ...(takeOver ? { '#leaseOwner': 'leaseOwner' } : {}),
    },
    values: {
      ...NOT_TERMINAL.values,
      ':nowMs': request.now.getTime(),
      ...(takeOver ? { ':takeOver': takeOver } : {}),
    },
    returnValues: 'ALL_OLD',
  });
}

/** What it cost to reach an outcome: wall time, and the pixel process's CPU and peak memory. */
interface OutcomeCost {
  readonly processingMs?: number | undefined;
  readonly cpuMs?: number | undefined;
  readonly peakMb?: number | undefined;
}

/** What a DONE row records of its image. */
export interface DoneFields extends OutcomeCost {
  readonly width: number;
  readonly height: number;
  readonly format: string;
  readonly bytes: number;
  readonly renditions: readonly RenditionRecord[];
  /** Placeholder, dominant colour, perceptual hash, … (imaging's analysis). */
  readonly analysis: Readonly<Record<string, unknown>>;
  readonly processingMs: number;
  /** An exact duplicate: the row whose renditions this one's are copies of. */
  readonly duplicateOf?: RowKey;
}

/** What a REJECTED row records: the reason code and its detail. */
export interface RejectedFields extends OutcomeCost {
  readonly reason: RejectionReason;
  readonly message: string;
}

/** Ends a claim with `status`: writes the fields, releases the lease, only for its owner. */
export function finishUpdate(
  table: string,
  key: RowKey,
  owner: string,
  status: ImageStatus,
  fields: Values,
  now: Date,
  history: HistoryEntry,
): UpdateCommandInput {
  const set = setClause({ ...fields, status, updatedAt: now.toISOString() });
  return update(table, key, [set, historyAppend(history)], {
    remove: '#leaseOwner, #leaseUntil',
    condition: '#leaseOwner = :owner',
    names: { '#leaseOwner': 'leaseOwner', '#leaseUntil': 'leaseUntil' },
    values: { ':owner': owner },
    returnValues: 'ALL_NEW',
  });
}

/** Extends a live lease, only for its owner and while the row is PROCESSING. */
export function renewLeaseUpdate(
  table: string,
  key: RowKey,
  owner: string,
  leaseUntil: number,
  now: Date,
): UpdateCommandInput {
  return update(table, key, [setClause({ leaseUntil, updatedAt: now.toISOString() })], {
    condition: '#leaseOwner = :owner AND #status = :processing',
    names: { '#leaseOwner': 'leaseOwner', '#status': 'status' },
    values: { ':owner': owner, ':processing': 'PROCESSING' satisfies ImageStatus },
  });
}

/** A key's LATEST row, only over one with an earlier sequencer. */
export function latestUpdate(
  table: string,
  key: RowKey,
  row: Values & { sequencerKey: string },
): UpdateCommandInput {
  return update(table, key, [setClause(row)], {
    condition: 'attribute_not_exists(#pk) OR #seq < :seq',
    names: { '#pk': IMAGE_TABLE_KEYS.partitionKey, '#seq': 'sequencerKey' },
    values: { ':seq': row.sequencerKey },
  });
}

/** A history entry (and fields, and a counter) on an existing row. */
export function noteUpdate(
  table: string,
  key: RowKey,
  entry: HistoryEntry,
  fields: Values,
  increment: string | undefined,
): UpdateCommandInput {
  return update(
    table,
    key,
    [setClause(fields, 'n'), historyAppend(entry), incrementClause(increment)],
    { condition: 'attribute_exists(#pk)', names: { '#pk': IMAGE_TABLE_KEYS.partitionKey } },
  );
}

/** RETRYING, touched now, for a row nobody holds and not finished. Returns the row as it was. */
export function requeuedUpdate(
  table: string,
  key: RowKey,
  entry: HistoryEntry,
  increment: string | undefined,
): UpdateCommandInput {
  const retrying = setClause({ status: 'RETRYING' satisfies ImageStatus, updatedAt: entry.at });
  return update(table, key, [retrying, historyAppend(entry), incrementClause(increment)], {
    condition:
      `attribute_exists(#pk) AND ${NOT_TERMINAL.text} AND ` +
      '(attribute_not_exists(#leaseUntil) OR #leaseUntil < :nowMs)',
    names: {
      ...NOT_TERMINAL.names,
      '#pk': IMAGE_TABLE_KEYS.partitionKey,
      '#leaseUntil': 'leaseUntil',
    },
    values: { ...NOT_TERMINAL.values, ':nowMs': new Date(entry.at).getTime() },
    returnValues: 'ALL_OLD',
  });
}

/** RETRYING again for a DONE row, only if it is still the row that was seen. */
export function reopenUpdate(
  table: string,
  key: RowKey,
  seenUpdatedAt: string,
  entry: HistoryEntry,
): UpdateCommandInput {
  const retrying = setClause({ status: 'RETRYING' satisfies ImageStatus, updatedAt: entry.at });
  return update(table, key, [retrying, historyAppend(entry)], {
    condition: '#status = :done AND #updatedAt = :seen',
    names: { '#status': 'status', '#updatedAt': 'updatedAt' },
    values: { ':done': 'DONE' satisfies ImageStatus, ':seen': seenUpdatedAt },
  });
}
