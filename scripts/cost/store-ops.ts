/**
 * The store operations and log bytes of one chat request, as measured by
 * test/integration/store-ops-cost.test.ts against the local server and kept in store-ops.json.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const STORE_OPS_FILE = fileURLToPath(new URL('./store-ops.json', import.meta.url));

/** Per request: by table id, calls by command and capacity units; the store round trips; the JSON log lines written. */
export interface PerRequestOps {
  tables: Record<string, { calls: Record<string, number>; readUnits: number; writeUnits: number }>;
  roundTrips: number;
  logLines: number;
  logBytes: number;
}

export interface StoreOpsFile {
  howMeasured: string;
  measuredOn: string;
  requests: { noLimits: PerRequestOps; limits: PerRequestOps; limitsStreamed: PerRequestOps };
}

export function loadStoreOps(): StoreOpsFile {
  return JSON.parse(readFileSync(STORE_OPS_FILE, 'utf8')) as StoreOpsFile;
}
