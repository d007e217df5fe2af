/**
 * Erasure's deletions (§6): every item of an account's usage and support partitions, and its and
 * its keys' budget, rate and reservation partitions in the limits table (home region).
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ErasureCounts, ErasureStore } from '../domain/ports';
import { deletePartition } from './dynamo';
import type { TableNames } from './tables';

export class ErasureRepo implements ErasureStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    /** The client for the limits table (its single writer, the home region). */
    private readonly limitsDb: DynamoDBDocumentClient,
    private readonly tables: Pick<TableNames, 'usage' | 'support' | 'limits'>,
  ) {}

  async deleteAccountData(accountId: string, keyIds: readonly string[]): Promise<ErasureCounts> {
    const counts: ErasureCounts = {
      usageItemsDeleted: await deletePartition(this.db, this.tables.usage, `acct#${accountId}`),
      supportItemsDeleted: await deletePartition(this.db, this.tables.support, `acct#${accountId}`),
      limitItemsDeleted: 0,
    };
    const limitPartitions = [
      `budget#acct#${accountId}`,
      `rate#acct#${accountId}`,
      `resv#acct#${accountId}`,
      ...keyIds.flatMap((k) => [`budget#key#${k}`, `rate#key#${k}`]),
    ];
    for (const pk of limitPartitions) counts.limitItemsDeleted! += await deletePartition(this.limitsDb, this.tables.limits, pk);
    return counts;
  }
}
