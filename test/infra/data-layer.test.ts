/**
 * Data layer: the multi-Region data key and its replicas, every table of TABLES, the provider secret.
 * Assertions hold for every table and every region of the two-replica example config; resources
 * are found through the constructs that made them or by their properties, never by a generated id.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { TABLES, TTL_ATTRIBUTE } from '../../lambdas/store/tables';
import { tableName } from '../../lib/naming';
import { expectProps, jsonIncludes, logicalIdOf, type SynthesizedRouter, synthesizeRouter } from './fixture';

let s: SynthesizedRouter;
beforeAll(() => {
  s = synthesizeRouter({ bundling: false });
});

const allRegions = () => [s.config.primaryRegion, ...s.config.replicaRegions];

describe('data key', () => {
  it('is one multi-Region primary key with rotation in the primary region, retained', () => {
    const t = s.template(s.stacks.keyStacks[s.config.primaryRegion]!);
    t.resourceCountIs('AWS::KMS::Key', 1);
    t.hasResource('AWS::KMS::Key', {
      Properties: Match.objectLike({ MultiRegion: true, EnableKeyRotation: true }),
      DeletionPolicy: 'Retain',
    });
    t.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/ctr-data' });
  });

  it('has a replica key with an alias in every replica region, and nothing in the others', () => {
    for (const region of s.config.replicaRegions) {
      const t = s.template(s.stacks.keyStacks[region]!);
      t.resourceCountIs('AWS::KMS::ReplicaKey', 1);
      t.hasResource('AWS::KMS::ReplicaKey', {
        // The primary key's ARN comes from the primary region's key stack (no custom resource).
        Properties: Match.objectLike({
          PrimaryKeyArn: {
            'Fn::GetStackOutput': Match.objectLike({
              StackName: s.stacks.keyStacks[s.config.primaryRegion]!.stackName,
              Region: s.config.primaryRegion,
            }),
          },
        }),
        DeletionPolicy: 'Retain',
      });
      t.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/ctr-data' });
      t.resourceCountIs('AWS::Lambda::Function', 0);
    }
    expect(Object.keys(s.stacks.keyStacks).sort()).toEqual(allRegions().sort());
  });

  it('key policies allow CloudWatch Logs of their own region only, and grant no other principal than the account', () => {
    for (const region of allRegions()) {
      const t = s.template(s.stacks.keyStacks[region]!);
      const type = region === s.config.primaryRegion ? 'AWS::KMS::Key' : 'AWS::KMS::ReplicaKey';
      const account = { AWS: jsonIncludes(':root') };
      // Exactly the policy of data-key.ts: no construct appended statements of its own.
      t.hasResourceProperties(type, {
        KeyPolicy: {
          Statement: [
            Match.objectLike({ Sid: 'KeyAdministrationByAccount', Principal: account }),
            Match.objectLike({ Sid: 'KeyUseDelegatedToIam', Principal: account }),
            Match.objectLike({
              Sid: 'CloudWatchLogsEncryption',
              Principal: { Service: `logs.${region}.amazonaws.com` },
              Condition: jsonIncludes('kms:EncryptionContext:aws:logs:arn'),
            }),
          ],
        },
      });
    }
  });
});

describe('tables', () => {
  it('provisions exactly one global table per TABLES entry', () => {
    const t = s.template(s.stacks.dataStack);
    t.resourceCountIs('AWS::DynamoDB::GlobalTable', TABLES.length);
    for (const def of TABLES) t.hasResourceProperties('AWS::DynamoDB::GlobalTable', { TableName: tableName('ctr', def.id) });
    t.resourceCountIs('AWS::DynamoDB::Table', 0);
  });

  describe.each(TABLES.map((d) => [d.id, d] as const))('%s', (_id, def) => {
    const table = () => s.stacks.dataStack.data.tables[def.id];

    it('has its keys, indexes, TTL attribute, on-demand billing and retain policy', () => {
      const t = s.template(s.stacks.dataStack);
      const keySchema = [
        { AttributeName: def.partitionKey.name, KeyType: 'HASH' },
        ...(def.sortKey ? [{ AttributeName: def.sortKey.name, KeyType: 'RANGE' }] : []),
      ];
      t.templateMatches({
        Resources: {
          [logicalIdOf(table())]: {
            Properties: {
              TableName: tableName('ctr', def.id),
              KeySchema: keySchema,
              GlobalSecondaryIndexes:
                def.indexes.length > 0 ? def.indexes.map((ix) => Match.objectLike({ IndexName: ix.indexName })) : Match.absent(),
              TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
              BillingMode: 'PAY_PER_REQUEST',
              SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
            },
            DeletionPolicy: 'Retain',
            UpdateReplacePolicy: 'Retain',
          },
        },
      });
    });

    it('has replicas in exactly the configured regions, each with PITR, deletion protection and its regional CMK', () => {
      const t = s.template(s.stacks.dataStack);
      const primaryKeyStack = s.stacks.keyStacks[s.config.primaryRegion]!.stackName;
      const replicas = allRegions().map((region) =>
        Match.objectLike({
          Region: region,
          DeletionProtectionEnabled: true,
          PointInTimeRecoverySpecification: Match.objectLike({ PointInTimeRecoveryEnabled: def.pointInTimeRecovery }),
          SSESpecification: {
            KMSMasterKeyId:
              region === s.config.primaryRegion
                ? // The primary key itself, from the primary key stack.
                  { 'Fn::GetStackOutput': Match.objectLike({ StackName: primaryKeyStack, Region: s.config.primaryRegion }) }
                : // The replica key of that region, its whole ARN from that region's key stack (a bare Fn::GetStackOutput).
                  { 'Fn::GetStackOutput': Match.objectLike({ StackName: s.stacks.keyStacks[region]!.stackName, Region: region }) },
          },
        }),
      );
      for (const replica of replicas) expectProps(t, table(), { Replicas: Match.arrayWith([replica]) });
      // Exactly those regions, no other replica.
      expect(t.findResources('AWS::DynamoDB::GlobalTable')[logicalIdOf(table())]!.Properties.Replicas).toHaveLength(allRegions().length);
    });
  });
});

describe('provider secret', () => {
  it('is encrypted with the data key and replicated to every replica region with its replica key', () => {
    const t = s.template(s.stacks.dataStack);
    t.resourceCountIs('AWS::SecretsManager::Secret', 1);
    const replicaRegions = s.config.replicaRegions.map((region) => ({
      Region: region,
      KmsKeyId: { 'Fn::GetStackOutput': Match.objectLike({ StackName: s.stacks.keyStacks[region]!.stackName, Region: region }) },
    }));
    t.hasResource('AWS::SecretsManager::Secret', {
      Properties: Match.objectLike({ KmsKeyId: Match.anyValue() }),
      DeletionPolicy: 'Retain',
    });
    for (const replica of replicaRegions)
      t.hasResourceProperties('AWS::SecretsManager::Secret', { ReplicaRegions: Match.arrayWith([replica]) });
    const [secret] = Object.values(t.findResources('AWS::SecretsManager::Secret'));
    expect(secret!.Properties.ReplicaRegions).toHaveLength(s.config.replicaRegions.length);
  });
});

describe('deploy order', () => {
  it('deploys replica keys before the data stack, and the data stack before every router', () => {
    const dataDeps = s.stacks.dataStack.dependencies.map((d) => d.stackName);
    for (const region of s.config.replicaRegions) expect(dataDeps).toContain(s.stacks.keyStacks[region]!.stackName);
    for (const router of Object.values(s.stacks.routerStacks)) {
      expect(router.dependencies.map((d) => d.stackName)).toContain(s.stacks.dataStack.stackName);
    }
  });
});
