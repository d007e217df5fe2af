/**
 * Erasure jobs (§6) in the privacy-audit table, one item each (`job#<id>`), checkpointed after
 * every page: the account id, counts and a cursor, no personal content. Kept as long as the audit
 * trail (§8).
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ErasureJob, ErasureJobStore } from '../domain/ports';
import { ttlAfterDays } from './dynamo';

export class ErasureJobsRepo implements ErasureJobStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly retentionDays: number,
  ) {}

  async put(job: ErasureJob): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: { pk: `job#${job.jobId}`, sk: 'job', ...job, expiresAt: ttlAfterDays(new Date(job.createdAt), this.retentionDays) },
      }),
    );
  }

  async get(jobId: string): Promise<ErasureJob | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: `job#${jobId}`, sk: 'job' }, ConsistentRead: true }));
    if (!out.Item) return undefined;
    const { pk: _p, sk: _s, expiresAt: _e, ...job } = out.Item;
    return job as ErasureJob;
  }
}
