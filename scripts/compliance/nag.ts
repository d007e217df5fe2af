/**
 * Summarizes the cdk-nag (AwsSolutions) policy-validation report that `app.synth()` writes
 * (`validation-report.json`): open findings, which must be none, and the acknowledged rules with
 * their reasons, each of which must be made in lib/nag-suppressions.ts.
 */
import type { NagAcknowledgement, NagSummary } from './types';

export const NAG_PLUGIN = 'AwsSolutions';
export const SUPPRESSIONS_FILE = 'lib/nag-suppressions.ts';

interface Violation {
  ruleName: string;
  severity?: string;
  violatingConstructs?: { constructPath: string }[];
}
interface SuppressedViolation extends Violation {
  reason?: string;
  acknowledgedStackTrace?: string;
}
interface PluginReport {
  pluginName: string;
  conclusion?: string;
  violations?: Violation[];
  suppressedViolations?: SuppressedViolation[];
}

/** `AwsSolutions-IAM5[Resource::…]` → `AwsSolutions-IAM5`. */
const baseRule = (ruleName: string) => ruleName.replace(/\[.*$/s, '');

/**
 * Builds the nag summary from a parsed `validation-report.json` (or its absence), plus an error
 * thrown by synthesis, if any.
 */
export function summarizeNag(report: unknown, synthError?: string): NagSummary {
  const problems: string[] = [];
  if (synthError) problems.push(`synthesis failed: ${synthError.split('\n')[0]}`);
  const plugins = ((report as { pluginReports?: PluginReport[] } | undefined)?.pluginReports ?? []) as PluginReport[];
  const nag = plugins.find((p) => p.pluginName === NAG_PLUGIN);
  if (!nag) {
    problems.push(`the ${NAG_PLUGIN} pack did not run (no report)`);
    return { ok: false, ran: false, conclusion: 'missing', unacknowledged: [], acknowledged: [], problems };
  }
  const unacknowledged = (nag.violations ?? [])
    .map((v) => `${v.severity ?? 'finding'} ${v.ruleName} at ${(v.violatingConstructs ?? []).map((c) => c.constructPath).join(', ')}`)
    .sort();

  const groups = new Map<string, { rule: string; reason: string; findings: Set<string>; constructs: Set<string> }>();
  for (const v of nag.suppressedViolations ?? []) {
    const rule = baseRule(v.ruleName);
    const reason = (v.reason ?? '').trim();
    if (reason.length === 0) problems.push(`${v.ruleName} is acknowledged without a reason`);
    if (v.acknowledgedStackTrace && !v.acknowledgedStackTrace.includes('nag-suppressions.ts')) {
      problems.push(`${v.ruleName} is acknowledged outside ${SUPPRESSIONS_FILE}`);
    }
    const key = `${rule}\u0000${reason}`;
    const g = groups.get(key) ?? { rule, reason, findings: new Set<string>(), constructs: new Set<string>() };
    g.findings.add(v.ruleName);
    for (const c of v.violatingConstructs ?? []) g.constructs.add(c.constructPath);
    groups.set(key, g);
  }
  const acknowledged: NagAcknowledgement[] = [...groups.values()]
    .map((g) => ({ rule: g.rule, reason: g.reason, findings: [...g.findings].sort(), constructs: g.constructs.size }))
    .sort((a, b) => a.rule.localeCompare(b.rule) || a.reason.localeCompare(b.reason));

  const conclusion = nag.conclusion ?? 'unknown';
  if (unacknowledged.length > 0) problems.push(`${unacknowledged.length} unacknowledged finding(s)`);
  else if (conclusion !== 'success') problems.push(`conclusion is ${conclusion}`);
  return { ok: problems.length === 0, ran: true, conclusion, unacknowledged, acknowledged, problems: [...new Set(problems)].sort() };
}
