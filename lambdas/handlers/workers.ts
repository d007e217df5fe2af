/**
 * What the two queue workers share: their small wiring (only the tables each needs, from the
 * environment) and SQS batch handling with partial batch failures — a message that fails stays
 * on the queue (retried after its visibility timeout, then moved to the dead-letter queue).
 */
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { jsonLogger, type Logger } from '../core/log';
import { documentClient } from '../store/dynamo';
import { tableNamesFromEnv } from '../store/tables';

/** Runs `each` on every record; returns the ids of those that threw (logged by name only). */
export async function eachRecord(event: SQSEvent, each: (record: SQSRecord) => Promise<void>, log: Logger): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    try {
      await each(record);
    } catch (err) {
      log.log('error', 'queue message failed', { errorName: (err as Error).name });
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
}

/** The document clients and table names of a worker (the limits table in the home region). */
export function workerStore(env: NodeJS.ProcessEnv = process.env) {
  const db = documentClient({}, env);
  const homeDb = env.CTR_HOME_REGION && env.CTR_HOME_REGION !== env.AWS_REGION ? documentClient({ region: env.CTR_HOME_REGION }, env) : db;
  return { db, homeDb, tables: tableNamesFromEnv(env), log: jsonLogger() };
}
