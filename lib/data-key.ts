/**
 * The customer-managed KMS key that encrypts every table, the provider secret and every log group.
 *
 * It is a **multi-Region key**: one primary in the primary region and one replica per replica
 * region, sharing key id and key material. Two things follow:
 * - each replica's ARN is known from the primary's key id (`arn:…:kms:<region>:<account>:key/<mrk-id>`),
 *   so the primary-region table stack can name the replica keys for its global-table replicas
 *   without a lookup;
 * - a per-account data key wrapped in one region (the runtime's envelope encryption for
 *   crypto-shredding) can be unwrapped by the replica key in any other region, so a replica-region
 *   function never calls KMS across regions to read an account's encrypted fields.
 */
import { Aws, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { NAMING_DEFAULTS } from './cheap-token-router-defaults';
import { dataKeyAlias } from './naming';

/** Key-management actions the account's administrators (via IAM) may perform; no cryptographic use. */
export const ADMIN_ACTIONS = [
  'kms:DescribeKey',
  'kms:GetKeyPolicy',
  'kms:GetKeyRotationStatus',
  'kms:ListGrants',
  'kms:ListKeyPolicies',
  'kms:ListKeyRotations',
  'kms:ListResourceTags',
  'kms:PutKeyPolicy',
  'kms:UpdateKeyDescription',
  'kms:EnableKey',
  'kms:DisableKey',
  'kms:EnableKeyRotation',
  'kms:DisableKeyRotation',
  'kms:RotateKeyOnDemand',
  'kms:CreateAlias',
  'kms:UpdateAlias',
  'kms:DeleteAlias',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
  'kms:ReplicateKey',
  'kms:UpdatePrimaryRegion',
  'kms:RevokeGrant',
  'kms:RetireGrant',
];

/**
 * Cryptographic actions delegated to IAM: a principal of the account can use the key only if its
 * own IAM policy also allows it (the router functions get exactly what they need, see
 * `CheapTokenRouter`). `CreateGrant` is here because DynamoDB and Secrets Manager create grants
 * on behalf of the principal that creates the table or secret.
 */
const USE_ACTIONS = [
  'kms:Encrypt',
  'kms:Decrypt',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
  'kms:GenerateDataKey',
  'kms:GenerateDataKeyWithoutPlaintext',
  'kms:DescribeKey',
  'kms:CreateGrant',
];

/** What CloudWatch Logs needs to encrypt this account's log groups in this region. */
const LOGS_ACTIONS = USE_ACTIONS.filter((a) => a !== 'kms:CreateGrant');

/**
 * The key policy of the data key in one region (primary and replicas get the same shape).
 * In a key policy `Resource: "*"` means "this key".
 */
export function dataKeyPolicy(scope: Construct): iam.PolicyDocument {
  const stack = Stack.of(scope);
  const account = new iam.AccountRootPrincipal();
  return new iam.PolicyDocument({
    statements: [
      new iam.PolicyStatement({ sid: 'KeyAdministrationByAccount', principals: [account], actions: ADMIN_ACTIONS, resources: ['*'] }),
      new iam.PolicyStatement({ sid: 'KeyUseDelegatedToIam', principals: [account], actions: USE_ACTIONS, resources: ['*'] }),
      new iam.PolicyStatement({
        sid: 'CloudWatchLogsEncryption',
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: LOGS_ACTIONS,
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': `arn:${Aws.PARTITION}:logs:${stack.region}:${stack.account}:log-group:*`,
          },
        },
      }),
    ],
  });
}

/** Props of {@link DataKey}. */
export interface DataKeyProps {
  /**
   * ARN of the multi-Region primary key to replicate into this stack's region.
   *
   * @default - this construct creates the multi-Region primary key
   */
  readonly primaryKeyArn?: string;
  /**
   * Prefix of the key alias (`alias/<prefix>-data`).
   *
   * @default 'ctr'
   */
  readonly namePrefix?: string;
  /**
   * Waiting period before a scheduled key deletion takes effect.
   *
   * @default Duration.days(30)
   */
  readonly pendingWindow?: Duration;
}

/**
 * The regional data key: the multi-Region primary (no `primaryKeyArn`) or a replica of it.
 * Rotation is enabled on the primary; replicas share the primary's rotation.
 * The key is retained when its stack is deleted.
 */
export class DataKey extends Construct {
  /** The key in this region. */
  public readonly key: kms.IKey;
  /** ARN of the key in this region. */
  public readonly keyArn: string;
  /** Key id, identical in every region (`mrk-…`). */
  public readonly keyId: string;
  /** Alias of the key in this region. */
  public readonly aliasName: string;

  constructor(scope: Construct, id: string, props: DataKeyProps = {}) {
    super(scope, id);
    const namePrefix = props.namePrefix ?? NAMING_DEFAULTS.namePrefix;
    const pendingWindow = props.pendingWindow ?? Duration.days(30);
    this.aliasName = dataKeyAlias(namePrefix);
    const description = 'Cheap Token Router data key: tables, provider secret, logs, per-account data keys';

    if (props.primaryKeyArn === undefined) {
      const key = new kms.Key(this, 'Key', {
        description,
        multiRegion: true,
        enableKeyRotation: true,
        pendingWindow,
        policy: dataKeyPolicy(this),
        removalPolicy: RemovalPolicy.RETAIN,
      });
      key.addAlias(this.aliasName);
      this.key = key;
      this.keyArn = key.keyArn;
      this.keyId = key.keyId;
    } else {
      const replica = new kms.CfnReplicaKey(this, 'ReplicaKey', {
        primaryKeyArn: props.primaryKeyArn,
        description,
        keyPolicy: dataKeyPolicy(this),
        pendingWindowInDays: pendingWindow.toDays(),
        enabled: true,
      });
      replica.applyRemovalPolicy(RemovalPolicy.RETAIN);
      new kms.CfnAlias(this, 'Alias', { aliasName: this.aliasName, targetKeyId: replica.attrKeyId });
      this.key = kms.Key.fromKeyArn(this, 'Imported', replica.attrArn);
      this.keyArn = replica.attrArn;
      this.keyId = replica.attrKeyId;
    }
  }
}
