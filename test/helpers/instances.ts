/**
 * Router instances in one process, as many Lambda instances (or container tasks) on one store:
 * each has its own key cache, lease holder and store client, and they share one injectable clock.
 * A request goes the pipeline's way for its money — authenticate, reserve the worst case, settle
 * and record (core/metering.ts) — without a provider, so spend is known to the nano-dollar.
 * Each instance's store client takes faults: `dead` (a killed process: nothing reaches the store)
 * `dropNext` (the next matching call lands, then its answer is lost as a timeout) and `lateNext`
 * (the caller times out at once; the call reaches the store later, as after a store pause).
 */
import { Agent } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { Authenticator, KEY_CACHE_TTL_MS } from '../../lambdas/core/auth';
import { newRequestId } from '../../lambdas/core/ids';
import { LeasedLimits } from '../../lambdas/core/leased-limits';
import { jsonLogger } from '../../lambdas/core/log';
import { finishMetering } from '../../lambdas/core/metering';
import type { Caller } from '../../lambdas/domain/caller';
import { storeClientBounds } from '../../lambdas/store/dynamo';
import { storeUnavailableFrom } from '../../lambdas/store/errors';
import { LeaseRepo } from '../../lambdas/store/lease-repo';
import type { TableNames } from '../../lambdas/store/tables';
import { UsageRepo } from '../../lambdas/store/usage-repo';
import { usageEventOf } from './usage-records';

/** Faults of one instance's store client. */
export interface StoreFaults {
  /** Every call fails before it reaches the store (the process was killed). */
  dead: boolean;
  /** The next call whose command name matches lands in the store, then its answer is lost (a client timeout). */
  dropNext?: RegExp;
  /** The next call whose command name matches times out at once for the caller, and reaches the store `lateMs` later. */
  lateNext?: RegExp;
  lateMs?: number;
  /** Calls whose answers were dropped (or that were sent late). */
  dropped: string[];
}

/** A document client of its own (not the process's shared one) with `faults` in its path. */
export function faultyClient(endpoint: string, faults: StoreFaults): DynamoDBDocumentClient {
  const bounds = storeClientBounds({}, endpoint);
  const base = new DynamoDBClient({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    ...bounds,
    // Several instances' pools together stay under DynamoDB Local's accept backlog (50; see store/dynamo.ts).
    requestHandler: { ...bounds.requestHandler, httpAgent: new Agent({ keepAlive: true, maxSockets: 8 }) },
  });
  const timeout = () => storeUnavailableFrom(Object.assign(new Error('timed out'), { name: 'TimeoutError' }))!;
  base.middlewareStack.add(
    (next, context) => async (args) => {
      if (faults.dead) throw timeout();
      const name = String(context.commandName);
      if (faults.lateNext?.test(name)) {
        faults.lateNext = undefined;
        faults.dropped.push(name);
        setTimeout(() => void next(args).catch(() => undefined), faults.lateMs ?? 0);
        throw timeout();
      }
      const out = await next(args);
      if (faults.dropNext?.test(name)) {
        faults.dropNext = undefined;
        faults.dropped.push(name);
        throw timeout();
      }
      return out;
    },
    { step: 'initialize', name: 'testFaults', priority: 'high' },
  );
  return DynamoDBDocumentClient.from(base, { marshallOptions: { removeUndefinedValues: true } });
}

export interface Instance {
  leases: LeasedLimits;
  /** Faults of the store client its leases and write-backs use. */
  faults: StoreFaults;
  /** Faults of the store client its usage records use. */
  usageFaults: StoreFaults;
  /** Puts a key in this instance's key cache (a burst on a cold cache would resolve it once per request). */
  warm(secret: string): Promise<void>;
  /** Authenticates (through this instance's key cache) and reserves a request's worst case; rejects as a request would. */
  reserve(secret: string, worstNano: number): Promise<Reserved>;
  /** A whole request: reserve, then settle and record `actualNano` (after the answer, as metering does). */
  request(secret: string, worstNano: number, actualNano: number): Promise<void>;
}

export interface Reserved {
  /** Settles and records the request (metering after the answer); resolves when both were tried. */
  finish(actualNano: number): Promise<void>;
}

export interface InstanceDeps {
  endpoint: string;
  tables: TableNames;
  /** The shared clock (epoch ms comes from it for leases, the key cache and lease expiry). */
  now: () => Date;
  resolveCaller(secret: string): Promise<Caller | undefined>;
}

const silent = jsonLogger(() => undefined);

export function routerInstance(deps: InstanceDeps): Instance {
  const faults: StoreFaults = { dead: false, dropped: [] };
  const usageFaults: StoreFaults = { dead: false, dropped: [] };
  const db = faultyClient(deps.endpoint, faults);
  const usage = new UsageRepo(faultyClient(deps.endpoint, usageFaults), deps.tables.usage, 30, deps.tables.accounts);
  const leases = new LeasedLimits({
    store: new LeaseRepo(db, deps.tables.limits, 300, deps.now),
    status: async () => [],
    now: deps.now,
  });
  const auth = new Authenticator(deps.resolveCaller, KEY_CACHE_TTL_MS, () => deps.now().getTime());
  const metering = { recordUsage: (e: Parameters<UsageRepo['record']>[0]) => usage.record(e), written: () => usage.idle(), log: silent };
  const reserve = async (secret: string, worstNano: number): Promise<Reserved> => {
    const caller = await auth.authenticateKey(secret);
    const requestId = newRequestId(deps.now().getTime());
    const reservation = await leases.reserve(caller, requestId, worstNano, 10);
    return {
      finish: (actualNano) =>
        finishMetering(
          metering,
          usageEventOf({
            accountId: caller.accountId,
            keyId: caller.keyId,
            requestId,
            costNanoUsd: actualNano,
            at: deps.now().toISOString(),
          }),
          { caller, reservation },
        ),
    };
  };
  return {
    leases,
    faults,
    usageFaults,
    reserve,
    warm: async (secret) => void (await auth.authenticateKey(secret)),
    request: async (secret, worstNano, actualNano) => (await reserve(secret, worstNano)).finish(actualNano),
  };
}

/** The budget counter item of a key's month (consistent read). */
export async function keyMonthCounter(db: DynamoDBDocumentClient, table: string, keyId: string, now: Date): Promise<Record<string, any>> {
  const out = await db.send(
    new GetCommand({
      TableName: table,
      Key: { pk: `budget#key#${keyId}`, sk: `month#${now.toISOString().slice(0, 7)}` },
      ConsistentRead: true,
    }),
  );
  return out.Item ?? {};
}

/** The usage records of an account: how many, and their cost in nano-USD. */
export async function recordedSpend(
  db: DynamoDBDocumentClient,
  table: string,
  accountId: string,
): Promise<{ count: number; nano: number }> {
  const out = await db.send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :e)',
      ExpressionAttributeValues: { ':pk': `acct#${accountId}`, ':e': 'evt#' },
      ConsistentRead: true,
    }),
  );
  const items = out.Items ?? [];
  return { count: items.length, nano: items.reduce((n, i) => n + Number(i.costNanoUsd), 0) };
}
