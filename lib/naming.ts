/**
 * Deterministic physical names shared by every region.
 *
 * Global-table replicas carry the same table name in every region, and the provider secret's
 * replicas carry the same name, so a router stack in any region can address them by name
 * without a cross-region reference. Changing a prefix after the first deploy creates new
 * resources (the old ones are retained, see DEPLOY.md).
 */
import { type TableId, tableSuffix } from '../lambdas/store/tables';

/** Physical DynamoDB table name, identical in the primary and every replica region. */
export function tableName(namePrefix: string, id: TableId): string {
  return `${namePrefix}-${tableSuffix(id)}`;
}

/** Name of the Secrets Manager secret holding provider API keys (same name in every replica region). */
export function providerSecretName(namePrefix: string): string {
  return `${namePrefix}/provider-credentials`;
}

/** KMS alias of the data key, created in every region (primary key and each replica key). */
export function dataKeyAlias(namePrefix: string): string {
  return `alias/${namePrefix}-data`;
}

/** Stack names (also their construct ids), one set per deployment. */
export const stackNames = {
  key: (stackPrefix: string, region: string) => `${stackPrefix}-Key-${region}`,
  data: (stackPrefix: string) => `${stackPrefix}-Data`,
  router: (stackPrefix: string, region: string) => `${stackPrefix}-Router-${region}`,
};
