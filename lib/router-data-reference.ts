/** Where the data layer (tables, key, secret) is, as seen from one region's router. */
import type { TableId } from '../lambdas/store/tables';

/** Where the data layer is, as seen from one region. */
export interface RouterDataReference {
  /** Physical table names (identical in every region of a global table). */
  readonly tableNames: Readonly<Record<TableId, string>>;
  /** ARN of the data key in this region (the multi-Region primary, or its replica here). */
  readonly keyArn: string;
  /** ARN of the data key in the home (primary) region, which encrypts the home-region counters. */
  readonly homeKeyArn: string;
  /** ARN of the provider-credentials secret (its replica in this region), or an ARN pattern (`<name>-??????`) for IAM. */
  readonly providerSecretArn: string;
  /**
   * What the functions pass as `SecretId` (an ARN or the secret's name).
   *
   * @default - providerSecretArn
   */
  readonly providerSecretId?: string;
}
