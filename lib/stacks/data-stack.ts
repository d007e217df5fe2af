/** The data layer in the primary region: global tables and the provider secret, replicated to every replica region. */
import { CfnOutput, CrossStackReferences, ReferenceStrength, Stack, type StackProps } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { TABLES } from '../../lambdas/store/tables';
import { RouterData } from '../router-data';

/** Props of {@link DataStack}. */
export interface DataStackProps extends StackProps {
  /** Multi-Region primary data key (from the primary region's key stack). */
  readonly key: kms.IKey;
  /** Its key id (shared by every replica key). */
  readonly keyId: string;
  /** Replica regions (the config's `replicaRegions`). */
  readonly replicaRegions: readonly string[];
  /**
   * Prefix of table and secret names.
   *
   * @default 'ctr'
   */
  readonly namePrefix?: string;
  /**
   * Point-in-time recovery window in days.
   *
   * @default 35
   */
  readonly pitrRecoveryPeriodDays?: number;
  /**
   * ARN of the data key in each replica region (from the key stacks).
   *
   * @default - derived from `keyId`
   */
  readonly replicaKeyArns?: Readonly<Record<string, string>>;
}

export class DataStack extends Stack {
  public readonly data: RouterData;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    CrossStackReferences.of(this).consume(ReferenceStrength.WEAK);
    this.data = new RouterData(this, 'Data', props);
    for (const t of TABLES) {
      new CfnOutput(this, `Table-${t.id}`, {
        value: this.data.tables[t.id].tableName,
        description: `${t.description} (retention class: ${t.retention})`,
      });
    }
    new CfnOutput(this, 'ProviderSecretArn', {
      value: this.data.providerSecretArn,
      description: 'Put provider API keys here as a JSON object (see docs/DEPLOY.md)',
    });
  }
}
