/**
 * DynamoDB clients. One document client per region per process (created on first use, reused
 * across invocations). `CTR_DYNAMODB_ENDPOINT` points them at DynamoDB Local.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

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
      ...(endpoint ? { endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
    });
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
