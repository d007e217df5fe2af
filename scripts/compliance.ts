/**
 * `npm run compliance`: synthesizes the stacks for the router config (`CTR_CONFIG` or the shipped
 * default), checks every commitment of the policy map (scripts/compliance/policy-map.ts) against
 * the templates, the code and the tests, runs the cited tests (one vitest run; each must pass and
 * assert something), runs cdk-nag, and writes compliance-report.md and
 * compliance-report.json. Exits 1 if any evidence is missing, printing which, so CI keeps the
 * report honest; 2 if the config is invalid.
 *
 * Options: `--out <dir>` writes the reports there (default: the repository root).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, configPath, loadConfigFile, type RouterConfig } from '../lambdas/core/config';
import { TABLES } from '../lambdas/store/tables';
import { NAMING_DEFAULTS } from '../lib/cheap-token-router-defaults';
import { runCitedTests } from './compliance/cited-tests';
import { evaluate } from './compliance/evaluate';
import { summarizeNag } from './compliance/nag';
import { OUT_OF_SCOPE, POLICY_MAP } from './compliance/policy-map';
import { renderJson, renderMarkdown } from './compliance/render';
import type { ReadSource } from './compliance/source-refs';
import { synthesize } from './compliance/synth';
import type { ComplianceReport, Provenance } from './compliance/types';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

function outDir(argv: readonly string[]): string {
  const i = argv.indexOf('--out');
  return i >= 0 && argv[i + 1] ? resolve(argv[i + 1]!) : repoRoot;
}

const path = configPath();
let config: RouterConfig;
try {
  config = loadConfigFile(path);
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  throw err;
}

process.stderr.write(`compliance: synthesizing the stacks for ${path} …\n`);
const synth = synthesize(config, repoRoot);
const read: ReadSource = (file) => {
  try {
    return readFileSync(join(repoRoot, file), 'utf8');
  } catch {
    return undefined;
  }
};
const cited = POLICY_MAP.flatMap((c) => c.tests);
process.stderr.write(`compliance: running the ${new Set(cited.map((t) => `${t.file}\u0000${t.title}`)).size} cited tests …\n`);
const runs = runCitedTests(cited, repoRoot);
let report: ComplianceReport = evaluate({
  runs,
  map: POLICY_MAP,
  outOfScope: OUT_OF_SCOPE,
  ctx: {
    stacks: synth.stacks,
    config,
    configFile: relative(repoRoot, path).split(sep).join('/'),
    tables: TABLES,
    namePrefix: NAMING_DEFAULTS.namePrefix,
  },
  read,
  nag: summarizeNag(synth.validationReport, synth.synthError),
});

/** The commit the report is of: git's answer, or `unknown` outside a checkout. */
function provenance(): Provenance {
  const git = (...args: string[]) => {
    try {
      return execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return undefined;
    }
  };
  const date = new Date().toISOString().slice(0, 10);
  const commit = git('rev-parse', 'HEAD');
  if (!commit) return { commit: 'unknown', dirty: true, commitDate: 'unknown', date };
  return {
    commit,
    dirty: (git('status', '--porcelain', '--untracked-files=no') ?? '') !== '',
    commitDate: git('log', '-1', '--format=%cI') ?? 'unknown',
    date,
  };
}
report = { ...report, provenance: provenance() };

const dir = outDir(process.argv.slice(2));
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'compliance-report.md'), renderMarkdown(report));
writeFileSync(join(dir, 'compliance-report.json'), renderJson(report));

const lines = report.commitments.map((c) => `${c.ok ? '✅' : '❌'} ${c.id}`);
process.stdout.write(`${lines.join('\n')}\n\nwrote ${join(dir, 'compliance-report.md')} and compliance-report.json\n`);
if (!report.ok) {
  process.stderr.write(
    `\ncompliance: ${report.missing.length} evidence item(s) missing:\n${report.missing.map((m) => `  - ${m}`).join('\n')}\n`,
  );
  process.exit(1);
}
