/**
 * cdk-nag (AwsSolutions pack, v3 policy-validation plugin) over every stack of the two-replica
 * example: zero unacknowledged findings, errors and warnings alike, and every acknowledgement
 * carries a reason and comes from lib/nag-suppressions.ts.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type SynthesizedRouter, synthesizeRouter } from './fixture';

interface Violation {
  ruleName: string;
  severity: string;
  violatingConstructs: { constructPath: string }[];
}
interface SuppressedViolation extends Violation {
  reason: string;
  acknowledgedStackTrace?: string;
}
interface PluginReport {
  pluginName: string;
  conclusion: string;
  violations: Violation[];
  suppressedViolations?: SuppressedViolation[];
}

let s: SynthesizedRouter;
let reports: PluginReport[];
beforeAll(() => {
  // Synthesis throws if any error-level finding is unacknowledged.
  s = synthesizeRouter({ nag: true });
  reports = (JSON.parse(readFileSync(join(s.outdir, 'validation-report.json'), 'utf8')) as { pluginReports: PluginReport[] }).pluginReports;
}, 300_000); // esbuild bundles six functions per region

describe('cdk-nag AwsSolutions', () => {
  it('ran over the stacks', () => {
    const nag = reports.find((r) => r.pluginName === 'AwsSolutions');
    expect(nag).toBeDefined();
    const paths = new Set(
      (nag!.suppressedViolations ?? []).flatMap((v) => v.violatingConstructs.map((c) => c.constructPath.split('/')[0])),
    );
    for (const stack of [s.stacks.dataStack, ...Object.values(s.stacks.routerStacks)]) expect(paths).toContain(stack.stackName);
  });

  it('reports zero unacknowledged findings (errors and warnings)', () => {
    const nag = reports.find((r) => r.pluginName === 'AwsSolutions')!;
    const open = nag.violations.map(
      (v) => `${v.severity} ${v.ruleName} at ${v.violatingConstructs.map((c) => c.constructPath).join(', ')}`,
    );
    expect(open).toEqual([]);
    expect(nag.conclusion).toBe('success');
  });

  it('every acknowledgement has a real reason and is made in lib/nag-suppressions.ts', () => {
    const suppressed = reports.flatMap((r) => r.suppressedViolations ?? []);
    expect(suppressed.length).toBeGreaterThan(0);
    for (const v of suppressed) {
      expect(v.reason.length, v.ruleName).toBeGreaterThan(40);
      if (v.acknowledgedStackTrace) expect(v.acknowledgedStackTrace, v.ruleName).toContain('nag-suppressions.ts');
    }
  });

  it('acknowledges only the expected rules', () => {
    const rules = new Set(reports.flatMap((r) => r.suppressedViolations ?? []).map((v) => v.ruleName.replace(/\[.*$/, '')));
    expect([...rules].sort()).toEqual([
      'AwsSolutions-APIG3',
      'AwsSolutions-APIG4',
      'AwsSolutions-COG4',
      'AwsSolutions-IAM4',
      'AwsSolutions-IAM5',
      'AwsSolutions-SMG4',
    ]);
  });
});

describe('the cloud bundles', () => {
  it('carry no offline mock provider or model: it is local-only unless deployment.mockInCloud asks for it', () => {
    // Prepare: the example config has the mock provider and a mock model (local mode uses them).
    expect(s.config.providers.some((p) => p.kind === 'mock')).toBe(true);
    // Act: every bundled file of every function asset of this synth.
    const bundles = readdirSync(s.outdir)
      .filter((d) => d.startsWith('asset.') && statSync(join(s.outdir, d)).isDirectory())
      .flatMap((d) => readdirSync(join(s.outdir, d)).map((f) => join(s.outdir, d, f)))
      .filter((f) => /\.m?js$/.test(f));
    // Assess
    expect(bundles.length).toBeGreaterThan(5);
    const withConfig = bundles.filter((f) => readFileSync(f, 'utf8').includes('meta-llama/llama-3.1-8b-instruct'));
    expect(withConfig.length).toBeGreaterThan(0);
    for (const f of bundles) expect(readFileSync(f, 'utf8'), f).not.toContain('mock/echo-small');
  });
});
