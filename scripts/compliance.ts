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
const report = evaluate({
  runs,
  map: POLICY_MAP,
  outOfScope: OUT_OF_SCOPE,
  ctx: { stacks: synth.stacks, config, configFile: relative(repoRoot, path).split(sep).join('/'), tables: TABLES, namePrefix: NAMING_DEFAULTS.namePrefix },
  read,
  nag: summarizeNag(synth.validationReport, synth.synthError),
});

const dir = outDir(process.argv.slice(2));
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'compliance-report.md'), renderMarkdown(report));
writeFileSync(join(dir, 'compliance-report.json'), renderJson(report));

const lines = report.commitments.map((c) => `${c.ok ? '✅' : '❌'} ${c.id}`);
process.stdout.write(`${lines.join('\n')}\n\nwrote ${join(dir, 'compliance-report.md')} and compliance-report.json\n`);
if (!report.ok) {
  process.stderr.write(`\ncompliance: ${report.missing.length} evidence item(s) missing:\n${report.missing.map((m) => `  - ${m}`).join('\n')}\n`);
  process.exit(1);
}
