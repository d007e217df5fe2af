/**
 * The data layer, provisioned once in the primary region: one DynamoDB global table per data
 * class of the privacy policy (§2, retention classes §8), built from the single table list
 * `TABLES`, and the provider-credentials secret. Both replicate to every configured replica
 * region, encrypted there with that region's replica of the data key.
 */
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { type KeyDefinition, TABLES, type TableId, TTL_ATTRIBUTE } from '../lambdas/store/tables';
import { DATA_DEFAULTS, NAMING_DEFAULTS } from './cheap-token-router-defaults';
import { acknowledgeDataFindings } from './nag-suppressions';
import { providerSecretName, tableName } from './naming';

/** Props of {@link RouterData}. */
export interface RouterDataProps {
  /** The multi-Region primary data key (in this stack's region). */
  readonly key: kms.IKey;
  /** Id of the multi-Region data key; each replica region's key has this id too. */
  readonly keyId: string;
  /** Regions that get a replica of every table and of the secret (the config's `replicaRegions`). */
  readonly replicaRegions: readonly string[];
  /**
   * Prefix of table and secret names.
   *
   * @default 'ctr'
   */
  readonly namePrefix?: string;
  /**
   * Point-in-time-recovery window, in days (1-35).
   *
   * @default 35
   */
  readonly pitrRecoveryPeriodDays?: number;
  /**
   * ARN of the data key in each replica region, as its own key stack outputs it (whole values: a
   * cross-region reference is then a bare `Fn::GetStackOutput`, never nested in `Fn::Join`).
   *
   * @default - derived from `keyId` (same key id in every region of a multi-Region key)
   */
  readonly replicaKeyArns?: Readonly<Record<string, string>>;
}

const attribute = (k: KeyDefinition): dynamodb.Attribute => ({
  name: k.name,
  type: k.type === 'S' ? dynamodb.AttributeType.STRING : dynamodb.AttributeType.NUMBER,
});

/**
 * Tables and the provider secret.
 *
 * Every table: customer-managed key encryption (the replica key in each replica region), TTL on
 * `expiresAt`, point-in-time recovery, deletion protection, on-demand billing, retained on stack
 * deletion, replicas in exactly the configured regions.
 */
export class RouterData extends Construct {
  /** Tables by id. */
  public readonly tables: Readonly<Record<TableId, dynamodb.TableV2>>;
  /** Physical table names by id (the same in every region). */
  public readonly tableNames: Readonly<Record<TableId, string>>;
  /** Provider credentials: a JSON object `{ "<provider id or secretField>": "<api key>" }`. */
  public readonly providerSecret: secretsmanager.Secret;
  /**
   * Full ARN of the secret (with its random suffix), also when referenced from another region;
   * `providerSecret.secretArn` degrades to a suffix-less partial ARN there.
   */
  public readonly providerSecretArn: string;
  /** Data key ARN per replica region, derived from the multi-Region key id. */
  public readonly replicaKeyArns: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: RouterDataProps) {
    super(scope, id);
    const namePrefix = props.namePrefix ?? NAMING_DEFAULTS.namePrefix;
    const recoveryPeriodInDays = props.pitrRecoveryPeriodDays ?? DATA_DEFAULTS.pitrRecoveryPeriodDays;
    const stack = Stack.of(this);

    // A multi-Region replica key has the primary's key id, so its ARN is known here.
    const replicaKeyArns: Record<string, string> = {};
    for (const region of props.replicaRegions) {
      replicaKeyArns[region] =
        props.replicaKeyArns?.[region] ?? stack.formatArn({ service: 'kms', region, resource: 'key', resourceName: props.keyId });
    }
    this.replicaKeyArns = replicaKeyArns;

    const tables = {} as Record<TableId, dynamodb.TableV2>;
    const names = {} as Record<TableId, string>;
    for (const def of TABLES) {
      names[def.id] = tableName(namePrefix, def.id);
      const tags = [{ key: 'ctr:retention-class', value: def.retention }];
      tables[def.id] = new dynamodb.TableV2(this, `Table-${def.id}`, {
        tableName: names[def.id],
        partitionKey: attribute(def.partitionKey),
        sortKey: def.sortKey && attribute(def.sortKey),
        globalSecondaryIndexes: def.indexes.map((ix) => ({
          indexName: ix.indexName,
          partitionKey: attribute(ix.partitionKey),
          sortKey: ix.sortKey && attribute(ix.sortKey),
        })),
        billing: dynamodb.Billing.onDemand(),
        encryption: dynamodb.TableEncryptionV2.customerManagedKey(props.key, replicaKeyArns),
        timeToLiveAttribute: TTL_ATTRIBUTE,
        pointInTimeRecoverySpecification: def.pointInTimeRecovery
          ? { pointInTimeRecoveryEnabled: true, recoveryPeriodInDays }
          : { pointInTimeRecoveryEnabled: false },
        deletionProtection: true,
        removalPolicy: RemovalPolicy.RETAIN,
        replicas: props.replicaRegions.map((region) => ({ region, tags })),
        tags,
      });
    }
    this.tables = tables;
    this.tableNames = names;

    this.providerSecret = new secretsmanager.Secret(this, 'ProviderSecret', {
      secretName: providerSecretName(namePrefix),
      description: 'Cheap Token Router provider API keys: JSON object keyed by provider id (or the provider credential secretField)',
      // Imported by ARN so the secret adds nothing to the key policy: that policy is defined in one
      // place (data-key.ts) and already delegates use of the key to IAM.
      encryptionKey: kms.Key.fromKeyArn(this, 'SecretKey', props.key.keyArn),
      // Filled in after deploy (docs/DEPLOY.md); CloudFormation leaves later manual values alone.
      secretObjectValue: {},
      replicaRegions: props.replicaRegions.map((region) => ({
        region,
        encryptionKey: kms.Key.fromKeyArn(this, `ReplicaKey-${region}`, replicaKeyArns[region]!),
      })),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.providerSecretArn = (this.providerSecret.node.defaultChild as secretsmanager.CfnSecret).ref;
    acknowledgeDataFindings({
      providerSecret: this.providerSecret,
      tablesWithoutPitr: TABLES.filter((t) => !t.pointInTimeRecovery).map((t) => tables[t.id]),
    });
  }
}
