/**
 * Counts what a document client sends: every command by name and table, and the capacity units
 * DynamoDB (Local) reports consumed for it (`ReturnConsumedCapacity: TOTAL` is added to each call).
 * For `npm run cost`, whose store figures come from counting real requests against the local server.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** Per table: calls by command, and read and write capacity units consumed. */
export interface TableOps {
  calls: Record<string, number>;
  readUnits: number;
  writeUnits: number;
}

export interface StoreOpsCounter {
  /** Counts so far, by table name (a transaction over two tables counts for each). */
  snapshot(): Record<string, TableOps>;
  /** Calls so far (round trips to the store). */
  roundTrips(): number;
  reset(): void;
}

interface Capacity {
  TableName?: string;
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
}

const READS = new Set(['GetItemCommand', 'QueryCommand', 'ScanCommand', 'BatchGetItemCommand', 'TransactGetItemsCommand']);

/** Installs the counter on `db` (once per client: the counter stays for the client's life). */
export function countStoreOps(db: DynamoDBDocumentClient): StoreOpsCounter {
  let ops: Record<string, TableOps> = {};
  let trips = 0;
  const table = (name: string) => {
    ops[name] ??= { calls: {}, readUnits: 0, writeUnits: 0 };
    return ops[name];
  };
  db.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Record<string, unknown>;
      input.ReturnConsumedCapacity = 'TOTAL';
      const command = context.commandName ?? 'unknown';
      trips++;
      const names = new Set<string>();
      if (typeof input.TableName === 'string') names.add(input.TableName);
      for (const item of (input.TransactItems as Array<Record<string, { TableName?: string }>> | undefined) ?? [])
        for (const op of Object.values(item)) if (op.TableName) names.add(op.TableName);
      for (const name of Object.keys((input.RequestItems as Record<string, unknown> | undefined) ?? {})) names.add(name);
      for (const name of names) {
        const t = table(name);
        t.calls[command] = (t.calls[command] ?? 0) + 1;
      }
      const out = await next(args);
      const consumed = (out.output as { ConsumedCapacity?: Capacity | Capacity[] }).ConsumedCapacity;
      for (const c of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) {
        if (!c.TableName) continue;
        const t = table(c.TableName);
        const read = c.ReadCapacityUnits ?? (READS.has(command) ? (c.CapacityUnits ?? 0) : 0);
        const write = c.WriteCapacityUnits ?? (READS.has(command) ? 0 : (c.CapacityUnits ?? 0));
        t.readUnits += read;
        t.writeUnits += write;
      }
      return out;
    },
    { step: 'initialize', name: 'ctrCountStoreOps', priority: 'high' },
  );
  return {
    snapshot: () => structuredClone(ops),
    roundTrips: () => trips,
    reset: () => {
      ops = {};
      trips = 0;
    },
  };
}
