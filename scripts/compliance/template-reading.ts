/**
 * What every template check shares: the check type, readable rendering of template values, and
 * the readers that find resources, tables, replicas, IAM statements and API methods in the
 * synthesized templates. The checks themselves are in `checks-*.ts`; `template-checks.ts` is the
 * registry the policy map refers to.
 */
import { configJsonSchema, POLICY_MAX_DAYS } from '../../lambdas/core/config';
import type { RetentionClass, TableDefinition } from '../../lambdas/store/tables';
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

export const where = (s: StackTemplate) => `${s.name} (${s.region})`;

export function stacksOf(ctx: CheckContext, roles?: readonly StackRole[]): StackTemplate[] {
  return ctx.stacks.filter((s) => !roles || roles.includes(s.role));
}

/** Resources of a type in a stack, sorted by logical id. */
export function resourcesOf(stack: StackTemplate, type: string): [string, CfnResource][] {
  return Object.entries(stack.template.Resources ?? {})
    .filter(([, r]) => r.Type === type)
    .sort(([a], [b]) => a.localeCompare(b));
}

export function props(r: CfnResource): Record<string, unknown> {
  return r.Properties ?? {};
}

export function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function row(
  check: string,
  resource: string,
  property: string,
  value: unknown,
  expected: string,
  at: string,
  ok: boolean,
): EvidenceRow {
  return { check, resource, property, value: renderValue(value), expected, where: at, ok };
}

/** A failing row saying that something expected was not found at all. */
export function absent(check: string, resource: string, property: string, expected: string, at: string): EvidenceRow {
  return { check, resource, property, value: '(absent)', expected, where: at, ok: false };
}

export function selectTables(ctx: CheckContext, filter?: TableFilter): TableDefinition[] {
  return ctx.tables.filter(
    (t) => (!filter?.retention || filter.retention.includes(t.retention)) && (!filter?.tables || filter.tables.includes(t.id)),
  );
}

interface FoundTable {
  def: TableDefinition;
  name: string;
  stack: StackTemplate;
  resource: CfnResource;
}

/** The global table of each selected definition, or a failing row where it is missing. */
export function findTables(ctx: CheckContext, check: string, filter?: TableFilter): { found: FoundTable[]; rows: EvidenceRow[] } {
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
    else
      rows.push(absent(check, `table ${name}`, 'AWS::DynamoDB::GlobalTable', `a global table for TABLES entry "${def.id}"`, 'data stack'));
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

export function replicasOf(r: CfnResource): Replica[] {
  const replicas = props(r).Replicas;
  return Array.isArray(replicas) ? [...(replicas as Replica[])].sort((a, b) => String(a.Region).localeCompare(String(b.Region))) : [];
}

export function allRegions(ctx: CheckContext): string[] {
  return [ctx.config.primaryRegion, ...ctx.config.replicaRegions];
}

/**
 * Whether a KMS key reference points at the data key of `region`: a key exported by a key stack
 * of that region, or a key ARN in that region built from the multi-Region key id (which a key
 * stack exports).
 */
export function isRegionalDataKey(ctx: CheckContext, ref: unknown, region: string): boolean {
  const json = JSON.stringify(ref ?? null);
  const from = stacksOf(ctx, ['key']).filter((s) => json.includes(`"StackName":"${s.name}"`));
  if (from.length === 0) return false;
  const arnRegions = [...json.matchAll(/:kms:([a-z0-9-]+):/g)].map((m) => m[1]);
  if (arnRegions.length > 0) return arnRegions.every((r) => r === region) && json.includes(':key/');
  return from.every((s) => s.region === region);
}

/** IAM policy statements of a stack: managed, attached and inline role policies. */
export function statementsOf(stack: StackTemplate): { resource: string; statement: Record<string, unknown> }[] {
  const out: { resource: string; statement: Record<string, unknown> }[] = [];
  const docStatements = (doc: unknown): Record<string, unknown>[] => {
    const st = (doc as { Statement?: unknown } | undefined)?.Statement;
    return Array.isArray(st) ? (st as Record<string, unknown>[]) : [];
  };
  for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
    for (const [id, r] of resourcesOf(stack, type))
      for (const statement of docStatements(props(r).PolicyDocument)) out.push({ resource: id, statement });
  }
  for (const [id, r] of resourcesOf(stack, 'AWS::IAM::Role')) {
    const policies = props(r).Policies;
    if (Array.isArray(policies))
      for (const p of policies)
        for (const statement of docStatements((p as { PolicyDocument?: unknown }).PolicyDocument)) out.push({ resource: id, statement });
  }
  return out;
}

/** API Gateway methods of a stack with their resource paths, resolved through the template. */
export function methodsOf(stack: StackTemplate): { path: string; method: Record<string, unknown> }[] {
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
export function schemaMaximum(key: string): number | undefined {
  const schema = configJsonSchema() as { properties?: { retention?: { properties?: Record<string, { maximum?: number }> } } };
  return schema.properties?.retention?.properties?.[key]?.maximum;
}

/** Policy maximum in days of a retention class, where the policy states a number (§8). */
export function policyMaxDays(cls: RetentionClass): number | undefined {
  const key = RETENTION_CLASSES[cls].policyMaxKey;
  return key ? POLICY_MAX_DAYS[key] : undefined;
}
