/**
 * Data layer: the multi-Region data key and its replicas, every table of TABLES, the provider secret.
 * Assertions hold for every table and every region of the two-replica example config.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TABLES, TTL_ATTRIBUTE } from '../../lambdas/store/tables';
import { tableName } from '../../lib/naming';
import { resourcesOf, synthesizeRouter, type SynthesizedRouter } from './fixture';

let s: SynthesizedRouter;
beforeAll(() => {
  s = synthesizeRouter();
});

const allRegions = () => [s.config.primaryRegion, ...s.config.replicaRegions];

describe('data key', () => {
  it('is one multi-Region primary key with rotation in the primary region, retained', () => {
    const t = s.template(s.stacks.keyStacks[s.config.primaryRegion]!);
    const keys = resourcesOf(t, 'AWS::KMS::Key');
    expect(keys).toHaveLength(1);
    const [, key] = keys[0]!;
    expect(key.Properties.MultiRegion).toBe(true);
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.DeletionPolicy).toBe('Retain');
    t.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/ctr-data' });
  });

  it('has a replica key with an alias in every replica region, and nothing in the others', () => {
    for (const region of s.config.replicaRegions) {
      const t = s.template(s.stacks.keyStacks[region]!);
      const replicas = resourcesOf(t, 'AWS::KMS::ReplicaKey');
      expect(replicas, region).toHaveLength(1);
      expect(replicas[0]![1].DeletionPolicy).toBe('Retain');
      // The primary key's ARN comes from the primary region's key stack (no custom resource).
      expect(replicas[0]![1].Properties.PrimaryKeyArn['Fn::GetStackOutput']).toMatchObject({
        StackName: s.stacks.keyStacks[s.config.primaryRegion]!.stackName,
        Region: s.config.primaryRegion,
      });
      t.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/ctr-data' });
      expect(resourcesOf(t, 'AWS::Lambda::Function')).toHaveLength(0);
    }
    expect(Object.keys(s.stacks.keyStacks).sort()).toEqual(allRegions().sort());
  });

  it('key policies allow CloudWatch Logs of their own region only, and grant no other principal than the account', () => {
    for (const region of allRegions()) {
      const t = s.template(s.stacks.keyStacks[region]!);
      const [[, key]] = [...resourcesOf(t, 'AWS::KMS::Key'), ...resourcesOf(t, 'AWS::KMS::ReplicaKey')] as const;
      const statements: any[] = key!.Properties.KeyPolicy.Statement;
      // Exactly the policy of data-key.ts: no construct appended statements of its own.
      expect(statements.map((st) => st.Sid), region).toEqual(['KeyAdministrationByAccount', 'KeyUseDelegatedToIam', 'CloudWatchLogsEncryption']);
      const principals = statements.map((st) => JSON.stringify(st.Principal));
      for (const p of principals) expect(p).toMatch(/:root"|logs\./);
      const logs = statements.find((st) => JSON.stringify(st.Principal).includes('logs.'));
      expect(logs.Principal.Service).toBe(`logs.${region}.amazonaws.com`);
      expect(JSON.stringify(logs.Condition)).toContain('kms:EncryptionContext:aws:logs:arn');
    }
  });
});

describe('tables', () => {
  it('provisions exactly one global table per TABLES entry', () => {
    const t = s.template(s.stacks.dataStack);
    const names = resourcesOf(t, 'AWS::DynamoDB::GlobalTable').map(([, r]) => r.Properties.TableName).sort();
    expect(names).toEqual(TABLES.map((d) => tableName('ctr', d.id)).sort());
    expect(resourcesOf(t, 'AWS::DynamoDB::Table')).toHaveLength(0);
  });

  describe.each(TABLES.map((d) => [d.id, d] as const))('%s', (_id, def) => {
    const table = () => {
      const found = resourcesOf(s.template(s.stacks.dataStack), 'AWS::DynamoDB::GlobalTable').find(
        ([, r]) => r.Properties.TableName === tableName('ctr', def.id),
      );
      expect(found).toBeDefined();
      return found![1];
    };

    it('has its keys, indexes, TTL attribute, on-demand billing and retain policy', () => {
      const r = table();
      expect(r.Properties.KeySchema[0]).toEqual({ AttributeName: def.partitionKey.name, KeyType: 'HASH' });
      if (def.sortKey) expect(r.Properties.KeySchema[1]).toEqual({ AttributeName: def.sortKey.name, KeyType: 'RANGE' });
      expect((r.Properties.GlobalSecondaryIndexes ?? []).map((ix: any) => ix.IndexName)).toEqual(def.indexes.map((ix) => ix.indexName));
      expect(r.Properties.TimeToLiveSpecification).toEqual({ AttributeName: TTL_ATTRIBUTE, Enabled: true });
      expect(r.Properties.BillingMode).toBe('PAY_PER_REQUEST');
      expect(r.DeletionPolicy).toBe('Retain');
      expect(r.UpdateReplacePolicy).toBe('Retain');
      expect(r.Properties.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS' });
    });

    it('has replicas in exactly the configured regions, each with PITR, deletion protection and its regional CMK', () => {
      const replicas: any[] = table().Properties.Replicas;
      expect(replicas.map((r) => r.Region).sort()).toEqual(allRegions().sort());
      for (const replica of replicas) {
        expect(replica.DeletionProtectionEnabled, replica.Region).toBe(true);
        expect(replica.PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled, replica.Region).toBe(def.pointInTimeRecovery);
        const keyId = JSON.stringify(replica.SSESpecification.KMSMasterKeyId);
        if (replica.Region === s.config.primaryRegion) {
          // The primary key itself, from the primary key stack.
          expect(keyId).toContain('GetStackOutput');
          expect(keyId).toContain(`"Region":"${s.config.primaryRegion}"`);
        } else {
          // The replica key of that region: same multi-Region key id, that region in the ARN.
          expect(keyId).toContain(`:kms:${replica.Region}:`);
          expect(keyId).toContain(':key/');
          expect(keyId).toContain(`"Fn::GetStackOutput":{"StackName":"${s.stacks.keyStacks[s.config.primaryRegion]!.stackName}"`);
        }
      }
    });
  });
});

describe('provider secret', () => {
  it('is encrypted with the data key and replicated to every replica region with its replica key', () => {
    const secrets = resourcesOf(s.template(s.stacks.dataStack), 'AWS::SecretsManager::Secret');
    expect(secrets).toHaveLength(1);
    const [, secret] = secrets[0]!;
    expect(secret.Properties.KmsKeyId).toBeDefined();
    const replicas: any[] = secret.Properties.ReplicaRegions;
    expect(replicas.map((r) => r.Region).sort()).toEqual([...s.config.replicaRegions].sort());
    for (const r of replicas) expect(JSON.stringify(r.KmsKeyId)).toContain(`:kms:${r.Region}:`);
    expect(secret.DeletionPolicy).toBe('Retain');
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
