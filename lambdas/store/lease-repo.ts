/**
 * Leases on the limits table's counters (see limits-repo.ts for the counters themselves): an
 * instance takes a slice of a budget or of a rate window in ONE conditional write and spends it
 * locally (core/leases.ts).
 *
 * - Budget counter items keep `committed` = settled spend + every outstanding hold; a lease is a
 *   hold, recorded per holder in the item's `lease_<holder>` (amount) and `leaseUntil_<holder>`
 *   (expiry, epoch seconds) attributes, updated in the same write as `committed`. So `committed ≤ limit` stays the
 *   invariant DynamoDB enforces, and a dead holder's lease can be found and released from the item.
 * - A rate window's slice is a conditional ADD to its `requests`/`tokens`; it ends with its minute.
 */
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Caller } from '../domain/caller';
import type { LeaseAmounts, LeaseBatch, LeaseCounter, LeaseStore, LimitKey, TakeAnswer } from '../domain/ports';
import { writeLeaseBatch } from './lease-batch';
import { budgetCounters, scopesOf } from './limit-counters';

/** A raw DynamoDB attribute value, as a conditional check failure returns the item. */
type Raw = { N?: string };

const num = (v: unknown) => (typeof v === 'number' ? v : Number((v as Raw | undefined)?.N ?? v ?? 0));

/** The attributes of a holder's lease in a budget counter item. */
const HELD = 'lease_';
const UNTIL = 'leaseUntil_';

/** What a take learns from an item (plain, or raw from a failed condition). */
function answer(taken: boolean, item: Record<string, unknown> | undefined, dims: string[], holder: string, nowSec: number): TakeAnswer {
  const used: LeaseAmounts = {};
  for (const d of dims) used[d as keyof LeaseAmounts] = num(item?.[d]);
  const expired = Object.entries(item ?? {})
    .filter(([a, u]) => a.startsWith(UNTIL) && a !== `${UNTIL}${holder}` && num(u) < nowSec)
    .map(([a, u]) => {
      const h = a.slice(UNTIL.length);
      return { holder: h, held: num(item?.[`${HELD}${h}`]), until: num(u) };
    });
  const mine = item?.[`${HELD}${holder}`];
  return { taken, used, expired, ...(mine !== undefined ? { held: num(mine) } : {}) };
}

export class LeaseRepo implements LeaseStore {
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
        who,
        label: `rate limit of this ${who}`,
        resetAt: new Date((minute + 1) * 60_000),
      });
    }
    return { budgets, windows };
  }

  async take(counter: LeaseCounter, holder: string, amount: LeaseAmounts, until: number): Promise<TakeAnswer> {
    const nowSec = Math.floor(this.now().getTime() / 1000);
    const dims = Object.keys(counter.limits) as Array<keyof LeaseAmounts>;
    const values: Record<string, unknown> = {};
    const adds: string[] = [];
    const conditions: string[] = [];
    dims.forEach((d, i) => {
      values[`:a${i}`] = amount[d] ?? 0;
      values[`:cap${i}`] = counter.limits[d]! - (amount[d] ?? 0);
      adds.push(`${d} :a${i}`);
      conditions.push(`(attribute_not_exists(${d}) OR ${d} <= :cap${i})`);
    });
    // More than the whole limit: refused without a write (a fresh counter has no `committed` to compare).
    if (dims.some((d) => (amount[d] ?? 0) > counter.limits[d]!)) return { taken: false, used: {}, expired: [] };
    if (counter.kind === 'rate') {
      values[':exp'] = Number(counter.key.sk.slice(4)) * 60 + 60 + this.rateWindowTtlSeconds;
      const out = await this.send(counter.key, `ADD ${adds.join(', ')} SET expiresAt = :exp`, conditions.join(' AND '), values);
      return answer(out.taken, out.item, dims, holder, nowSec);
    }
    Object.assign(values, {
      ':limit': counter.limits.committed,
      ':exp': Math.floor(counter.resetAt.getTime() / 1000) + 86_400,
      ':until': until,
    });
    // The holder's lease is a pair of attributes of the counter item, written with `committed`.
    const out = await this.send(
      counter.key,
      `ADD ${adds.join(', ')}, #h :a0 SET #limit = :limit, expiresAt = :exp, #u = :until`,
      conditions.join(' AND '),
      values,
      { '#limit': 'limit', '#h': `${HELD}${holder}`, '#u': `${UNTIL}${holder}` },
    );
    return answer(out.taken, out.item, dims, holder, nowSec);
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
          ReturnValues: 'ALL_NEW',
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
            UpdateExpression: 'ADD committed :neg REMOVE #h, #u',
            // Only if the holder has not renewed or changed it meanwhile.
            ConditionExpression: '#u = :u AND #h = :held',
            ExpressionAttributeNames: { '#h': `${HELD}${e.holder}`, '#u': `${UNTIL}${e.holder}` },
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

  writeBatch(accountId: string, batch: LeaseBatch, recreate: boolean): Promise<LimitKey[]> {
    return writeLeaseBatch(this.db, this.table, accountId, batch, recreate, Math.floor(this.now().getTime() / 1000));
  }
}
