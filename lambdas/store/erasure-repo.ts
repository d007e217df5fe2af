/**
 * Erasure's deletions (§6): every item of an account's usage and support partitions, and its and
 * its keys' budget, rate and reservation partitions in the limits table (home region). Deleted in
 * bounded pages (BatchWriteItem of 25), so an erasure job can checkpoint between pages.
 */
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ErasureCounts, ErasureCursor, ErasurePage, ErasureStore } from '../domain/ports';
import { ERASURE_FENCE_SECONDS, erasureFenceKey } from './budget-settle';
import { deletePartitionPage } from './dynamo';
import type { TableNames } from './tables';

interface Partition {
  db: DynamoDBDocumentClient;
  table: string;
  pk: string;
  count: 'usageItemsDeleted' | 'supportItemsDeleted' | 'limitItemsDeleted';
}

export class ErasureRepo implements ErasureStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    /** The client for the limits table (its single writer, the home region). */
    private readonly limitsDb: DynamoDBDocumentClient,
    private readonly tables: Pick<TableNames, 'usage' | 'support' | 'limits'>,
  ) {}

  async fence(accountId: string): Promise<void> {
    const expiresAt = Math.floor(Date.now() / 1000) + ERASURE_FENCE_SECONDS;
    await this.limitsDb.send(new PutCommand({ TableName: this.tables.limits, Item: { ...erasureFenceKey(accountId), expiresAt } }));
  }

  /** The partitions an erasure empties, in a fixed order (a cursor indexes into it). */
  private partitions(accountId: string, keyIds: readonly string[]): Partition[] {
    const limits = [
      `budget#acct#${accountId}`,
      `rate#acct#${accountId}`,
      `resv#acct#${accountId}`,
      ...keyIds.flatMap((k) => [`budget#key#${k}`, `rate#key#${k}`]),
    ];
    return [
      { db: this.db, table: this.tables.usage, pk: `acct#${accountId}`, count: 'usageItemsDeleted' },
      { db: this.db, table: this.tables.support, pk: `acct#${accountId}`, count: 'supportItemsDeleted' },
      ...limits.map((pk) => ({ db: this.limitsDb, table: this.tables.limits, pk, count: 'limitItemsDeleted' as const })),
    ];
  }

  async deletePage(
    accountId: string,
    keyIds: readonly string[],
    cursor: ErasureCursor | undefined,
    maxItems: number,
  ): Promise<ErasurePage> {
    const parts = this.partitions(accountId, keyIds);
    const counts: ErasureCounts = { usageItemsDeleted: 0, supportItemsDeleted: 0, limitItemsDeleted: 0 };
    let at: ErasureCursor | undefined = cursor ?? { partition: 0 };
    let budget = maxItems;
    while (at && budget > 0) {
      const part = parts[at.partition];
      if (!part) return { counts, next: undefined };
      const page = await deletePartitionPage(part.db, part.table, part.pk, budget, at.startKey);
      counts[part.count] = (counts[part.count] ?? 0) + page.deleted;
      budget -= page.deleted;
      at = page.next
        ? { partition: at.partition, startKey: page.next }
        : at.partition + 1 < parts.length
          ? { partition: at.partition + 1 }
          : undefined;
      if (page.deleted === 0 && page.next) break; // an empty page with more to read: continue next call
    }
    return { counts, next: at };
  }

  /** Every partition at once (small accounts, tests). */
  async deleteAccountData(accountId: string, keyIds: readonly string[]): Promise<ErasureCounts> {
    const total: ErasureCounts = { usageItemsDeleted: 0, supportItemsDeleted: 0, limitItemsDeleted: 0 };
    let cursor: ErasureCursor | undefined;
    // Bounded: each round deletes up to 1,000 items or moves to the next partition.
    for (let round = 0; round < 100_000; round++) {
      const page = await this.deletePage(accountId, keyIds, cursor, 1_000);
      for (const [k, v] of Object.entries(page.counts)) total[k] = (total[k] ?? 0) + v;
      cursor = page.next;
      if (!cursor) break;
    }
    return total;
  }
}
