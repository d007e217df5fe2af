/**
 * DynamoDB clients. One document client per region per process (created on first use, reused
 * across invocations). `CTR_DYNAMODB_ENDPOINT` points them at DynamoDB Local.
 *
 * Every call is bounded: a connection timeout, a request timeout (the whole request and response),
 * and a small retry budget; what still fails for lack of a store is thrown as `StoreUnavailable`.
 */
import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, type BatchWriteCommandOutput, DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { storeUnavailableFrom } from './errors';

/** Client bounds of every store call (`CTR_STORE_TIMEOUT_MS` overrides the request timeout). */
export const STORE_CONNECT_TIMEOUT_MS = 1000;
/** DynamoDB answers in milliseconds; 3 s is a store that is not answering. */
export const STORE_REQUEST_TIMEOUT_MS = 3000;
/** DynamoDB Local serializes transactions: under a burst (200 concurrent budget reservations on 2 cores) a call waits up to ~20 s. */
export const LOCAL_STORE_REQUEST_TIMEOUT_MS = 30_000;
/** Attempts per call, the first included: one retry, so a call takes at most ~2 × (connect + request) + backoff. */
export const STORE_MAX_ATTEMPTS = 2;

/** The client settings that bound every call. */
export function storeClientBounds(env: NodeJS.ProcessEnv = process.env, endpoint = env.CTR_DYNAMODB_ENDPOINT) {
  const fallback = endpoint ? LOCAL_STORE_REQUEST_TIMEOUT_MS : STORE_REQUEST_TIMEOUT_MS;
  const requestTimeout = Number(env.CTR_STORE_TIMEOUT_MS) > 0 ? Number(env.CTR_STORE_TIMEOUT_MS) : fallback;
  return {
    // The SDK's pool of 50 sockets stays: more concurrent connections overflow DynamoDB Local's accept backlog (50),
    // and a connection then waits for the kernel's SYN retry, beyond the connect timeout.
    requestHandler: { connectionTimeout: STORE_CONNECT_TIMEOUT_MS, requestTimeout, throwOnRequestTimeout: true },
    maxAttempts: STORE_MAX_ATTEMPTS,
  };
}

/** Rethrows errors that mean "no store" as StoreUnavailable, after the SDK's retries. */
function addStoreUnavailable(client: DynamoDBClient): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (err) {
        throw storeUnavailableFrom(err) ?? err;
      }
    },
    { step: 'initialize', name: 'ctrStoreUnavailable', priority: 'high' },
  );
}

const clients = new Map<string, DynamoDBDocumentClient>();

export interface DynamoOptions {
  region?: string;
  endpoint?: string;
}

/** The document client for a region (the function's own region by default). */
export function documentClient(options: DynamoOptions = {}, env: NodeJS.ProcessEnv = process.env): DynamoDBDocumentClient {
  const endpoint = options.endpoint ?? env.CTR_DYNAMODB_ENDPOINT;
  const region = options.region ?? env.AWS_REGION ?? 'us-east-1';
  const cacheKey = `${region}|${endpoint ?? ''}`;
  let client = clients.get(cacheKey);
  if (!client) {
    const base = new DynamoDBClient({
      region,
      ...storeClientBounds(env, endpoint),
      ...(endpoint ? { endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
    });
    addStoreUnavailable(base);
    client = DynamoDBDocumentClient.from(base, { marshallOptions: { removeUndefinedValues: true } });
    clients.set(cacheKey, client);
  }
  return client;
}

/** Epoch seconds `days` from `now`: the TTL value of an item kept that long. */
export function ttlAfterDays(now: Date, days: number): number {
  return Math.floor(now.getTime() / 1000) + days * 86_400;
}

/** Epoch seconds `seconds` from `now`. */
export function ttlAfterSeconds(now: Date, seconds: number): number {
  return Math.floor(now.getTime() / 1000) + seconds;
}

/** DynamoDB deletes expired items late (typically within days): reads treat them as gone. */
export function isExpired(item: { expiresAt?: number } | undefined, now: Date): boolean {
  return item?.expiresAt !== undefined && item.expiresAt <= Math.floor(now.getTime() / 1000);
}

/** Most BatchWriteItem rounds for one batch of 25 before giving up (unprocessed items, backoff ≤ 1 s each). */
const BATCH_WRITE_ROUNDS = 10;

/**
 * Deletes one page of a partition: at most `limit` items from `startKey` on, by BatchWriteItem of
 * 25; returns how many, and where the next page starts (undefined at the partition's end).
 */
export async function deletePartitionPage(
  db: DynamoDBDocumentClient,
  table: string,
  pk: string,
  limit: number,
  startKey?: Record<string, unknown>,
): Promise<{ deleted: number; next: Record<string, unknown> | undefined }> {
  const out = await db.send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': pk },
      ProjectionExpression: 'pk, sk',
      ExclusiveStartKey: startKey,
      Limit: limit,
      ConsistentRead: true,
    }),
  );
  const keys = (out.Items ?? []).map((i) => ({ pk: i.pk, sk: i.sk }));
  for (let i = 0; i < keys.length; i += 25) {
    let requests: NonNullable<BatchWriteCommandOutput['UnprocessedItems']>[string] | undefined = keys
      .slice(i, i + 25)
      .map((Key) => ({ DeleteRequest: { Key } }));
    for (let round = 0; requests?.length; round++) {
      if (round >= BATCH_WRITE_ROUNDS) throw new Error('BatchWriteItem left items unprocessed');
      const res: BatchWriteCommandOutput = await db.send(new BatchWriteCommand({ RequestItems: { [table]: requests } }));
      requests = res.UnprocessedItems?.[table];
      if (requests?.length) await new Promise((r) => setTimeout(r, Math.min(1000, 20 * 2 ** round)));
    }
  }
  return { deleted: keys.length, next: out.LastEvaluatedKey };
}

/** Deletes every item of one partition (erasure); returns how many were deleted. */
export async function deletePartition(db: DynamoDBDocumentClient, table: string, pk: string, hasSortKey = true): Promise<number> {
  let deleted = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const out = await db.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': pk },
        ProjectionExpression: hasSortKey ? 'pk, sk' : 'pk',
        ExclusiveStartKey: start,
        ConsistentRead: true,
      }),
    );
    const keys = (out.Items ?? []).map((i) => (hasSortKey ? { pk: i.pk, sk: i.sk } : { pk: i.pk }));
    for (let i = 0; i < keys.length; i += 25) {
      let requests: Record<string, unknown>[] | undefined = keys.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key } }));
      for (let attempt = 0; requests?.length; attempt++) {
        const res: BatchWriteCommandOutput = await db.send(new BatchWriteCommand({ RequestItems: { [table]: requests } }));
        requests = res.UnprocessedItems?.[table];
        if (requests?.length) await new Promise((r) => setTimeout(r, Math.min(1000, 20 * 2 ** attempt)));
      }
    }
    deleted += keys.length;
    start = out.LastEvaluatedKey;
  } while (start);
  return deleted;
}

function isConflict(err: unknown): boolean {
  return err instanceof TransactionCanceledException && (err.CancellationReasons ?? []).some((r) => r.Code === 'TransactionConflict');
}

/**
 * Retries a transaction that DynamoDB cancelled because another transaction touched one of its
 * items at the same time (the SDK does not retry those), with jittered backoff.
 */
export async function withConflictRetry<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isConflict(err) || attempt >= 30) throw err;
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(200, 5 * 2 ** attempt)));
    }
  }
}
