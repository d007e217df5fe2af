/**
 * Budgets and rate limits that hold under concurrency, enforced with DynamoDB conditional writes
 * in the limits table.
 *
 * - Rate windows (requests and tokens per minute, per key and per account) are fixed one-minute
 *   counters updated with a conditional ADD; they expire by TTL minutes later (policy §8).
 * - Budgets (daily and monthly USD, per key and per account) are counters of committed nano-USD:
 *   settled spend plus outstanding reservations. Before a provider is called, the request's
 *   worst-case cost is reserved on every budget counter in one transaction whose conditions check
 *   `committed <= limit - reservation`; after the response the reservation is settled to the exact
 *   cost and the rest released. Concurrent requests therefore cannot overspend: DynamoDB applies
 *   conditional updates to an item one at a time.
 * - A reservation is also an item with an expiry. If its request crashed and never settled, the
 *   next reservation that would be refused first sweeps expired reservations of the account and
 *   releases their holds, so a crashed request's hold expires by itself.
 *
 * Multi-region: counters have one writer, the home region's replica (`CTR_HOME_REGION`).
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Caller } from '../domain/caller';
import { BudgetExceeded, RateLimited, type RateLimitState } from '../domain/errors';
import { nanoToUsd } from '../domain/money';
import type { BudgetStatus, LimitsPort, Reservation, SettleTicket } from '../domain/ports';
import { LONGEST_REQUEST_SECONDS, WRITE_BACK_SECONDS } from '../domain/request-bounds';
import { settleBudget } from './budget-settle';
import { withConflictRetry } from './dynamo';
import { writeLeaseBatch } from './lease-batch';
import { type BudgetCounter, budgetCounters, type CounterKey, counterExpiry, pad, type Scope, scopesOf } from './limit-counters';

/** How long a reservation may stay unsettled: the longest a request runs plus the longest its settle takes (16 min). */
export const RESERVATION_TTL_SECONDS = LONGEST_REQUEST_SECONDS + WRITE_BACK_SECONDS;

export class LimitsRepo implements LimitsPort {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly rateWindowTtlSeconds: number,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private scopes(caller: Caller): Scope[] {
    return scopesOf(caller);
  }

  /** Counts the request in each rate window; throws `RateLimited` when a window is full. Returns the tightest windows' state. */
  private async takeRate(scopes: Scope[], maxTokens: number, now: Date): Promise<{ state: RateLimitState; windows: CounterKey[] }> {
    const minute = Math.floor(now.getTime() / 60_000);
    const resetSeconds = Math.max(1, Math.ceil(((minute + 1) * 60_000 - now.getTime()) / 1000));
    const state: RateLimitState = {};
    const windows: CounterKey[] = [];
    for (const s of scopes) {
      const { rpm, tpm } = s.limits;
      if (rpm === undefined && tpm === undefined) continue;
      if (tpm !== undefined && maxTokens > tpm)
        throw new RateLimited(
          `Request too large: it may use up to ${maxTokens} tokens, above the ${s.kind === 'acct' ? 'account' : 'key'} limit of ${tpm} tokens per minute. Lower max_tokens.`,
          'tokens_per_minute',
          resetSeconds,
        );
      const key = { pk: `rate#${s.kind}#${s.id}`, sk: `min#${minute}` };
      const conditions: string[] = [];
      const values: Record<string, unknown> = { ':one': 1, ':tok': maxTokens, ':exp': (minute + 1) * 60 + this.rateWindowTtlSeconds };
      if (rpm !== undefined) {
        conditions.push('(attribute_not_exists(requests) OR requests < :rpm)');
        values[':rpm'] = rpm;
      }
      if (tpm !== undefined) {
        conditions.push('(attribute_not_exists(tokens) OR tokens <= :tcap)');
        values[':tcap'] = tpm - maxTokens;
      }
      try {
        const out = await this.db.send(
          new UpdateCommand({
            TableName: this.table,
            Key: key,
            UpdateExpression: 'ADD requests :one, tokens :tok SET expiresAt = :exp',
            ConditionExpression: conditions.join(' AND '),
            ExpressionAttributeValues: values,
            ReturnValues: 'UPDATED_NEW',
          }),
        );
        windows.push(key);
        const requests = Number(out.Attributes?.requests ?? 0);
        const tokens = Number(out.Attributes?.tokens ?? 0);
        // Report the tightest window of each unit across the key and the account.
        if (rpm !== undefined && (state.requests?.remaining === undefined || rpm - requests < state.requests.remaining))
          state.requests = { limit: rpm, remaining: rpm - requests, resetSeconds };
        if (tpm !== undefined && (state.tokens?.remaining === undefined || tpm - tokens < state.tokens.remaining))
          state.tokens = { limit: tpm, remaining: tpm - tokens, resetSeconds };
      } catch (err) {
        if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
        await this.releaseRate(windows, 1, maxTokens);
        const who = s.kind === 'acct' ? 'account' : 'API key';
        throw new RateLimited(
          `Rate limit reached for this ${who}: ${rpm !== undefined ? `${rpm} requests` : ''}${rpm !== undefined && tpm !== undefined ? ' / ' : ''}${tpm !== undefined ? `${tpm} tokens` : ''} per minute. Retry after ${resetSeconds} s.`,
          'rate_limit_exceeded',
          resetSeconds,
          {
            ...(rpm !== undefined ? { requests: { limit: rpm, remaining: 0, resetSeconds } } : {}),
            ...(tpm !== undefined ? { tokens: { limit: tpm, resetSeconds } } : {}),
          },
        );
      }
    }
    return { state, windows };
  }

  private async releaseRate(windows: CounterKey[], requests: number, tokens: number): Promise<void> {
    for (const key of windows) {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: key,
          UpdateExpression: 'ADD requests :r, tokens :t',
          ExpressionAttributeValues: { ':r': -requests, ':t': -tokens },
        }),
      );
    }
  }

  private budgetCounters(scopes: Scope[], now: Date): BudgetCounter[] {
    return budgetCounters(scopes, now);
  }

  /** Releases the holds of an account's reservations that expired unsettled (their requests crashed). */
  async sweepExpired(accountId: string): Promise<number> {
    const nowSec = Math.floor(this.now().getTime() / 1000);
    let released = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND sk < :now',
          ExpressionAttributeValues: { ':pk': `resv#acct#${accountId}`, ':now': pad(nowSec) },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      startKey = out.LastEvaluatedKey;
      for (const item of out.Items ?? []) {
        // Counters of a period that has ended are left alone: releasing into them would only re-create them.
        const open = (item.counters as CounterKey[]).filter((c) => counterExpiry(c.sk) > nowSec);
        try {
          await withConflictRetry(() =>
            this.db.send(
              new TransactWriteCommand({
                TransactItems: [
                  { Delete: { TableName: this.table, Key: { pk: item.pk, sk: item.sk }, ConditionExpression: 'attribute_exists(pk)' } },
                  ...open.map((c) => ({
                    Update: {
                      TableName: this.table,
                      Key: { pk: c.pk, sk: c.sk },
                      UpdateExpression: 'ADD committed :neg SET expiresAt = if_not_exists(expiresAt, :exp)',
                      ExpressionAttributeValues: { ':neg': -Number(item.amount), ':exp': counterExpiry(c.sk) },
                    },
                  })),
                ],
              }),
            ),
          );
          released++;
        } catch (err) {
          // Settled or swept by someone else meanwhile.
          if (!(err instanceof TransactionCanceledException)) throw err;
        }
      }
    } while (startKey);
    return released;
  }

  private async reserveBudget(
    accountId: string,
    requestId: string,
    counters: ReturnType<LimitsRepo['budgetCounters']>,
    amount: number,
    now: Date,
  ): Promise<{ reservationKey: CounterKey } | { refused: (typeof counters)[number] }> {
    const nowSec = Math.floor(now.getTime() / 1000);
    const expiry = nowSec + RESERVATION_TTL_SECONDS;
    const reservationKey = { pk: `resv#acct#${accountId}`, sk: `${pad(expiry)}#${requestId}` };
    for (const c of counters) if (c.limit - amount < 0) return { refused: c };
    try {
      await withConflictRetry(() =>
        this.db.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: this.table,
                  Item: {
                    ...reservationKey,
                    amount,
                    counters: counters.map(({ pk, sk }) => ({ pk, sk })),
                    createdAt: now.toISOString(),
                    expiresAt: expiry + 35 * 86_400,
                  },
                },
              },
              ...counters.map((c) => ({
                Update: {
                  TableName: this.table,
                  Key: { pk: c.pk, sk: c.sk },
                  UpdateExpression: 'ADD committed :amt SET #limit = :limit, limitAt = :at, expiresAt = :exp',
                  // As a lease's take: never against limits older than the counter's copy (store/lease-repo.ts).
                  ConditionExpression:
                    '(attribute_not_exists(limitAt) OR limitAt <= :at) AND (attribute_not_exists(committed) OR committed <= :cap)',
                  ExpressionAttributeNames: { '#limit': 'limit' },
                  ExpressionAttributeValues: {
                    ':at': c.limitsAt,
                    ':amt': amount,
                    ':cap': c.limit - amount,
                    ':limit': c.limit,
                    ':exp': Math.floor(c.resetAt.getTime() / 1000) + 86_400,
                  },
                },
              })),
            ],
          }),
        ),
      );
      return { reservationKey };
    } catch (err) {
      if (!(err instanceof TransactionCanceledException)) throw err;
      const failed = (err.CancellationReasons ?? []).findIndex((r, i) => i > 0 && r.Code === 'ConditionalCheckFailed');
      if (failed < 0) throw err;
      return { refused: counters[failed - 1]! };
    }
  }

  async reserve(caller: Caller, requestId: string, maxCostNano: number, maxTokens: number): Promise<Reservation> {
    const now = this.now();
    const scopes = this.scopes(caller);
    const rate = await this.takeRate(scopes, maxTokens, now);
    const counters = this.budgetCounters(scopes, now);
    let reservationKey: CounterKey | undefined;
    if (counters.length) {
      let result = await this.reserveBudget(caller.accountId, requestId, counters, maxCostNano, now);
      if ('refused' in result && (await this.sweepExpired(caller.accountId)) > 0) {
        result = await this.reserveBudget(caller.accountId, requestId, counters, maxCostNano, now);
      }
      if ('refused' in result) {
        await this.releaseRate(rate.windows, 1, maxTokens);
        const c = result.refused;
        const retryAfter = Math.max(1, Math.ceil((c.resetAt.getTime() - now.getTime()) / 1000));
        throw new BudgetExceeded(
          `The ${c.label} ($${nanoToUsd(c.limit)}) does not cover this request's maximum cost ($${nanoToUsd(maxCostNano)}). Lower max_tokens, or wait for the budget to reset.`,
          retryAfter,
          rate.state,
        );
      }
      reservationKey = result.reservationKey;
    }
    let budgetSettled = false;
    const rateSettled = new Set<CounterKey>();
    return {
      rateLimit: rate.state,
      ...(reservationKey
        ? {
            reservedNanoUsd: maxCostNano,
            ticket: {
              accountId: caller.accountId,
              reservationKey,
              counters: counters.map(({ pk, sk }) => ({ pk, sk })),
              reservedNanoUsd: maxCostNano,
            },
          }
        : {}),
      // Safe to call again after a failure: each step is applied once (the budget step is idempotent by
      // its marker item, each rate window by a local set).
      settle: async (actualCostNano, actualTokens) => {
        if (reservationKey && !budgetSettled) {
          await this.settleBudget(reservationKey, counters, maxCostNano, actualCostNano);
          budgetSettled = true;
        }
        if (actualTokens !== maxTokens) {
          for (const key of rate.windows) {
            if (rateSettled.has(key)) continue;
            await this.db.send(
              new UpdateCommand({
                TableName: this.table,
                Key: key,
                UpdateExpression: 'ADD tokens :d',
                ExpressionAttributeValues: { ':d': actualTokens - maxTokens },
              }),
            );
            rateSettled.add(key);
          }
        }
      },
    };
  }

  /**
   * Applies a settle replayed from the outbox (its request's own settle failed after retries).
   * Idempotent with that settle and with itself, by the reservation's settle marker.
   */
  async settleFromOutbox(ticket: SettleTicket, actualCostNano: number): Promise<void> {
    // A lease write-back (many requests' settles): replayed as written, by its flush marker.
    if ('lease' in ticket) {
      await writeLeaseBatch(this.db, this.table, ticket.accountId, ticket.lease, false);
      return;
    }
    await this.settleBudget(ticket.reservationKey, ticket.counters, ticket.reservedNanoUsd, actualCostNano);
  }

  private settleBudget(reservationKey: CounterKey, counters: CounterKey[], reserved: number, actual: number): Promise<void> {
    return settleBudget(this.db, this.table, Math.floor(this.now().getTime() / 1000), { reservationKey, counters, reserved, actual });
  }

  /** The current budget counters of a caller (for GET /v1/key and the CLI). */
  async budgetStatus(caller: Caller): Promise<BudgetStatus[]> {
    const now = this.now();
    const counters = this.budgetCounters(this.scopes(caller), now);
    // The counters are read in parallel: one round trip of latency, not one per counter.
    const items = await Promise.all(
      counters.map(async (c) => (await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: c.pk, sk: c.sk } }))).Item ?? {}),
    );
    return counters.map((c, i) => {
      const item = items[i]!;
      const committed = Number(item.committed ?? 0);
      // The counter's copy of the limit wins when newer than the caller's (cached) one.
      const limit = Number(item.limitAt ?? 0) > c.limitsAt && item.limit !== undefined ? Number(item.limit) : c.limit;
      return {
        scope: c.pk.startsWith('budget#acct#') ? 'account' : 'key',
        period: c.sk,
        limitUsd: nanoToUsd(limit),
        committedUsd: nanoToUsd(committed),
        spentUsd: nanoToUsd(Number(item.spent ?? 0)),
        remainingUsd: nanoToUsd(Math.max(0, limit - committed)),
      };
    });
  }
}
