/**
 * A DynamoDB document client that counts every call it sends (by command name), so tests can say
 * how many store round trips a request made, and when.
 */
import { documentClient } from '../../lambdas/store/dynamo';

export interface CountedClient {
  db: ReturnType<typeof documentClient>;
  /** Every command sent so far, in order (e.g. `UpdateItemCommand`). */
  calls: string[];
}

export function countingClient(endpoint: string): CountedClient {
  const db = documentClient({ endpoint, region: 'us-east-1' });
  const calls: string[] = [];
  db.middlewareStack.add(
    (next, context) => async (args) => {
      calls.push(String(context.commandName));
      return next(args);
    },
    { step: 'initialize', name: 'countStoreCalls' },
  );
  return { db, calls };
}
