/**
 * Types of the compliance generator: the policy map (data), the synthesized templates it is
 * checked against, and the evidence it produces.
 */
import type { RouterConfig } from '../../lambdas/core/config';
import type { RetentionClass, TableDefinition, TableId } from '../../lambdas/store/tables';

// ---- Policy map (data) ------------------------------------------------------------------------

/** A place in the code that keeps a commitment: a file and an exported symbol (or `Class#member`). */
export interface CodeRef {
  /** Repository-relative path. */
  readonly file: string;
  /** `name` (exported declaration) or `Class#member` (a member inside that exported class). */
  readonly symbol: string;
  /** What this code does for the commitment, in one line. */
  readonly role: string;
  /** Text that must appear inside the symbol's body, e.g. the call that sets the TTL. */
  readonly uses?: string;
}

/** A test that proves a commitment: its file and the exact title passed to `it(…)` / `test(…)`. */
export interface TestRef {
  /** Repository-relative path. */
  readonly file: string;
  readonly title: string;
}

/** Which tables a table check covers. */
export interface TableFilter {
  /** Only tables of these retention classes. */
  readonly retention?: readonly RetentionClass[];
  /** Only these tables. */
  readonly tables?: readonly TableId[];
}

/** A named check over the synthesized templates (or the config), with optional arguments. */
export interface TemplateCheckRef {
  /** Id in the template-check registry (`template-checks.ts`). */
  readonly check: string;
  readonly args?: TableFilter;
}

/** One commitment of the privacy policy that the software keeps. */
export interface PolicyCommitment {
  /** Section and commitment, e.g. `§8 usage data ≤ 2 years`. */
  readonly id: string;
  /** The policy section number, e.g. `§8`. */
  readonly section: string;
  /** What the software commits to, in the project's own words. */
  readonly commitment: string;
  readonly templateChecks: readonly TemplateCheckRef[];
  readonly code: readonly CodeRef[];
  readonly tests: readonly TestRef[];
  /** What an auditor should know beyond the evidence (limits, windows, design choices). */
  readonly notes?: readonly string[];
  /** Include the cdk-nag summary as evidence of this commitment. */
  readonly nag?: boolean;
}

/** A policy section (or part) that software does not keep, with the reason. */
export interface OutOfScope {
  readonly section: string;
  readonly reason: string;
}

// ---- Synthesized templates --------------------------------------------------------------------

export type StackRole = 'key' | 'data' | 'router';

/** A CloudFormation resource as synthesized (JSON). */
export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}

export interface CfnTemplate {
  readonly Resources?: Record<string, CfnResource>;
  readonly Outputs?: Record<string, { readonly Value: unknown; readonly Description?: string }>;
}

/** One synthesized stack: its name, region, role in the deployment, and template. */
export interface StackTemplate {
  readonly name: string;
  readonly region: string;
  readonly role: StackRole;
  readonly template: CfnTemplate;
  /** SHA-256 of the template file as synthesized (hex). */
  readonly sha256?: string;
}

/** Which tree the report was made from, and when. */
export interface Provenance {
  /** The commit checked out (`git rev-parse HEAD`), or `unknown` outside a git checkout. */
  readonly commit: string;
  /** True when the working tree had changes to tracked files: the report is then not of `commit` alone. */
  readonly dirty: boolean;
  /** The commit's date (ISO, committer date). */
  readonly commitDate: string;
  /** The day the report was generated (UTC, YYYY-MM-DD). */
  readonly date: string;
}

/** Everything a template check may look at. */
export interface CheckContext {
  readonly stacks: readonly StackTemplate[];
  readonly config: RouterConfig;
  /** Repository-relative path of the config file, for `where` columns. */
  readonly configFile: string;
  readonly tables: readonly TableDefinition[];
  /** Prefix of physical resource names (`ctr`). */
  readonly namePrefix: string;
}

// ---- Evidence ---------------------------------------------------------------------------------

/** One row of evidence from a template (or the config). */
export interface EvidenceRow {
  /** Id of the check that produced it. */
  readonly check: string;
  readonly resource: string;
  readonly property: string;
  /** The value found, rendered readably (intrinsics as `${…}`). */
  readonly value: string;
  /** What the value must be. */
  readonly expected: string;
  /** Stack and region, or the config file. */
  readonly where: string;
  readonly ok: boolean;
}

export interface CodeEvidence extends CodeRef {
  readonly ok: boolean;
  /** 1-based line of the declaration, when found. */
  readonly line?: number;
  /** Why it failed. */
  readonly problem?: string;
}

export interface TestEvidence extends TestRef {
  readonly ok: boolean;
  readonly line?: number;
  /** How vitest reported the test when the cited tests were run (`passed`, `failed`, `skipped`, …). */
  readonly status?: string;
  /** Assertions the test made in that run. */
  readonly assertions?: number;
  readonly problem?: string;
}

/** The cdk-nag (AwsSolutions) outcome. */
export interface NagSummary {
  readonly ok: boolean;
  /** Whether the pack ran at all (its report was found). */
  readonly ran: boolean;
  readonly conclusion: string;
  /** Unacknowledged findings, as `severity rule at construct path`; must be empty. */
  readonly unacknowledged: readonly string[];
  /** Acknowledged rules, grouped by rule and reason. */
  readonly acknowledged: readonly NagAcknowledgement[];
  /** Problems beyond open findings (pack missing, acknowledgement made outside nag-suppressions.ts, synth error). */
  readonly problems: readonly string[];
}

export interface NagAcknowledgement {
  /** Rule id without the finding suffix, e.g. `AwsSolutions-IAM5`. */
  readonly rule: string;
  readonly reason: string;
  /** Full finding ids, e.g. `AwsSolutions-IAM5[Resource::…]` (sorted, unique). */
  readonly findings: readonly string[];
  /** Number of constructs acknowledged. */
  readonly constructs: number;
}

export interface CommitmentResult {
  readonly id: string;
  readonly section: string;
  readonly commitment: string;
  readonly ok: boolean;
  readonly evidence: readonly EvidenceRow[];
  readonly code: readonly CodeEvidence[];
  readonly tests: readonly TestEvidence[];
  readonly notes: readonly string[];
  readonly nag?: NagSummary;
  /** Every missing or failing item, one line each. */
  readonly missing: readonly string[];
}

export interface ComplianceReport {
  readonly ok: boolean;
  readonly configFile: string;
  readonly primaryRegion: string;
  readonly replicaRegions: readonly string[];
  readonly stacks: readonly { readonly name: string; readonly region: string; readonly role: StackRole; readonly sha256?: string }[];
  readonly provenance?: Provenance;
  readonly commitments: readonly CommitmentResult[];
  readonly nag: NagSummary;
  readonly outOfScope: readonly OutOfScope[];
  /** Every missing or failing item across the report, prefixed by its commitment id. */
  readonly missing: readonly string[];
}
