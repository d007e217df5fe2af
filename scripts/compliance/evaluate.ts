/**
 * Checks the policy map against the synthesized templates, the config, the source files, the
 * runs of the cited tests and the cdk-nag summary, and collects every missing or failing item.
 */
import { type CitedTestRuns, runProblem, testKey } from './cited-tests';
import { checkCodeRef, checkTestRef, type ReadSource } from './source-refs';
import { TEMPLATE_CHECKS, type TemplateCheck } from './template-checks';
import type {
  CheckContext,
  CommitmentResult,
  ComplianceReport,
  EvidenceRow,
  NagSummary,
  OutOfScope,
  PolicyCommitment,
  TestEvidence,
} from './types';

export interface EvaluateInput {
  readonly map: readonly PolicyCommitment[];
  readonly outOfScope?: readonly OutOfScope[];
  readonly ctx: CheckContext;
  readonly read: ReadSource;
  readonly nag: NagSummary;
  /** The check registry; tests may pass their own. */
  readonly checks?: Readonly<Record<string, TemplateCheck>>;
  /** Runs of the cited tests (cited-tests.ts); each cited test must have passed with an assertion. */
  readonly runs?: CitedTestRuns;
}

const byRow = (a: EvidenceRow, b: EvidenceRow) =>
  a.where.localeCompare(b.where) || a.resource.localeCompare(b.resource) || a.property.localeCompare(b.property);

/** Evaluates one commitment. */
export function evaluateCommitment(
  c: PolicyCommitment,
  ctx: CheckContext,
  read: ReadSource,
  nag: NagSummary,
  checks: Readonly<Record<string, TemplateCheck>> = TEMPLATE_CHECKS,
  runs?: CitedTestRuns,
): CommitmentResult {
  const missing: string[] = [];
  const evidence: EvidenceRow[] = [];
  for (const ref of c.templateChecks) {
    const check = checks[ref.check];
    if (!check) {
      missing.push(`template check "${ref.check}" is not defined`);
      continue;
    }
    const rows = check.run(ctx, ref.args).sort(byRow);
    if (rows.length === 0) missing.push(`template check "${ref.check}" found nothing to check`);
    for (const r of rows) {
      evidence.push(r);
      if (!r.ok) missing.push(`template ${r.check}: ${r.resource} ${r.property} is ${r.value}, expected ${r.expected} (${r.where})`);
    }
  }
  const code = c.code.map((ref) => checkCodeRef(ref, read));
  for (const e of code) if (!e.ok) missing.push(`code ${e.file} ${e.symbol}: ${e.problem}`);
  if (code.length === 0) missing.push('no code reference keeps this commitment');
  const tests = c.tests.map((ref): TestEvidence => {
    const found = checkTestRef(ref, read);
    if (!found.ok || !runs) return found;
    const problem = runProblem(runs, ref);
    const run = runs.runs.get(testKey(ref.file, ref.title))?.[0];
    const outcome = run ? { status: run.status, assertions: run.assertions } : {};
    return problem ? { ...found, ...outcome, ok: false, problem } : { ...found, ...outcome };
  });
  for (const t of tests) if (!t.ok) missing.push(`test ${t.file}: ${t.problem}`);
  if (tests.length === 0) missing.push('no test proves this commitment');
  if (c.nag) {
    for (const p of nag.problems) missing.push(`cdk-nag: ${p}`);
    for (const f of nag.unacknowledged) missing.push(`cdk-nag: unacknowledged ${f}`);
  }
  return {
    id: c.id,
    section: c.section,
    commitment: c.commitment,
    ok: missing.length === 0,
    evidence,
    code,
    tests,
    notes: c.notes ?? [],
    ...(c.nag ? { nag } : {}),
    missing,
  };
}

/** Evaluates the whole map into the report model. */
export function evaluate(input: EvaluateInput): ComplianceReport {
  const { ctx } = input;
  const commitments = input.map.map((c) => evaluateCommitment(c, ctx, input.read, input.nag, input.checks, input.runs));
  const missing = commitments.flatMap((c) => c.missing.map((m) => `${c.id}: ${m}`));
  if (!input.map.some((c) => c.nag) && !input.nag.ok) missing.push(...input.nag.problems.map((p) => `cdk-nag: ${p}`));
  return {
    ok: missing.length === 0,
    configFile: ctx.configFile,
    primaryRegion: ctx.config.primaryRegion,
    replicaRegions: ctx.config.replicaRegions,
    stacks: ctx.stacks.map((s) => ({ name: s.name, region: s.region, role: s.role, ...(s.sha256 ? { sha256: s.sha256 } : {}) })),
    commitments,
    nag: input.nag,
    outOfScope: input.outOfScope ?? [],
    missing,
  };
}
