/**
 * Template checks of the data at rest: the multi-Region KMS data key and its replica keys, and every
 * DynamoDB table (encryption, TTL, point-in-time recovery, deletion protection, replicas, retention tag).
 */
import { TTL_ATTRIBUTE } from '../../lambdas/store/tables';
import { tableName } from '../../lib/naming';
import {
  absent,
  allRegions,
  findTables,
  isRegionalDataKey,
  props,
  renderValue,
  replicasOf,
  resourcesOf,
  row,
  sameJson,
  stacksOf,
  type TemplateCheck,
  where,
} from './template-reading';
import type { EvidenceRow } from './types';

export const KEY_AND_TABLE_CHECKS: Readonly<Record<string, TemplateCheck>> = {
  'kms.primaryKey': {
    title: 'Data key: one multi-Region customer-managed KMS key with rotation, retained',
    run(ctx) {
      const check = 'kms.primaryKey';
      const stacks = stacksOf(ctx, ['key']).filter((s) => s.region === ctx.config.primaryRegion);
      const rows: EvidenceRow[] = [];
      for (const s of stacks) {
        for (const [id, r] of resourcesOf(s, 'AWS::KMS::Key')) {
          rows.push(row(check, id, 'EnableKeyRotation', props(r).EnableKeyRotation, 'true', where(s), props(r).EnableKeyRotation === true));
          rows.push(row(check, id, 'MultiRegion', props(r).MultiRegion, 'true', where(s), props(r).MultiRegion === true));
          rows.push(row(check, id, 'DeletionPolicy', r.DeletionPolicy, 'Retain', where(s), r.DeletionPolicy === 'Retain'));
        }
      }
      if (rows.length === 0)
        rows.push(
          absent(check, 'AWS::KMS::Key', 'EnableKeyRotation', 'a KMS key in the primary region key stack', ctx.config.primaryRegion),
        );
      return rows;
    },
  },

  'kms.replicaKeys': {
    title: 'Data key replicas: a replica of the primary key in every replica region',
    run(ctx) {
      const check = 'kms.replicaKeys';
      const primaryKeyStacks = stacksOf(ctx, ['key'])
        .filter((s) => s.region === ctx.config.primaryRegion)
        .map((s) => s.name);
      const rows: EvidenceRow[] = [];
      for (const region of [...ctx.config.replicaRegions].sort()) {
        const replicas = stacksOf(ctx, ['key'])
          .filter((s) => s.region === region)
          .flatMap((s) => resourcesOf(s, 'AWS::KMS::ReplicaKey').map(([id, r]) => ({ s, id, r })));
        if (replicas.length === 0) rows.push(absent(check, 'AWS::KMS::ReplicaKey', 'PrimaryKeyArn', `a replica key in ${region}`, region));
        for (const { s, id, r } of replicas) {
          const ref = JSON.stringify(props(r).PrimaryKeyArn ?? null);
          const ok = primaryKeyStacks.some((n) => ref.includes(`"StackName":"${n}"`));
          rows.push(row(check, id, 'PrimaryKeyArn', props(r).PrimaryKeyArn, 'the primary key (from the primary key stack)', where(s), ok));
          rows.push(row(check, id, 'DeletionPolicy', r.DeletionPolicy, 'Retain', where(s), r.DeletionPolicy === 'Retain'));
        }
      }
      return rows;
    },
  },

  'dynamodb.tables': {
    title: 'Tables: exactly one global table per data class of TABLES (lambdas/store/tables.ts)',
    run(ctx, args) {
      const check = 'dynamodb.tables';
      const { found, rows } = findTables(ctx, check, args);
      for (const t of found)
        rows.push(
          row(
            check,
            t.name,
            'TableName',
            props(t.resource).TableName,
            `TABLES entry "${t.def.id}" (${t.def.retention})`,
            where(t.stack),
            true,
          ),
        );
      if (!args) {
        const known = new Set(ctx.tables.map((d) => tableName(ctx.namePrefix, d.id)));
        for (const s of ctx.stacks) {
          for (const type of ['AWS::DynamoDB::GlobalTable', 'AWS::DynamoDB::Table']) {
            for (const [id, r] of resourcesOf(s, type)) {
              if (!known.has(String(props(r).TableName)))
                rows.push(
                  row(check, id, 'TableName', props(r).TableName, 'a table of TABLES (every table has a data class)', where(s), false),
                );
            }
          }
        }
      }
      return rows;
    },
  },

  'dynamodb.sse': {
    title: 'Tables: encrypted with the customer-managed data key, each replica with its regional key',
    run(ctx, args) {
      const check = 'dynamodb.sse';
      const { found, rows } = findTables(ctx, check, args);
      for (const t of found) {
        const sse = props(t.resource).SSESpecification;
        rows.push(
          row(
            check,
            t.name,
            'SSESpecification',
            sse,
            '{SSEEnabled: true, SSEType: KMS}',
            where(t.stack),
            sameJson(sse, { SSEEnabled: true, SSEType: 'KMS' }),
          ),
        );
        const replicas = replicasOf(t.resource);
        if (replicas.length === 0) rows.push(absent(check, t.name, 'Replicas', 'replica specifications with a KMS key', where(t.stack)));
        for (const rep of replicas) {
          const key = rep.SSESpecification?.KMSMasterKeyId;
          rows.push(
            row(
              check,
              t.name,
              `Replicas[${rep.Region}].SSESpecification.KMSMasterKeyId`,
              key,
              `the data key in ${rep.Region}`,
              where(t.stack),
              isRegionalDataKey(ctx, key, String(rep.Region)),
            ),
          );
        }
      }
      return rows;
    },
  },

  'dynamodb.ttl': {
    title: `Tables: TTL on the \`${TTL_ATTRIBUTE}\` attribute`,
    run(ctx, args) {
      const check = 'dynamodb.ttl';
      const { found, rows } = findTables(ctx, check, args);
      const expected = { AttributeName: TTL_ATTRIBUTE, Enabled: true };
      for (const t of found) {
        const ttl = props(t.resource).TimeToLiveSpecification;
        rows.push(row(check, t.name, 'TimeToLiveSpecification', ttl, renderValue(expected), where(t.stack), sameJson(ttl, expected)));
      }
      return rows;
    },
  },

  'dynamodb.pitr': {
    title: 'Tables: point-in-time recovery per table definition, in every replica',
    run(ctx, args) {
      const check = 'dynamodb.pitr';
      const { found, rows } = findTables(ctx, check, args);
      for (const t of found) {
        // Read structurally: a table definition may turn PITR off (wrapped data keys, crypto-shredding).
        const wanted = (t.def as { readonly pointInTimeRecovery?: boolean }).pointInTimeRecovery !== false;
        const replicas = replicasOf(t.resource);
        if (replicas.length === 0) rows.push(absent(check, t.name, 'Replicas', 'replica specifications with PITR', where(t.stack)));
        for (const rep of replicas) {
          const spec = rep.PointInTimeRecoverySpecification;
          const ok = wanted ? spec?.PointInTimeRecoveryEnabled === true : spec?.PointInTimeRecoveryEnabled !== true;
          rows.push(
            row(
              check,
              t.name,
              `Replicas[${rep.Region}].PointInTimeRecoverySpecification`,
              spec,
              wanted ? 'PointInTimeRecoveryEnabled: true' : 'disabled (TABLES: pointInTimeRecovery false)',
              where(t.stack),
              ok,
            ),
          );
        }
      }
      return rows;
    },
  },

  'dynamodb.deletionProtection': {
    title: 'Tables: deletion protection in every replica, retained on stack deletion',
    run(ctx, args) {
      const check = 'dynamodb.deletionProtection';
      const { found, rows } = findTables(ctx, check, args);
      for (const t of found) {
        rows.push(
          row(check, t.name, 'DeletionPolicy', t.resource.DeletionPolicy, 'Retain', where(t.stack), t.resource.DeletionPolicy === 'Retain'),
        );
        const replicas = replicasOf(t.resource);
        if (replicas.length === 0)
          rows.push(absent(check, t.name, 'Replicas', 'replica specifications with deletion protection', where(t.stack)));
        for (const rep of replicas) {
          rows.push(
            row(
              check,
              t.name,
              `Replicas[${rep.Region}].DeletionProtectionEnabled`,
              rep.DeletionProtectionEnabled,
              'true',
              where(t.stack),
              rep.DeletionProtectionEnabled === true,
            ),
          );
        }
      }
      return rows;
    },
  },

  'dynamodb.replicaRegions': {
    title: 'Tables: replicas in exactly the configured regions',
    run(ctx, args) {
      const check = 'dynamodb.replicaRegions';
      const { found, rows } = findTables(ctx, check, args);
      const expected = allRegions(ctx).sort();
      for (const t of found) {
        const regions = replicasOf(t.resource).map((r) => String(r.Region));
        rows.push(
          row(
            check,
            t.name,
            'Replicas[].Region',
            regions,
            `primaryRegion + replicaRegions = ${expected.join(', ')}`,
            where(t.stack),
            sameJson(regions, expected),
          ),
        );
      }
      return rows;
    },
  },

  'dynamodb.retentionClassTag': {
    title: 'Tables: every replica is tagged with its retention class',
    run(ctx, args) {
      const check = 'dynamodb.retentionClassTag';
      const { found, rows } = findTables(ctx, check, args);
      for (const t of found) {
        for (const rep of replicasOf(t.resource)) {
          const tag = rep.Tags?.find((x) => x.Key === 'ctr:retention-class')?.Value;
          rows.push(
            row(
              check,
              t.name,
              `Replicas[${rep.Region}].Tags[ctr:retention-class]`,
              tag,
              t.def.retention,
              where(t.stack),
              tag === t.def.retention,
            ),
          );
        }
      }
      return rows;
    },
  },
};
