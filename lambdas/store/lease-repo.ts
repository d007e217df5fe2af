/**
 * Leases on the limits table's counters (see limits-repo.ts for the counters themselves): an
 * instance takes a slice of a budget or of a rate window in ONE conditional write and spends it
 * locally (core/leases.ts).
 *
 * - Budget counter items keep `committed` = settled spend + every outstanding hold; a lease is a
 *   hold, recorded per holder in the item's `lease_<holder>` (amount) and `leaseUntil_<holder>`
 *   (expiry, epoch seconds) attributes, updated in the same write as `committed`. So `committed ≤ limit` stays the
 *   invariant DynamoDB enforces, and a dead holder's lease can be found and released from the item.
 *   `leaseOp_<holder>` numbers the holder's last applied take and `leaseFence_<holder>` fences off
 *   its older ones: a take whose answer was lost (a store timeout; the write may land later still)
 *   is fenced, then learned of (`fence`; docs/guarantees-leases.md).
 * - A rate window's slice is a conditional ADD to its `requests`/`tokens`; it ends with its minute.
 * - Every counter item carries its limits (`limit`, `requestLimit`, `tokenLimit`) and when they were
 *   set (`limitAt`). A take compares with the newer of those and the caller's cached limits, so a
 *   limit an operator changed (copied into the items by `applyLimits`) applies at every instance's
 *   next refill, whatever its key cache holds.
 */
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Caller, Limits } from '../domain/caller';
import type {
  BatchAnswer,
  LeaseAmounts,
  LeaseBatch,
  LeaseCounter,
  LeaseDim,
  LeaseStore,
  LimitCopies,
  LimitKey,
  TakeAnswer,
} from '../domain/ports';
import { writeLeaseBatch } from './lease-batch';
import { budgetCounters, LIMIT_ATTR, num, scopesOf, storedLimits } from './limit-counters';

/** The attributes of a holder's lease in a budget counter item: amount held, expiry, last take applied. */
const HELD = 'lease_';
const UNTIL = 'leaseUntil_';
const OP = 'leaseOp_';
/** The holder's fence: its takes numbered below it can no longer land (one whose answer was lost and is learned of). */
const FENCE = 'leaseFence_';

/**
 * What a take learns from the item as it was before the take (taken) or as found (refused):
 * the counter's values after the take, expired leases of others, this holder's lease and last take, the item's limits.
 */
function answer(
  taken: boolean,
  counter: LeaseCounter,
  amount: LeaseAmounts,
  item: Record<string, unknown> | undefined,
  holder: string,
  nowSec: number,
): TakeAnswer {
  const dims = Object.keys(counter.limits) as LeaseDim[];
  const used: LeaseAmounts = {};
  for (const d of dims) used[d] = num(item?.[d]) + (taken ? (amount[d] ?? 0) : 0);
  const expired = Object.entries(item ?? {})
    .filter(([a, u]) => a.startsWith(UNTIL) && a !== `${UNTIL}${holder}` && num(u) < nowSec)
    .map(([a, u]) => {
      const h = a.slice(UNTIL.length);
      return { holder: h, held: num(item?.[`${HELD}${h}`]), until: num(u) };
    });
  const out: TakeAnswer = { taken, used, expired };
  if (counter.kind === 'budget') {
    const mine = item?.[`${HELD}${holder}`];
    if (mine !== undefined || taken) out.held = num(mine) + (taken ? (amount.committed ?? 0) : 0);
    const op = item?.[`${OP}${holder}`];
    if (op !== undefined) out.lastOp = num(op);
  }
  const stored = storedLimits(item, counter.kind);
  if (stored) {
    out.stored = stored;
    if (!taken && stored.at > counter.limitsAt) out.stale = true;
  }
  return out;
}

export class LeaseRepo implements LeaseStore, LimitCopies {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly rateWindowTtlSeconds: number,
    private readonly now: () => Date = () => new Date(),
  ) {}

  counters(caller: Caller, now: Date): { budgets: LeaseCounter[]; windows: LeaseCounter[] } {
    const scopes = scopesOf(caller);
    const budgets = budgetCounters(scopes, now).map(
      (c): LeaseCounter => ({ key: { pk: c.pk, sk: c.sk }, kind: 'budget', limits: { committed: c.limit }, ...c }),
    );
    const minute = Math.floor(now.getTime() / 60_000);
    const windows: LeaseCounter[] = [];
    for (const s of scopes) {
      const { rpm, tpm } = s.limits;
      if (rpm === undefined && tpm === undefined) continue;
      const who = s.kind === 'acct' ? 'account' : 'API key';
      windows.push({
        key: { pk: `rate#${s.kind}#${s.id}`, sk: `min#${minute}` },
        kind: 'rate',
        limits: { ...(rpm !== undefined ? { requests: rpm } : {}), ...(tpm !== undefined ? { tokens: tpm } : {}) },
        limitsAt: s.limits.setAt ?? 0,
        who,
        label: `rate limit of this ${who}`,
        resetAt: new Date((minute + 1) * 60_000),
      });
    }
    return { budgets, windows };
  }

  async take(counter: LeaseCounter, holder: string, amount: LeaseAmounts, until: number, op?: number): Promise<TakeAnswer> {
    const nowSec = Math.floor(this.now().getTime() / 1000);
    const dims = Object.keys(counter.limits) as LeaseDim[];
    // More than the whole limit: refused without a write (a fresh counter has no `committed` to compare).
    if (dims.some((d) => (amount[d] ?? 0) > counter.limits[d]!)) return { taken: false, used: {}, expired: [] };
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':at': counter.limitsAt };
    const adds: string[] = [];
    const sets: string[] = ['limitAt = :at'];
    // The item's limits win when newer than the caller's (cached) ones: the take is refused and learns them.
    const conditions: string[] = ['(attribute_not_exists(limitAt) OR limitAt <= :at)'];
    dims.forEach((d, i) => {
      values[`:a${i}`] = amount[d] ?? 0;
      values[`:cap${i}`] = counter.limits[d]! - (amount[d] ?? 0);
      values[`:l${i}`] = counter.limits[d];
      names[`#l${i}`] = LIMIT_ATTR[d];
      adds.push(`${d} :a${i}`);
      sets.push(`#l${i} = :l${i}`);
      conditions.push(`(attribute_not_exists(${d}) OR ${d} <= :cap${i})`);
    });
    if (counter.kind === 'rate') {
      values[':exp'] = Number(counter.key.sk.slice(4)) * 60 + 60 + this.rateWindowTtlSeconds;
    } else {
      // The holder's lease is a set of attributes of the counter item, written with `committed`.
      Object.assign(values, { ':exp': Math.floor(counter.resetAt.getTime() / 1000) + 86_400, ':until': until });
      Object.assign(names, { '#h': `${HELD}${holder}`, '#u': `${UNTIL}${holder}` });
      adds.push('#h :a0');
      sets.push('#u = :until');
      if (op !== undefined) {
        Object.assign(names, { '#o': `${OP}${holder}`, '#f': `${FENCE}${holder}` });
        values[':op'] = op;
        sets.push('#o = :op');
        conditions.push('(attribute_not_exists(#f) OR #f < :op)');
      }
    }
    sets.push('expiresAt = :exp');
    const out = await this.send(counter.key, `ADD ${adds.join(', ')} SET ${sets.join(', ')}`, conditions.join(' AND '), values, names);
    const ans = answer(out.taken, counter, amount, out.item, holder, nowSec);
    // Refused on the room with limits newer than the item's: they are written alone, so no one takes against the older ones.
    if (!out.taken && !ans.stale && (ans.stored?.at ?? 0) < counter.limitsAt) await this.writeLimits(counter);
    return ans;
  }

  async fence(counter: LeaseCounter, holder: string, op: number): Promise<{ lastOp?: number; held?: number }> {
    let item: Record<string, unknown> | undefined;
    try {
      const out = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: counter.key,
          UpdateExpression: 'SET #f = :op, expiresAt = if_not_exists(expiresAt, :exp)',
          ConditionExpression: 'attribute_not_exists(#f) OR #f < :op',
          ExpressionAttributeNames: { '#f': `${FENCE}${holder}` },
          ExpressionAttributeValues: { ':op': op, ':exp': Math.floor(counter.resetAt.getTime() / 1000) + 86_400 },
          ReturnValues: 'ALL_OLD',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      item = out.Attributes;
    } catch (err) {
      // A higher fence is there already (a later probe of this holder landed): the item as found still answers.
      if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
      item = (err as { Item?: Record<string, unknown> }).Item;
    }
    const last = item?.[`${OP}${holder}`];
    const held = item?.[`${HELD}${holder}`];
    return { ...(last !== undefined ? { lastOp: num(last) } : {}), ...(held !== undefined ? { held: num(held) } : {}) };
  }

  /** Writes a counter's limits into its item unless the item carries newer ones (the item is created if absent). */
  private async writeLimits(counter: LeaseCounter): Promise<void> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':at': counter.limitsAt };
    const sets = ['limitAt = :at'];
    (Object.keys(counter.limits) as LeaseDim[]).forEach((d, i) => {
      names[`#l${i}`] = LIMIT_ATTR[d];
      values[`:l${i}`] = counter.limits[d];
      sets.push(`#l${i} = :l${i}`);
    });
    values[':exp'] =
      counter.kind === 'rate'
        ? Number(counter.key.sk.slice(4)) * 60 + 60 + this.rateWindowTtlSeconds
        : Math.floor(counter.resetAt.getTime() / 1000) + 86_400;
    sets.push('expiresAt = if_not_exists(expiresAt, :exp)');
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: counter.key,
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: 'attribute_not_exists(limitAt) OR limitAt < :at',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    } catch (err) {
      if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
    }
  }

  /**
   * Copies a scope's changed limits into its current counters (today's and this month's budgets,
   * this minute's rate window), so every instance's next refill and write-back compares with them
   * (the newer limits win over an instance's cached ones; see `take`). Not on a request's path.
   */
  async applyLimits(scope: { kind: 'acct' | 'key'; id: string }, limits: Limits, now: Date): Promise<void> {
    const caller: Caller =
      scope.kind === 'acct'
        ? { accountId: scope.id, keyId: '', accountLimits: limits }
        : { accountId: '', keyId: scope.id, keyLimits: limits };
    // The other scope has no limits here, so it has no counters.
    const { budgets, windows } = this.counters(caller, now);
    await Promise.all([...budgets, ...windows].map((c) => this.writeLimits(c)));
  }

  /** One conditional update; a failed condition returns the item as it was found. */
  private async send(
    key: LimitKey,
    expression: string,
    condition: string,
    values: Record<string, unknown>,
    names?: Record<string, string>,
  ): Promise<{ taken: boolean; item: Record<string, unknown> | undefined }> {
    try {
      const out = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: key,
          UpdateExpression: expression,
          ConditionExpression: condition,
          ...(names ? { ExpressionAttributeNames: names } : {}),
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_OLD',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { taken: true, item: out.Attributes };
    } catch (err) {
      if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
      return { taken: false, item: (err as { Item?: Record<string, unknown> }).Item };
    }
  }

  async releaseExpired(counter: LeaseCounter, expired: TakeAnswer['expired']): Promise<number> {
    let released = 0;
    for (const e of expired) {
      try {
        await this.db.send(
          new UpdateCommand({
            TableName: this.table,
            Key: counter.key,
            UpdateExpression: 'ADD committed :neg REMOVE #h, #u, #o, #f',
            // Only if the holder has not renewed or changed it meanwhile.
            ConditionExpression: '#u = :u AND #h = :held',
            ExpressionAttributeNames: {
              '#h': `${HELD}${e.holder}`,
              '#u': `${UNTIL}${e.holder}`,
              '#o': `${OP}${e.holder}`,
              '#f': `${FENCE}${e.holder}`,
            },
            ExpressionAttributeValues: { ':neg': -e.held, ':u': e.until, ':held': e.held },
          }),
        );
        released++;
      } catch (err) {
        if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
      }
    }
    return released;
  }

  writeBatch(accountId: string, batch: LeaseBatch, recreate: boolean): Promise<BatchAnswer> {
    return writeLeaseBatch(this.db, this.table, accountId, batch, recreate, Math.floor(this.now().getTime() / 1000));
  }
}
