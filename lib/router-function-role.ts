/**
 * `RouterFunctionRole`: the execution role of one router function, with exactly the grants that
 * function needs (least privilege, policy §5): its log group, its tables (`TABLE_ACCESS`) and the
 * key DynamoDB encrypts them with, the provider secret, per-account data keys, Bedrock models.
 */
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { RouterConfig } from '../lambdas/core/config';
import { type TableId, tableDefinition } from '../lambdas/store/tables';
import { grantBedrockInvoke } from './bedrock-grants';
import type { RouterDataReference } from './router-data-reference';
import {
  BEDROCK_FUNCTIONS,
  DATA_KEY_ACTIONS,
  DYNAMODB_READ_ACTIONS,
  DYNAMODB_WRITE_ACTIONS,
  HOME_REGION_TABLES,
  type RouterFunctionName,
  SCAN_FUNCTIONS,
  SECRET_FUNCTIONS,
  TABLE_ACCESS,
  type TableAccess,
} from './table-access';

/** Props of {@link RouterFunctionRole}. */
export interface RouterFunctionRoleProps {
  /** The function this role executes: selects its grants. */
  readonly functionName: RouterFunctionName;
  /** The validated router config (home region, Bedrock offers). */
  readonly config: RouterConfig;
  /** The data layer in this region. */
  readonly data: RouterDataReference;
  /** The function's log group, which the role may write to. */
  readonly logGroup: logs.ILogGroup;
  /**
   * Whether the function sends X-Ray traces (`XRayTracing` policy).
   *
   * @default false
   */
  readonly tracing?: boolean;
}

/** KMS actions DynamoDB performs with a table's key on behalf of a reader, and of a writer. */
const TABLE_KEY_READ_ACTIONS = ['kms:Decrypt', 'kms:DescribeKey'];
const TABLE_KEY_WRITE_ACTIONS = [
  'kms:Decrypt',
  'kms:DescribeKey',
  'kms:Encrypt',
  'kms:GenerateDataKey',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
];

/** What a traced function calls: X-Ray has no resource-level permissions for either. */
export const XRAY_ACTIONS: readonly string[] = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'];

const pascal = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * A function's own role. Not the default Lambda role, which would attach the AWS-managed basic
 * execution policy (and its `*` log resources).
 */
export class RouterFunctionRole extends iam.Role {
  /**
   * Region-wildcard Bedrock model ARNs (cross-region inference profiles) granted to this role,
   * in cdk-nag's notation, for `acknowledgeRouterFindings`.
   */
  public readonly bedrockWildcards: readonly string[];
  /**
   * The X-Ray grant, when the function is traced: a policy of its own, so that its `*` resource
   * (X-Ray's actions have no resource-level permissions) is acknowledged there and nowhere else.
   */
  public readonly tracingPolicy?: iam.Policy;

  constructor(scope: Construct, id: string, props: RouterFunctionRoleProps) {
    super(scope, id, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Cheap Token Router ${props.functionName} function`,
    });
    const { functionName, config, data } = props;
    props.logGroup.grantWrite(this);
    this.grantTables(functionName, config, data);
    if (SECRET_FUNCTIONS.includes(functionName)) this.grantProviderSecret(data);
    const dataKeyActions = DATA_KEY_ACTIONS[functionName];
    if (dataKeyActions) {
      // Per-account data keys (crypto-shredding): direct calls, always with an encryption context.
      this.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'PerAccountDataKeys',
          actions: [...dataKeyActions],
          resources: [data.keyArn],
          // The runtime binds each data key to its account: EncryptionContext { accountId }.
          conditions: {
            Null: { 'kms:EncryptionContextKeys': 'false' },
            'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['accountId'] },
          },
        }),
      );
    }
    if (props.tracing) {
      this.tracingPolicy = new iam.Policy(this, 'XRayTracing', {
        roles: [this],
        statements: [new iam.PolicyStatement({ sid: 'SendTraces', actions: [...XRAY_ACTIONS], resources: ['*'] })],
      });
    }
    this.bedrockWildcards = BEDROCK_FUNCTIONS.includes(functionName) ? grantBedrockInvoke(this, config, Stack.of(this)) : [];
  }

  /**
   * Table grants. Tables are read and written in this region, except the counter tables
   * (`HOME_REGION_TABLES`), which every region uses in the home region.
   */
  private grantTables(functionName: RouterFunctionName, config: RouterConfig, data: RouterDataReference): void {
    const stack = Stack.of(this);
    const keyUse = new Map<string, { keyArn: string; write: boolean }>();
    for (const [id, access] of Object.entries(TABLE_ACCESS[functionName]) as [TableId, TableAccess][]) {
      const tableName = data.tableNames[id];
      const home = HOME_REGION_TABLES.includes(id);
      const region = home ? config.primaryRegion : stack.region;
      const tableArn = stack.formatArn({ service: 'dynamodb', region, resource: 'table', resourceName: tableName });
      const indexArns = tableDefinition(id).indexes.map((ix) => `${tableArn}/index/${ix.indexName}`);
      const write = access === 'readWrite';
      const actions: string[] = [
        ...DYNAMODB_READ_ACTIONS,
        ...(SCAN_FUNCTIONS.includes(functionName) ? ['dynamodb:Scan'] : []),
        ...(write ? DYNAMODB_WRITE_ACTIONS : []),
      ];
      this.addToPrincipalPolicy(new iam.PolicyStatement({ sid: `Table${pascal(id)}`, actions, resources: [tableArn, ...indexArns] }));
      const keyArn = home && region !== stack.region ? data.homeKeyArn : data.keyArn;
      const prev = keyUse.get(region);
      keyUse.set(region, { keyArn, write: (prev?.write ?? false) || write });
    }
    // DynamoDB uses the table's key on the caller's behalf; allow it only through DynamoDB in that region.
    for (const [region, { keyArn, write }] of keyUse) {
      this.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: `TableKey${region.replace(/-/g, '')}`,
          actions: write ? TABLE_KEY_WRITE_ACTIONS : TABLE_KEY_READ_ACTIONS,
          resources: [keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${region}.amazonaws.com` } },
        }),
      );
    }
  }

  /** Reading the provider-credentials secret, and decrypting it only through Secrets Manager. */
  private grantProviderSecret(data: RouterDataReference): void {
    this.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadProviderSecret',
        actions: ['secretsmanager:GetSecretValue'],
        resources: [data.providerSecretArn],
      }),
    );
    this.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'DecryptProviderSecret',
        actions: ['kms:Decrypt'],
        resources: [data.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com` } },
      }),
    );
  }
}
