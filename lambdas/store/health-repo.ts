/**
 * Offer health counts (§2 "model selection and performance metrics": counts and timings only, no
 * account, no key, no content), one item per region, minute and offer, added to by every instance
 * of the region and gone by TTL minutes after the window they belong to.
 *
 * Layout: pk `health#<region>`, sk `<minute, zero-padded>#<offer id>`; numeric attributes are
 * sums (ADD), so concurrent writers never lose counts.
 */
import { type DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { HealthBucket, HealthStore } from '../domain/ports';

const FIELDS = [
  'attempts',
  'failures',
  'timeouts',
  'ttftMsSum',
  'ttftCount',
  'outputTokens',
  'generationMs',
] as const satisfies ReadonlyArray<keyof HealthBucket>;
const pad = (minute: number) => minute.toString().padStart(10, '0');
/** Pages read per window at most: a bound on one refresh, whatever the catalog's size. */
const MAX_PAGES = 20;

export class HealthRepo implements HealthStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    /** How long a minute's counts are kept after that minute (seconds). */
    private readonly keepSeconds: number,
  ) {}

  async add(region: string, minute: number, buckets: ReadonlyMap<string, HealthBucket>): Promise<void> {
    for (const [offerId, b] of buckets) {
      const values: Record<string, number | string> = {
        ':exp': (minute + 1) * 60 + this.keepSeconds,
        ':offer': offerId,
        ':minute': minute,
      };
      for (const f of FIELDS) values[`:${f}`] = b[f];
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: `health#${region}`, sk: `${pad(minute)}#${offerId}` },
          // `minute` is a DynamoDB reserved word: it must go through an attribute name placeholder.
          UpdateExpression: `ADD ${FIELDS.map((f) => `${f} :${f}`).join(', ')} SET offerId = :offer, #minute = :minute, expiresAt = :exp`,
          ExpressionAttributeNames: { '#minute': 'minute' },
          ExpressionAttributeValues: values,
        }),
      );
    }
  }

  async window(region: string, fromMinute: number): Promise<Array<{ offerId: string; minute: number; bucket: HealthBucket }>> {
    const out: Array<{ offerId: string; minute: number; bucket: HealthBucket }> = [];
    let start: Record<string, unknown> | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const res = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND sk >= :from',
          ExpressionAttributeValues: { ':pk': `health#${region}`, ':from': pad(fromMinute) },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of res.Items ?? []) {
        const bucket = {} as HealthBucket;
        // Counts are the store's, but still bounded: a negative or non-number value counts as zero.
        for (const f of FIELDS) bucket[f] = Math.max(0, Number(item[f]) || 0);
        out.push({ offerId: String(item.offerId), minute: Number(item.minute), bucket });
      }
      start = res.LastEvaluatedKey;
      if (!start) break;
    }
    return out;
  }
}
