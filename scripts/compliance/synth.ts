/**
 * Synthesizes every stack of a deployment in-process, as `npx cdk synth` would (same entry
 * function, the context of cdk.json, the AwsSolutions pack), into a temporary directory, and
 * returns the templates and the cdk-nag report. Offline: no AWS credentials are used.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { RouterConfig } from '../../lambdas/core/config';
import { addCheapTokenRouterStacks } from '../../lib/cheap-token-router-stacks';
import type { CfnTemplate, StackRole, StackTemplate } from './types';

export interface Synthesized {
  readonly stacks: readonly StackTemplate[];
  /** Parsed `validation-report.json`, when synthesis wrote one. */
  readonly validationReport?: unknown;
  /** Message of the error synthesis threw (e.g. unacknowledged error-level nag findings). */
  readonly synthError?: string;
}

/** The `context` of cdk.json, so feature flags match `npx cdk synth`. */
function cdkJsonContext(repoRoot: string): Record<string, unknown> {
  try {
    return ((JSON.parse(readFileSync(join(repoRoot, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> }).context ??
      {}) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/**
 * Synthesizes the stacks of `config`. Templates are account-agnostic unless `account` is given,
 * so the report does not depend on the credentials of whoever runs it.
 */
export function synthesize(config: RouterConfig, repoRoot: string, account?: string): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), 'ctr-compliance-'));
  // The stacks fall back to CDK_DEFAULT_ACCOUNT (set when credentials are around); keep it out.
  const defaultAccount = process.env.CDK_DEFAULT_ACCOUNT;
  delete process.env.CDK_DEFAULT_ACCOUNT;
  try {
    const app = new App({ outdir, context: cdkJsonContext(repoRoot) });
    const built = addCheapTokenRouterStacks(app, { config, account });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    let synthError: string | undefined;
    try {
      app.synth();
    } catch (err) {
      synthError = (err as Error).message;
    }
    const roles: [Stack, StackRole][] = [
      ...Object.values(built.keyStacks).map((s): [Stack, StackRole] => [s, 'key']),
      [built.dataStack, 'data'],
      ...Object.values(built.routerStacks).map((s): [Stack, StackRole] => [s, 'router']),
    ];
    const stacks: StackTemplate[] = [];
    for (const [stack, role] of roles) {
      const file = join(outdir, stack.templateFile);
      if (!existsSync(file)) continue;
      const text = readFileSync(file, 'utf8');
      stacks.push({
        name: stack.stackName,
        region: stack.region,
        role,
        template: JSON.parse(text) as CfnTemplate,
        sha256: createHash('sha256').update(text).digest('hex'),
      });
    }
    const reportFile = join(outdir, 'validation-report.json');
    const validationReport = existsSync(reportFile) ? (JSON.parse(readFileSync(reportFile, 'utf8')) as unknown) : undefined;
    return { stacks: stacks.sort((a, b) => a.name.localeCompare(b.name)), validationReport, synthError };
  } finally {
    if (defaultAccount !== undefined) process.env.CDK_DEFAULT_ACCOUNT = defaultAccount;
    rmSync(outdir, { recursive: true, force: true });
  }
}
