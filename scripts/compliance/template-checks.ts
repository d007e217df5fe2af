/**
 * The template checks the policy map refers to by id. Each reads the synthesized templates (or
 * the router config) and returns evidence rows: what was found, what it must be, and where.
 * They are generic over the deployment: every table of TABLES, every log group, every stack.
 */
import { configJsonSchema, POLICY_MAX_DAYS } from '../../lambdas/core/config';
import { TTL_ATTRIBUTE, type RetentionClass, type TableDefinition } from '../../lambdas/store/tables';
import { tableName } from '../../lib/naming';
import { RETENTION_CLASSES } from './policy-map';
import type { CfnResource, CheckContext, EvidenceRow, StackRole, StackTemplate, TableFilter } from './types';

/** A named check: a title for the report and a function from the context to evidence rows. */
export interface TemplateCheck {
  readonly title: string;
  run(ctx: CheckContext, args?: TableFilter): EvidenceRow[];
}

// ---- Rendering --------------------------------------------------------------------------------

/**
 * Renders a template value readably: intrinsic functions as `${…}` placeholders, a value from
 * another stack as `${<stack> (<region>) output}`.
 *
 * @example
 * renderValue({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':kms']] }) // 'arn:${AWS::Partition}:kms'
 */
export function renderValue(v: unknown): string {
  if (v === undefined) return '(absent)';
  if (v === null) return 'null';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(renderValue).join(', ')}]`;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length === 1) {
    const [k] = keys as [string];
    const arg = o[k];
    if (k === 'Ref') return `\${${String(arg)}}`;
    if (k === 'Fn::GetAtt' && Array.isArray(arg)) return `\${${arg.join('.')}}`;
    if (k === 'Fn::Join' && Array.isArray(arg) && Array.isArray(arg[1])) return (arg[1] as unknown[]).map(renderValue).join(String(arg[0]));
    if (k === 'Fn::GetStackOutput' && arg && typeof arg === 'object') {
      const g = arg as { StackName?: unknown; Region?: unknown };
      return `\${${String(g.StackName)} (${String(g.Region)}) output}`;
    }
    if (k.startsWith('Fn::')) return `${k.slice(4)}(${renderValue(arg)})`;
  }
  return `{${keys
    .sort()
    .map((k) => `${k}: ${renderValue(o[k])}`)
    .join(', ')}}`;
}

// ---- Helpers ----------------------------------------------------------------------------------

const where = (s: StackTemplate) => `${s.name} (${s.region})`;

function stacksOf(ctx: CheckContext, roles?: readonly StackRole[]): StackTemplate[] {
  return ctx.stacks.filter((s) => !roles || roles.includes(s.role));
}

/** Resources of a type in a stack, sorted by logical id. */
function resourcesOf(stack: StackTemplate, type: string): [string, CfnResource][] {
  return Object.entries(stack.template.Resources ?? {})
    .filter(([, r]) => r.Type === type)
    .sort(([a], [b]) => a.localeCompare(b));
}

function props(r: CfnResource): Record<string, unknown> {
  return r.Properties ?? {};
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function row(check: string, resource: string, property: string, value: unknown, expected: string, at: string, ok: boolean): EvidenceRow {
  return { check, resource, property, value: renderValue(value), expected, where: at, ok };
}

/** A failing row saying that something expected was not found at all. */
function absent(check: string, resource: string, property: string, expected: string, at: string): EvidenceRow {
  return { check, resource, property, value: '(absent)', expected, where: at, ok: false };
}

function selectTables(ctx: CheckContext, filter?: TableFilter): TableDefinition[] {
  return ctx.tables.filter((t) => (!filter?.retention || filter.retention.includes(t.retention)) && (!filter?.tables || filter.tables.includes(t.id)));
}

interface FoundTable {
  def: TableDefinition;
  name: string;
  stack: StackTemplate;
  resource: CfnResource;
}

/** The global table of each selected definition, or a failing row where it is missing. */
function findTables(ctx: CheckContext, check: string, filter?: TableFilter): { found: FoundTable[]; rows: EvidenceRow[] } {
  const found: FoundTable[] = [];
  const rows: EvidenceRow[] = [];
  for (const def of selectTables(ctx, filter)) {
    const name = tableName(ctx.namePrefix, def.id);
    let hit: FoundTable | undefined;
    for (const stack of stacksOf(ctx, ['data'])) {
      for (const [, r] of resourcesOf(stack, 'AWS::DynamoDB::GlobalTable')) {
        if (props(r).TableName === name) hit = { def, name, stack, resource: r };
      }
    }
    if (hit) found.push(hit);
    else rows.push(absent(check, `table ${name}`, 'AWS::DynamoDB::GlobalTable', `a global table for TABLES entry "${def.id}"`, 'data stack'));
  }
  return { found, rows };
}

interface Replica {
  Region?: string;
  SSESpecification?: { KMSMasterKeyId?: unknown };
  PointInTimeRecoverySpecification?: { PointInTimeRecoveryEnabled?: boolean; RecoveryPeriodInDays?: number };
  DeletionProtectionEnabled?: boolean;
  Tags?: { Key: string; Value: string }[];
}

function replicasOf(r: CfnResource): Replica[] {
  const replicas = props(r).Replicas;
  return Array.isArray(replicas) ? [...(replicas as Replica[])].sort((a, b) => String(a.Region).localeCompare(String(b.Region))) : [];
}

function allRegions(ctx: CheckContext): string[] {
  return [ctx.config.primaryRegion, ...ctx.config.replicaRegions];
}

/**
 * Whether a KMS key reference points at the data key of `region`: a key exported by a key stack
 * of that region, or a key ARN in that region built from the multi-Region key id (which a key
 * stack exports).
 */
function isRegionalDataKey(ctx: CheckContext, ref: unknown, region: string): boolean {
  const json = JSON.stringify(ref ?? null);
  const from = stacksOf(ctx, ['key']).filter((s) => json.includes(`"StackName":"${s.name}"`));
  if (from.length === 0) return false;
  const arnRegions = [...json.matchAll(/:kms:([a-z0-9-]+):/g)].map((m) => m[1]);
  if (arnRegions.length > 0) return arnRegions.every((r) => r === region) && json.includes(':key/');
  return from.every((s) => s.region === region);
}

/** IAM policy statements of a stack: managed, attached and inline role policies. */
function statementsOf(stack: StackTemplate): { resource: string; statement: Record<string, unknown> }[] {
  const out: { resource: string; statement: Record<string, unknown> }[] = [];
  const docStatements = (doc: unknown): Record<string, unknown>[] => {
    const st = (doc as { Statement?: unknown } | undefined)?.Statement;
    return Array.isArray(st) ? (st as Record<string, unknown>[]) : [];
  };
  for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
    for (const [id, r] of resourcesOf(stack, type)) for (const statement of docStatements(props(r).PolicyDocument)) out.push({ resource: id, statement });
  }
  for (const [id, r] of resourcesOf(stack, 'AWS::IAM::Role')) {
    const policies = props(r).Policies;
    if (Array.isArray(policies)) for (const p of policies) for (const statement of docStatements((p as { PolicyDocument?: unknown }).PolicyDocument)) out.push({ resource: id, statement });
  }
  return out;
}

/** API Gateway methods of a stack with their resource paths, resolved through the template. */
function methodsOf(stack: StackTemplate): { path: string; method: Record<string, unknown> }[] {
  const resources = new Map(resourcesOf(stack, 'AWS::ApiGateway::Resource'));
  const pathOf = (ref: unknown, depth = 0): string => {
    const id = (ref as { Ref?: string } | undefined)?.Ref;
    const r = id ? resources.get(id) : undefined;
    if (!r || depth > 20) return '';
    return `${pathOf(props(r).ParentId, depth + 1)}/${String(props(r).PathPart)}`;
  };
  return resourcesOf(stack, 'AWS::ApiGateway::Method')
    .map(([, m]) => ({ path: pathOf(props(m).ResourceId) || '/', method: props(m) }))
    .sort((a, b) => `${a.path} ${String(a.method.HttpMethod)}`.localeCompare(`${b.path} ${String(b.method.HttpMethod)}`));
}

/** `$context` variables that would carry content, headers or credentials into an access log. */
export const FORBIDDEN_ACCESS_LOG_VARIABLES = /body|payload|authoriz|header|override|input|apikey/i;

/** Retention bounds of the config schema (published JSON Schema), per retention key. */
function schemaMaximum(key: string): number | undefined {
  const schema = configJsonSchema() as { properties?: { retention?: { properties?: Record<string, { maximum?: number }> } } };
  return schema.properties?.retention?.properties?.[key]?.maximum;
}

/** Policy maximum in days of a retention class, where the policy states a number (§8). */
export function policyMaxDays(cls: RetentionClass): number | undefined {
  const key = RETENTION_CLASSES[cls].policyMaxKey;
  return key ? POLICY_MAX_DAYS[key] : undefined;
}

// ---- The checks -------------------------------------------------------------------------------

export const TEMPLATE_CHECKS: Readonly<Record<string, TemplateCheck>> = {
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
      if (rows.length === 0) rows.push(absent(check, 'AWS::KMS::Key', 'EnableKeyRotation', 'a KMS key in the primary region key stack', ctx.config.primaryRegion));
      return rows;
    },
  },

  'kms.replicaKeys': {
    title: 'Data key replicas: a replica of the primary key in every replica region',
    run(ctx) {
      const check = 'kms.replicaKeys';
      const primaryKeyStacks = stacksOf(ctx, ['key']).filter((s) => s.region === ctx.config.primaryRegion).map((s) => s.name);
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
      for (const t of found) rows.push(row(check, t.name, 'TableName', props(t.resource).TableName, `TABLES entry "${t.def.id}" (${t.def.retention})`, where(t.stack), true));
      if (!args) {
        const known = new Set(ctx.tables.map((d) => tableName(ctx.namePrefix, d.id)));
        for (const s of ctx.stacks) {
          for (const type of ['AWS::DynamoDB::GlobalTable', 'AWS::DynamoDB::Table']) {
            for (const [id, r] of resourcesOf(s, type)) {
              if (!known.has(String(props(r).TableName))) rows.push(row(check, id, 'TableName', props(r).TableName, 'a table of TABLES (every table has a data class)', where(s), false));
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
        rows.push(row(check, t.name, 'SSESpecification', sse, '{SSEEnabled: true, SSEType: KMS}', where(t.stack), sameJson(sse, { SSEEnabled: true, SSEType: 'KMS' })));
        const replicas = replicasOf(t.resource);
        if (replicas.length === 0) rows.push(absent(check, t.name, 'Replicas', 'replica specifications with a KMS key', where(t.stack)));
        for (const rep of replicas) {
          const key = rep.SSESpecification?.KMSMasterKeyId;
          rows.push(
            row(check, t.name, `Replicas[${rep.Region}].SSESpecification.KMSMasterKeyId`, key, `the data key in ${rep.Region}`, where(t.stack), isRegionalDataKey(ctx, key, String(rep.Region))),
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
        rows.push(row(check, t.name, 'DeletionPolicy', t.resource.DeletionPolicy, 'Retain', where(t.stack), t.resource.DeletionPolicy === 'Retain'));
        const replicas = replicasOf(t.resource);
        if (replicas.length === 0) rows.push(absent(check, t.name, 'Replicas', 'replica specifications with deletion protection', where(t.stack)));
        for (const rep of replicas) {
          rows.push(row(check, t.name, `Replicas[${rep.Region}].DeletionProtectionEnabled`, rep.DeletionProtectionEnabled, 'true', where(t.stack), rep.DeletionProtectionEnabled === true));
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
        rows.push(row(check, t.name, 'Replicas[].Region', regions, `primaryRegion + replicaRegions = ${expected.join(', ')}`, where(t.stack), sameJson(regions, expected)));
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
          rows.push(row(check, t.name, `Replicas[${rep.Region}].Tags[ctr:retention-class]`, tag, t.def.retention, where(t.stack), tag === t.def.retention));
        }
      }
      return rows;
    },
  },

  'secretsmanager.kms': {
    title: 'Provider secret: encrypted with the data key, each replica with its regional key',
    run(ctx) {
      const check = 'secretsmanager.kms';
      const rows: EvidenceRow[] = [];
      for (const s of ctx.stacks) {
        for (const [id, r] of resourcesOf(s, 'AWS::SecretsManager::Secret')) {
          rows.push(row(check, id, 'KmsKeyId', props(r).KmsKeyId, `the data key in ${s.region}`, where(s), isRegionalDataKey(ctx, props(r).KmsKeyId, s.region)));
          const replicas = (props(r).ReplicaRegions ?? []) as { Region?: string; KmsKeyId?: unknown }[];
          for (const rep of [...replicas].sort((a, b) => String(a.Region).localeCompare(String(b.Region)))) {
            rows.push(row(check, id, `ReplicaRegions[${rep.Region}].KmsKeyId`, rep.KmsKeyId, `the data key in ${rep.Region}`, where(s), isRegionalDataKey(ctx, rep.KmsKeyId, String(rep.Region))));
          }
        }
      }
      if (rows.length === 0) rows.push(absent(check, 'AWS::SecretsManager::Secret', 'KmsKeyId', 'the provider secret', 'data stack'));
      return rows;
    },
  },

  'secretsmanager.replicaRegions': {
    title: 'Provider secret: replicated to exactly the configured replica regions',
    run(ctx) {
      const check = 'secretsmanager.replicaRegions';
      const rows: EvidenceRow[] = [];
      const expected = [...ctx.config.replicaRegions].sort();
      for (const s of ctx.stacks) {
        for (const [id, r] of resourcesOf(s, 'AWS::SecretsManager::Secret')) {
          const regions = ((props(r).ReplicaRegions ?? []) as { Region?: string }[]).map((x) => String(x.Region)).sort();
          rows.push(row(check, id, 'ReplicaRegions[].Region', regions, `replicaRegions = [${expected.join(', ')}]`, where(s), sameJson(regions, expected)));
        }
      }
      if (rows.length === 0) rows.push(absent(check, 'AWS::SecretsManager::Secret', 'ReplicaRegions', 'the provider secret', 'data stack'));
      return rows;
    },
  },

  'logs.kms': {
    title: 'Log groups: every log group encrypted with the data key of its region',
    run(ctx) {
      const check = 'logs.kms';
      const rows: EvidenceRow[] = [];
      for (const s of ctx.stacks) {
        for (const [id, r] of resourcesOf(s, 'AWS::Logs::LogGroup')) {
          rows.push(row(check, id, 'KmsKeyId', props(r).KmsKeyId, `the data key in ${s.region}`, where(s), isRegionalDataKey(ctx, props(r).KmsKeyId, s.region)));
        }
      }
      if (rows.length === 0) rows.push(absent(check, 'AWS::Logs::LogGroup', 'KmsKeyId', 'log groups in the router stacks', 'router stacks'));
      return rows;
    },
  },

  'logs.retention': {
    title: 'Log groups: every log group expires, no later than the usage-data retention',
    run(ctx) {
      const check = 'logs.retention';
      const rows: EvidenceRow[] = [];
      const max = ctx.config.retention.usageDays;
      for (const s of ctx.stacks) {
        for (const [id, r] of resourcesOf(s, 'AWS::Logs::LogGroup')) {
          const days = props(r).RetentionInDays;
          rows.push(row(check, id, 'RetentionInDays', days, `≤ ${max} (retention.usageDays)`, where(s), typeof days === 'number' && days > 0 && days <= max));
        }
      }
      if (rows.length === 0) rows.push(absent(check, 'AWS::Logs::LogGroup', 'RetentionInDays', 'log groups in the router stacks', 'router stacks'));
      return rows;
    },
  },

  'apigw.accessLogFormat': {
    title: 'API Gateway access logs: request metadata only, no body, header or authorization field',
    run(ctx) {
      const check = 'apigw.accessLogFormat';
      const rows: EvidenceRow[] = [];
      for (const s of stacksOf(ctx, ['router'])) {
        const stages = resourcesOf(s, 'AWS::ApiGateway::Stage');
        if (stages.length === 0) rows.push(absent(check, 'AWS::ApiGateway::Stage', 'AccessLogSetting', 'a stage with access logging', where(s)));
        for (const [id, r] of stages) {
          const setting = props(r).AccessLogSetting as { Format?: unknown; DestinationArn?: unknown } | undefined;
          rows.push(row(check, id, 'AccessLogSetting.DestinationArn', setting?.DestinationArn, 'a log group of this stack', where(s), setting?.DestinationArn !== undefined));
          let fields: Record<string, unknown> | undefined;
          try {
            fields = typeof setting?.Format === 'string' ? (JSON.parse(setting.Format) as Record<string, unknown>) : undefined;
          } catch {
            fields = undefined;
          }
          if (!fields) {
            rows.push(row(check, id, 'AccessLogSetting.Format', setting?.Format, 'a JSON object of $context variables', where(s), false));
            continue;
          }
          const variables = Object.entries(fields).sort(([a], [b]) => a.localeCompare(b));
          const metadata = (v: unknown) => typeof v === 'string' && /^\$context\.[A-Za-z.]+$/.test(v) && !FORBIDDEN_ACCESS_LOG_VARIABLES.test(v);
          rows.push(
            row(check, id, 'AccessLogSetting.Format', variables.filter(([, v]) => metadata(v)).map(([k, v]) => `${k}=${String(v)}`), 'request-metadata $context variables only', where(s), true),
          );
          for (const [name, variable] of variables.filter(([, v]) => !metadata(v))) {
            rows.push(row(check, id, `AccessLogSetting.Format.${name}`, variable, 'a request-metadata $context variable', where(s), false));
          }
          const forbidden = variables.filter(([, v]) => FORBIDDEN_ACCESS_LOG_VARIABLES.test(String(v))).map(([k]) => k);
          rows.push(
            row(check, id, 'AccessLogSetting.Format (content fields)', forbidden.length ? forbidden : 'none of body, payload, header, authorization, override, input, apiKey', 'none present', where(s), forbidden.length === 0),
          );
        }
      }
      return rows;
    },
  },

  'apigw.dataTrace': {
    title: 'API Gateway execution logs: data trace (full request/response logging) off',
    run(ctx) {
      const check = 'apigw.dataTrace';
      const rows: EvidenceRow[] = [];
      for (const s of stacksOf(ctx, ['router'])) {
        const stages = resourcesOf(s, 'AWS::ApiGateway::Stage');
        if (stages.length === 0) rows.push(absent(check, 'AWS::ApiGateway::Stage', 'MethodSettings', 'a stage', where(s)));
        for (const [id, r] of stages) {
          const settings = (props(r).MethodSettings ?? []) as Record<string, unknown>[];
          if (settings.length === 0) rows.push(absent(check, id, 'MethodSettings[].DataTraceEnabled', 'false, set explicitly', where(s)));
          for (const ms of settings) {
            const at = `MethodSettings[${String(ms.HttpMethod)} ${String(ms.ResourcePath)}]`;
            rows.push(row(check, id, `${at}.DataTraceEnabled`, ms.DataTraceEnabled, 'false', where(s), ms.DataTraceEnabled === false));
            rows.push(row(check, id, `${at}.LoggingLevel`, ms.LoggingLevel, 'ERROR or OFF', where(s), ms.LoggingLevel === 'ERROR' || ms.LoggingLevel === 'OFF'));
          }
        }
      }
      return rows;
    },
  },

  'apigw.authorization': {
    title: 'API Gateway: admin routes authorized by IAM (SigV4); app routes check the API key hash in the function',
    run(ctx) {
      const check = 'apigw.authorization';
      const rows: EvidenceRow[] = [];
      for (const s of stacksOf(ctx, ['router'])) {
        const methods = methodsOf(s);
        if (!methods.some((m) => m.path.startsWith('/admin'))) rows.push(absent(check, '/admin', 'AuthorizationType', 'IAM-authorized admin routes', where(s)));
        for (const { path, method } of methods) {
          const admin = path.startsWith('/admin');
          const expected = admin ? 'AWS_IAM' : 'NONE';
          rows.push(
            row(check, `${String(method.HttpMethod)} ${path}`, 'AuthorizationType', method.AuthorizationType, admin ? 'AWS_IAM' : 'NONE (Bearer API key, checked against its SHA-256 hash)', where(s), method.AuthorizationType === expected),
          );
        }
      }
      return rows;
    },
  },

  'apigw.https': {
    title: 'API endpoint: HTTPS only (TLS in transit)',
    run(ctx) {
      const check = 'apigw.https';
      const rows: EvidenceRow[] = [];
      for (const s of stacksOf(ctx, ['router'])) {
        const out = s.template.Outputs?.EndpointUrl;
        if (!out) rows.push(absent(check, 'Output EndpointUrl', 'Value', 'an https:// endpoint', where(s)));
        else rows.push(row(check, 'Output EndpointUrl', 'Value', out.Value, 'https://…', where(s), renderValue(out.Value).startsWith('https://')));
      }
      return rows;
    },
  },

  'iam.noWildcardResource': {
    title: 'IAM: no policy statement grants Resource "*" or a wildcard action',
    run(ctx) {
      const check = 'iam.noWildcardResource';
      const rows: EvidenceRow[] = [];
      for (const s of ctx.stacks) {
        const byPolicy = new Map<string, Record<string, unknown>[]>();
        for (const { resource, statement } of statementsOf(s)) byPolicy.set(resource, [...(byPolicy.get(resource) ?? []), statement]);
        for (const [resource, statements] of [...byPolicy].sort(([a], [b]) => a.localeCompare(b))) {
          const bad = statements.filter(
            (st) => [st.Resource].flat().includes('*') || [st.Action].flat().some((a) => typeof a === 'string' && a.includes('*')),
          );
          const value = bad.length ? bad.map((st) => String(st.Sid ?? renderValue(st.Action))) : `${statements.length} statement(s), none with Resource "*" or a wildcard action`;
          rows.push(row(check, resource, 'PolicyDocument.Statement[].Resource / Action', value, 'no "*" resource, no wildcard action', where(s), bad.length === 0));
        }
      }
      if (rows.length === 0) rows.push(absent(check, 'AWS::IAM::Policy', 'PolicyDocument', 'function role policies', 'router stacks'));
      return rows;
    },
  },

  'lambda.homeRegion': {
    title: 'Functions: every function gets the home region (single writer of counters)',
    run(ctx) {
      const check = 'lambda.homeRegion';
      const rows: EvidenceRow[] = [];
      for (const s of stacksOf(ctx, ['router'])) {
        const fns = resourcesOf(s, 'AWS::Lambda::Function');
        if (fns.length === 0) rows.push(absent(check, 'AWS::Lambda::Function', 'Environment', 'router functions', where(s)));
        for (const [id, r] of fns) {
          const env = ((props(r).Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {}) as Record<string, unknown>;
          rows.push(row(check, id, 'Environment.Variables.CTR_HOME_REGION', env.CTR_HOME_REGION, `${ctx.config.primaryRegion} (primaryRegion)`, where(s), env.CTR_HOME_REGION === ctx.config.primaryRegion));
        }
      }
      return rows;
    },
  },

  'stacks.regions': {
    title: 'Stacks: deployed only in the configured regions, a key and a router stack in each',
    run(ctx) {
      const check = 'stacks.regions';
      const rows: EvidenceRow[] = [];
      const regions = new Set(allRegions(ctx));
      for (const s of [...ctx.stacks].sort((a, b) => a.name.localeCompare(b.name))) {
        const expected = s.role === 'data' ? ctx.config.primaryRegion : 'primaryRegion or a replicaRegion';
        const ok = s.role === 'data' ? s.region === ctx.config.primaryRegion : regions.has(s.region);
        rows.push(row(check, s.name, `region (${s.role} stack)`, s.region, expected, 'cloud assembly', ok));
      }
      for (const region of [...regions].sort()) {
        for (const role of ['key', 'router'] as const) {
          if (!ctx.stacks.some((s) => s.role === role && s.region === region)) rows.push(absent(check, `${role} stack`, 'region', region, 'cloud assembly'));
        }
      }
      return rows;
    },
  },

  'config.retention': {
    title: 'Config: retention period of each table\'s class, within the policy maximum',
    run(ctx, args) {
      const check = 'config.retention';
      const rows: EvidenceRow[] = [];
      for (const def of selectTables(ctx, args)) {
        const cls = RETENTION_CLASSES[def.retention];
        if (!cls) {
          rows.push(absent(check, tableName(ctx.namePrefix, def.id), 'retention class', `a mapping for class "${def.retention}" in RETENTION_CLASSES`, 'scripts/compliance/policy-map.ts'));
          continue;
        }
        const value = ctx.config.retention[cls.configKey];
        const policyMax = policyMaxDays(def.retention);
        const schemaMax = schemaMaximum(cls.configKey);
        const limit = policyMax ?? schemaMax;
        const unit = cls.unit;
        const expected = [
          `policy: ${cls.policy}`,
          policyMax !== undefined ? `≤ ${policyMax} days (POLICY_MAX_DAYS.${cls.policyMaxKey})` : undefined,
          schemaMax !== undefined ? `config schema ≤ ${schemaMax} ${unit}` : undefined,
        ]
          .filter(Boolean)
          .join('; ');
        const ok = typeof value === 'number' && (limit === undefined || value <= limit) && (schemaMax === undefined || value <= schemaMax);
        rows.push(row(check, `${tableName(ctx.namePrefix, def.id)} (class ${def.retention})`, `retention.${cls.configKey}`, `${String(value)} ${unit}`, expected, ctx.configFile, ok));
      }
      return rows;
    },
  },

  'config.jurisdictions': {
    title: 'Config: where providers process data, and the jurisdictions and offer regions routing may use',
    run(ctx) {
      const check = 'config.jurisdictions';
      const allowed = ctx.config.allowedJurisdictions;
      // Read structurally: older configs have no offer-region constraint.
      const offerRegions = (ctx.config as { readonly allowedOfferRegions?: readonly string[] }).allowedOfferRegions;
      const rows: EvidenceRow[] = [
        row(check, 'router config', 'allowedJurisdictions', allowed ?? '(not set: every configured provider may be used)', 'the operator\'s choice', ctx.configFile, true),
        row(check, 'router config', 'allowedOfferRegions', offerRegions ?? '(not set: offers are not restricted by region)', 'the operator\'s choice', ctx.configFile, true),
      ];
      for (const p of [...ctx.config.providers].sort((a, b) => a.id.localeCompare(b.id))) {
        const routable = !allowed || allowed.includes(p.jurisdiction ?? '');
        rows.push(row(check, `provider ${p.id}`, 'jurisdiction', p.jurisdiction ?? '(unset)', routable ? 'routable' : 'excluded by routing', ctx.configFile, true));
      }
      return rows;
    },
  },

  'config.providersHttps': {
    title: 'Config: provider endpoints with an explicit base URL use HTTPS',
    run(ctx) {
      const check = 'config.providersHttps';
      return [...ctx.config.providers]
        .filter((p) => p.baseUrl !== undefined)
        .sort((a, b) => a.id.localeCompare(b.id))
        .map((p) => row(check, `provider ${p.id}`, 'baseUrl', p.baseUrl, 'https://…', ctx.configFile, p.baseUrl!.startsWith('https://')));
    },
  },
};
