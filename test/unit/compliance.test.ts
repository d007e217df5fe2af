/**
 * The compliance generator (scripts/compliance): its checks on small fixture templates and
 * sources, the nag summary, rendering, the consistency of the policy map, and one full synthesis
 * of the two-replica example whose template evidence must all hold.
 */
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile, parseConfig } from '../../lambdas/core/config';
import { TABLES, type TableDefinition } from '../../lambdas/store/tables';
import { type CitedTestRuns, readVitestJson, testKey } from '../../scripts/compliance/cited-tests';
import { evaluate, evaluateCommitment } from '../../scripts/compliance/evaluate';
import { summarizeNag } from '../../scripts/compliance/nag';
import { OUT_OF_SCOPE, POLICY_MAP, RETENTION_CLASSES } from '../../scripts/compliance/policy-map';
import { renderJson, renderMarkdown } from '../../scripts/compliance/render';
import { locateSymbol, locateTest, type ReadSource } from '../../scripts/compliance/source-refs';
import { synthesize } from '../../scripts/compliance/synth';
import { renderValue, TEMPLATE_CHECKS } from '../../scripts/compliance/template-checks';
import type { CfnResource, CheckContext, NagSummary, PolicyCommitment, StackTemplate } from '../../scripts/compliance/types';

// ---- Fixtures ---------------------------------------------------------------------------------

const config = parseConfig({
  primaryRegion: 'us-east-1',
  replicaRegions: ['eu-west-1'],
  providers: [{ id: 'mock', kind: 'mock' }],
  models: [{ id: 'm', contextWindow: 8, maxOutput: 8, offers: [{ provider: 'mock', upstreamModel: 'm', price: { input: 0, output: 0 } }] }],
});

const usageTable = TABLES.find((t) => t.id === 'usage')!;
const keyOutput = (stack: string, region: string) => ({ 'Fn::GetStackOutput': { StackName: stack, Region: region, OutputName: 'KeyArn' } });

function replica(region: string, overrides: Record<string, unknown> = {}) {
  return {
    Region: region,
    DeletionProtectionEnabled: true,
    PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true, RecoveryPeriodInDays: 35 },
    SSESpecification: {
      KMSMasterKeyId:
        region === 'us-east-1'
          ? keyOutput('Ctr-Key-us-east-1', 'us-east-1')
          : {
              'Fn::Join': ['', [`arn:aws:kms:${region}:`, { Ref: 'AWS::AccountId' }, ':key/', keyOutput('Ctr-Key-us-east-1', 'us-east-1')]],
            },
    },
    Tags: [{ Key: 'ctr:retention-class', Value: 'usage' }],
    ...overrides,
  };
}

function usageGlobalTable(replicas = [replica('eu-west-1'), replica('us-east-1')]): CfnResource {
  return {
    Type: 'AWS::DynamoDB::GlobalTable',
    DeletionPolicy: 'Retain',
    Properties: {
      TableName: 'ctr-usage',
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      Replicas: replicas,
    },
  };
}

function stacks(table: CfnResource = usageGlobalTable(), stage?: CfnResource): StackTemplate[] {
  return [
    {
      name: 'Ctr-Key-us-east-1',
      region: 'us-east-1',
      role: 'key',
      template: {
        Resources: { Key: { Type: 'AWS::KMS::Key', DeletionPolicy: 'Retain', Properties: { EnableKeyRotation: true, MultiRegion: true } } },
      },
    },
    { name: 'Ctr-Key-eu-west-1', region: 'eu-west-1', role: 'key', template: { Resources: {} } },
    { name: 'Ctr-Data', region: 'us-east-1', role: 'data', template: { Resources: { UsageTable: table } } },
    { name: 'Ctr-Router-us-east-1', region: 'us-east-1', role: 'router', template: { Resources: stage ? { Stage: stage } : {} } },
  ];
}

const ctx = (s: StackTemplate[] = stacks(), tables: readonly TableDefinition[] = [usageTable]): CheckContext => ({
  stacks: s,
  config,
  configFile: 'config/test.json',
  tables,
  namePrefix: 'ctr',
});

const SOURCES: Record<string, string> = {
  'src/usage.ts': [
    '/** Usage. */',
    'export class UsageRepo {',
    '  constructor(private readonly days: number) {}',
    '',
    '  async record(event: string): Promise<void> {',
    '    const expiresAt = ttlAfterDays(new Date(), this.days);',
    '    void event;',
    '  }',
    '',
    '  async events(): Promise<string[]> {',
    '    return [];',
    '  }',
    '}',
    '',
  ].join('\n'),
  'test/usage.test.ts': [
    "describe('usage', () => {",
    "  it('records with a TTL', () => {});",
    "  it.skip('a skipped test', () => {});",
    '});',
    '',
  ].join('\n'),
};
const read: ReadSource = (file) => SOURCES[file];

const cleanNag: NagSummary = { ok: true, ran: true, conclusion: 'success', unacknowledged: [], acknowledged: [], problems: [] };

const commitment = (overrides: Partial<PolicyCommitment> = {}): PolicyCommitment => ({
  id: '§8 usage data ≤ 2 years',
  section: '§8',
  commitment: 'Usage records expire.',
  templateChecks: [{ check: 'dynamodb.pitr' }, { check: 'dynamodb.ttl' }, { check: 'dynamodb.sse' }, { check: 'kms.primaryKey' }],
  code: [{ file: 'src/usage.ts', symbol: 'UsageRepo#record', role: 'sets the TTL', uses: 'ttlAfterDays(' }],
  tests: [{ file: 'test/usage.test.ts', title: 'records with a TTL' }],
  ...overrides,
});

// ---- Checking ---------------------------------------------------------------------------------

describe('compliance: evaluating a commitment', () => {
  it('passes when every template property, code symbol and test title is present', () => {
    const r = evaluateCommitment(commitment(), ctx(), read, cleanNag);
    expect(r.missing).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.evidence.length).toBeGreaterThan(5);
    expect(r.evidence.every((e) => e.ok)).toBe(true);
    expect(r.code[0]).toMatchObject({ ok: true, line: 5 });
    expect(r.tests[0]).toMatchObject({ ok: true, line: 2 });
  });

  it('fails the PITR evidence item when a replica has no point-in-time recovery, naming the table and region', () => {
    const table = usageGlobalTable([replica('eu-west-1', { PointInTimeRecoverySpecification: undefined }), replica('us-east-1')]);
    const r = evaluateCommitment(commitment(), ctx(stacks(table)), read, cleanNag);
    expect(r.ok).toBe(false);
    const failing = r.evidence.filter((e) => !e.ok);
    expect(failing).toHaveLength(1);
    expect(failing[0]).toMatchObject({ check: 'dynamodb.pitr', resource: 'ctr-usage', value: '(absent)' });
    expect(failing[0]!.property).toContain('eu-west-1');
    expect(r.missing).toHaveLength(1);
    expect(r.missing[0]).toMatch(/dynamodb\.pitr: ctr-usage Replicas\[eu-west-1\]/);
  });

  it('fails when the table itself is missing from the templates', () => {
    const r = evaluateCommitment(
      commitment({ templateChecks: [{ check: 'dynamodb.ttl' }] }),
      ctx(stacks({ Type: 'AWS::SQS::Queue' })),
      read,
      cleanNag,
    );
    expect(r.ok).toBe(false);
    expect(r.missing[0]).toMatch(/table ctr-usage .*\(absent\)/);
  });

  it('fails when a test title is not in the test file, or the test is skipped', () => {
    const r = evaluateCommitment(
      commitment({
        tests: [
          { file: 'test/usage.test.ts', title: 'records without a TTL' },
          { file: 'test/usage.test.ts', title: 'a skipped test' },
          { file: 'test/none.test.ts', title: 'x' },
        ],
      }),
      ctx(),
      read,
      cleanNag,
    );
    expect(r.ok).toBe(false);
    expect(r.tests.map((t) => t.ok)).toEqual([false, false, false]);
    expect(r.missing).toEqual([
      'test test/usage.test.ts: no test titled "records without a TTL"',
      'test test/usage.test.ts: test "a skipped test" is skipped',
      'test test/none.test.ts: file test/none.test.ts not found',
    ]);
  });

  it('with the cited tests run, passes only a test that passed and made an assertion', () => {
    const runs = (status: string, assertions: number): CitedTestRuns => ({
      runs: new Map([[testKey('test/usage.test.ts', 'records with a TTL'), [{ status, assertions }]]]),
    });
    const evaluateWith = (r: CitedTestRuns) => evaluateCommitment(commitment(), ctx(), read, cleanNag, TEMPLATE_CHECKS, r);
    expect(evaluateWith(runs('passed', 3)).missing).toEqual([]);
    expect(evaluateWith(runs('passed', 3)).tests[0]).toMatchObject({ ok: true, status: 'passed', assertions: 3 });
    expect(evaluateWith(runs('passed', 0)).missing).toEqual([
      'test test/usage.test.ts: test "records with a TTL" passed without making an assertion',
    ]);
    expect(evaluateWith(runs('failed', 2)).missing).toEqual(['test test/usage.test.ts: test "records with a TTL" failed']);
    expect(evaluateWith(runs('skipped', 0)).missing).toEqual(['test test/usage.test.ts: test "records with a TTL" skipped']);
    expect(evaluateWith({ runs: new Map() }).missing).toEqual(['test test/usage.test.ts: test "records with a TTL" did not run']);
    expect(evaluateWith({ runs: new Map(), error: 'vitest did not run: spawn ENOENT' }).ok).toBe(false);
  });

  it("reads test status, assertion count and first failure line from vitest's JSON report", () => {
    const runs = readVitestJson(
      {
        testResults: [
          {
            name: '/repo/test/usage.test.ts',
            assertionResults: [
              { title: 'records with a TTL', status: 'passed', meta: { assertionCalls: 4 }, failureMessages: [] },
              {
                title: 'breaks',
                status: 'failed',
                meta: { assertionCalls: 1 },
                failureMessages: ['AssertionError: expected 1 to be 2\n    at stack'],
              },
              { title: 'skipped', status: 'skipped', meta: {} },
            ],
          },
        ],
      },
      '/repo',
    );
    expect(runs.get(testKey('test/usage.test.ts', 'records with a TTL'))).toEqual([{ status: 'passed', assertions: 4 }]);
    expect(runs.get(testKey('test/usage.test.ts', 'breaks'))).toEqual([
      { status: 'failed', assertions: 1, failure: 'AssertionError: expected 1 to be 2' },
    ]);
    expect(runs.get(testKey('test/usage.test.ts', 'skipped'))).toEqual([{ status: 'skipped', assertions: 0 }]);
  });

  it('fails when a code symbol, a member or a used call is missing', () => {
    const r = evaluateCommitment(
      commitment({
        code: [
          { file: 'src/usage.ts', symbol: 'BillingRepo', role: 'x' },
          { file: 'src/usage.ts', symbol: 'UsageRepo#erase', role: 'x' },
          { file: 'src/usage.ts', symbol: 'UsageRepo#events', role: 'x', uses: 'ttlAfterDays(' },
        ],
      }),
      ctx(),
      read,
      cleanNag,
    );
    expect(r.code.map((c) => c.problem)).toEqual([
      'no exported declaration of BillingRepo',
      'UsageRepo has no member erase',
      'UsageRepo#events does not use ttlAfterDays(',
    ]);
    expect(r.ok).toBe(false);
  });

  it('fails a commitment that no test proves, and an unknown check id', () => {
    const r = evaluateCommitment(commitment({ tests: [], templateChecks: [{ check: 'nope' }] }), ctx(), read, cleanNag);
    expect(r.missing).toEqual(['template check "nope" is not defined', 'no test proves this commitment']);
  });

  it('fails an access-log format that carries a body or authorization field', () => {
    const stage: CfnResource = {
      Type: 'AWS::ApiGateway::Stage',
      Properties: {
        AccessLogSetting: {
          DestinationArn: 'arn',
          Format: JSON.stringify({ requestId: '$context.requestId', auth: '$context.authorizer.principalId', body: '$input.body' }),
        },
        MethodSettings: [{ HttpMethod: '*', ResourcePath: '/*', DataTraceEnabled: true, LoggingLevel: 'INFO' }],
      },
    };
    const rows = [
      ...TEMPLATE_CHECKS['apigw.accessLogFormat']!.run(ctx(stacks(undefined, stage))),
      ...TEMPLATE_CHECKS['apigw.dataTrace']!.run(ctx(stacks(undefined, stage))),
    ];
    const failing = rows.filter((r) => !r.ok).map((r) => r.property);
    expect(failing).toEqual([
      'AccessLogSetting.Format.auth',
      'AccessLogSetting.Format.body',
      'AccessLogSetting.Format (content fields)',
      'MethodSettings[* /*].DataTraceEnabled',
      'MethodSettings[* /*].LoggingLevel',
    ]);
  });

  it('reports a retention period beyond the policy maximum', () => {
    const long = { ...config, retention: { ...config.retention, usageDays: 731 } };
    const rows = TEMPLATE_CHECKS['config.retention']!.run({ ...ctx(), config: long });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ ok: false, property: 'retention.usageDays', value: '731 days' });
    expect(rows[0]!.expected).toContain('≤ 730 days');
  });

  it('renders intrinsics readably', () => {
    // The report renders intrinsics in CloudFormation's ${…} notation: these strings are not templates.
    const joined = renderValue({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':kms:', keyOutput('Ctr-Key-us-east-1', 'us-east-1')]],
    });
    // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's ${…} notation, not a template
    expect(joined).toBe('arn:${AWS::Partition}:kms:${Ctr-Key-us-east-1 (us-east-1) output}');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's ${…} notation, not a template
    expect(renderValue({ 'Fn::GetAtt': ['Logs', 'Arn'] })).toBe('${Logs.Arn}');
  });
});

describe('compliance: source references', () => {
  it('finds exported declarations and class members with their line', () => {
    const text =
      'import x from "y";\n\nexport async function go(\n  a: number,\n): Promise<void> {\n  await x(a);\n}\nexport class S {\n  private readonly n = 1;\n  async exportAccount(id: string) {\n    return id;\n  }\n}\n';
    expect(locateSymbol(text, 'go', 'await x(')).toEqual({ line: 3 });
    expect(locateSymbol(text, 'S#exportAccount')).toEqual({ line: 10 });
    expect(locateSymbol(text, 'x')).toEqual({ problem: 'no exported declaration of x' });
  });

  it('finds a test only as the title argument of it/test', () => {
    const text = "const t = 'same words';\ntest.concurrent(\"same words\", () => {});\nit.todo('later');\n";
    expect(locateTest(text, 'same words')).toEqual({ line: 2 });
    expect(locateTest(text, 'later')).toEqual({ problem: 'test "later" is skipped' });
  });
});

describe('compliance: cdk-nag summary', () => {
  const report = (violations: unknown[], suppressed: unknown[]) => ({
    pluginReports: [
      { pluginName: 'AwsSolutions', conclusion: violations.length ? 'failure' : 'success', violations, suppressedViolations: suppressed },
    ],
  });
  const ack = (rule: string, path: string, file = 'nag-suppressions.ts') => ({
    ruleName: rule,
    severity: 'error',
    reason: 'A reason that is long enough to explain itself.',
    violatingConstructs: [{ constructPath: path }],
    acknowledgedStackTrace: `at acknowledge (/repo/lib/${file}:1:1)`,
  });

  it('is clean with zero open findings, grouping acknowledgements by rule and reason', () => {
    const nag = summarizeNag(
      report(
        [],
        [ack('AwsSolutions-IAM5[Resource::b]', 'S/B'), ack('AwsSolutions-IAM5[Resource::a]', 'S/A'), ack('AwsSolutions-APIG3', 'S/Stage')],
      ),
    );
    expect(nag.ok).toBe(true);
    expect(nag.acknowledged.map((a) => [a.rule, a.constructs, a.findings])).toEqual([
      ['AwsSolutions-APIG3', 1, ['AwsSolutions-APIG3']],
      ['AwsSolutions-IAM5', 2, ['AwsSolutions-IAM5[Resource::a]', 'AwsSolutions-IAM5[Resource::b]']],
    ]);
  });

  it('fails with an open finding, an acknowledgement made elsewhere, or no report at all', () => {
    const open = summarizeNag(
      report([{ ruleName: 'AwsSolutions-DDB3', severity: 'error', violatingConstructs: [{ constructPath: 'Data/T' }] }], []),
    );
    expect(open.ok).toBe(false);
    expect(open.unacknowledged).toEqual(['error AwsSolutions-DDB3 at Data/T']);
    const elsewhere = summarizeNag(report([], [ack('AwsSolutions-SMG4', 'Data/Secret', 'router-data.ts')]));
    expect(elsewhere.problems).toEqual(['AwsSolutions-SMG4 is acknowledged outside lib/nag-suppressions.ts']);
    expect(summarizeNag(undefined, 'boom').ok).toBe(false);
  });
});

describe('compliance: report', () => {
  it('renders status, evidence rows and file:line references, deterministically', () => {
    const build = () =>
      evaluate({
        map: [commitment(), commitment({ id: '§2 other', tests: [] })],
        outOfScope: OUT_OF_SCOPE,
        ctx: ctx(),
        read,
        nag: cleanNag,
      });
    const report = build();
    expect(report.ok).toBe(false);
    expect(report.missing).toEqual(['§2 other: no test proves this commitment']);
    const md = renderMarkdown(report);
    expect(md).toContain('## ✅ §8 usage data ≤ 2 years');
    expect(md).toContain('## ❌ §2 other');
    expect(md).toContain('`src/usage.ts:5`');
    expect(md).toContain('`test/usage.test.ts:2`');
    expect(md).toMatch(/\| ✅ \| ctr-usage \| `Replicas\[eu-west-1\]\.PointInTimeRecoverySpecification` \|/);
    expect(renderMarkdown(build())).toBe(md);
    expect(JSON.parse(renderJson(report)).commitments[0].ok).toBe(true);
  });

  it('the policy map is consistent: unique ids, known checks, a retention mapping for every class, code for every commitment', () => {
    const ids = POLICY_MAP.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const c of POLICY_MAP) {
      expect(c.id.startsWith(c.section), c.id).toBe(true);
      expect(c.code.length, c.id).toBeGreaterThan(0);
      for (const ref of c.templateChecks) expect(TEMPLATE_CHECKS[ref.check], `${c.id} ${ref.check}`).toBeDefined();
    }
    for (const t of TABLES) expect(RETENTION_CLASSES[t.retention], t.id).toBeDefined();
    expect(POLICY_MAP.filter((c) => c.nag)).toHaveLength(1);
  });
});

// ---- The real stacks (one synthesis) ------------------------------------------------------------

describe('compliance: the synthesized example deployment', () => {
  const examplePath = fileURLToPath(new URL('../../config/examples/two-replicas.json', import.meta.url));
  const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
  let report: ReturnType<typeof evaluate>;
  beforeAll(() => {
    const exampleConfig = loadConfigFile(examplePath);
    const synth = synthesize(exampleConfig, repoRoot);
    report = evaluate({
      map: POLICY_MAP,
      ctx: {
        stacks: synth.stacks,
        config: exampleConfig,
        configFile: 'config/examples/two-replicas.json',
        tables: TABLES,
        namePrefix: 'ctr',
      },
      read: () => undefined,
      nag: summarizeNag(synth.validationReport, synth.synthError),
    });
  });

  it('every template evidence item of the policy map holds, in every region, and cdk-nag is clean', () => {
    const failing = report.commitments.flatMap((c) =>
      c.evidence.filter((e) => !e.ok).map((e) => `${c.id}: ${e.check} ${e.resource} ${e.property} = ${e.value} (${e.where})`),
    );
    expect(failing).toEqual([]);
    expect(report.nag.problems).toEqual([]);
    expect(report.nag.ok).toBe(true);
    for (const c of POLICY_MAP)
      if (c.templateChecks.length) expect(report.commitments.find((r) => r.id === c.id)!.evidence.length, c.id).toBeGreaterThan(0);
    expect(report.stacks.map((s) => s.region).sort()).toEqual([
      'ap-southeast-2',
      'ap-southeast-2',
      'eu-west-1',
      'eu-west-1',
      'us-east-1',
      'us-east-1',
      'us-east-1',
    ]);
  });
});
