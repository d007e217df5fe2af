/**
 * Leases on the limits table's counters (see limits-repo.ts for the counters themselves): an
 * instance takes a slice of a budget or of a rate window in ONE conditional write and spends it
 * locally (core/leases.ts).
 *
 * - Budget counter items keep `committed` = settled spend + every outstanding hold; a lease is a
 *   hold, recorded per holder in the item's `leases` map (amount) and `leaseUntil` map (expiry,
 *   epoch seconds), updated in the same write as `committed`. So `committed ≤ limit` stays the
 *   invariant DynamoDB enforces, and a dead holder's lease can be found and released from the item.
 * - A rate window's slice is a conditional ADD to its `requests`/`tokens`; it ends with its minute.
 */
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Caller } from '../domain/caller';
import type { LeaseAmounts, LeaseBatch, LeaseCounter, LeaseStore, LimitKey, TakeAnswer } from '../domain/ports';
import { writeLeaseBatch } from './lease-batch';
import { budgetCounters, scopesOf } from './limit-counters';

/** A raw DynamoDB attribute value, as a conditional check failure returns the item. */
type Raw = { N?: string; M?: Record<string, Raw> };

const num = (v: unknown) => (typeof v === 'number' ? v : Number((v as Raw | undefined)?.N ?? v ?? 0));
const map = (v: unknown): Record<string, unknown> => (v as Raw | undefined)?.M ?? (v as Record<string, unknown> | undefined) ?? {};

/** What a take learns from an item (plain, or raw from a failed condition). */
function answer(taken: boolean, item: Record<string, unknown> | undefined, dims: string[], holder: string, nowSec: number): TakeAnswer {
  const used: LeaseAmounts = {};
  for (const d of dims) used[d as keyof LeaseAmounts] = num(item?.[d]);
  const held = map(item?.leases);
  const until = map(item?.leaseUntil);
  const expired = Object.entries(until)
    .filter(([h, u]) => h !== holder && num(u) < nowSec)
    .map(([h, u]) => ({ holder: h, held: num(held[h]), until: num(u) }));
  return { taken, used, expired, ...(holder in held ? { held: num(held[holder]) } : {}) };
}

const isMissingMap = (err: unknown) => (err as Error).name === 'ValidationException' && /document path/i.test((err as Error).message);

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
    const held = amount.committed ?? 0;
    Object.assign(values, { ':limit': counter.limits.committed, ':exp': Math.floor(counter.resetAt.getTime() / 1000) + 86_400 });
    const set = `SET #limit = :limit, expiresAt = :exp`;
    const names = { '#limit': 'limit', '#h': holder };
    // The holder's entry in the lease maps; the first lease of a counter creates the maps.
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const out = await this.send(
          counter.key,
          `ADD ${adds.join(', ')} ${set}, leases.#h = if_not_exists(leases.#h, :zero) + :a0, leaseUntil.#h = :until`,
          conditions.join(' AND '),
          { ...values, ':zero': 0, ':until': until },
          names,
        );
        return answer(out.taken, out.item, dims, holder, nowSec);
      } catch (err) {
        if (!isMissingMap(err)) throw err;
      }
      const out = await this.send(
        counter.key,
        `ADD ${adds.join(', ')} ${set}, leases = :lm, leaseUntil = :um`,
        `${conditions.join(' AND ')} AND attribute_not_exists(leases)`,
        { ...values, ':lm': { [holder]: held }, ':um': { [holder]: until } },
        { '#limit': 'limit' },
      );
      // Refused because another holder created the maps first: take through them.
      if (out.taken || out.item?.leases === undefined) return answer(out.taken, out.item, dims, holder, nowSec);
    }
    throw new Error('lease not taken');
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
            UpdateExpression: 'ADD committed :neg REMOVE leases.#h, leaseUntil.#h',
            // Only if the holder has not renewed or changed it meanwhile.
            ConditionExpression: 'leaseUntil.#h = :u AND leases.#h = :held',
            ExpressionAttributeNames: { '#h': e.holder },
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
