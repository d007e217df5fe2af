/**
 * `npm run catalog`: regenerates the shipped catalog (config/router.config.json, or CTR_CONFIG) from
 * the locked price data. `npm run catalog -- --check` only compares; `-- --as-of YYYY-MM-DD` moves the price date.
 */
import { parseArgs } from 'node:util';
import { runCatalogCommand } from '../../lambdas/catalog/cli';
import { configPath } from '../../lambdas/core/config';

const { values } = parseArgs({ options: { check: { type: 'boolean', default: false }, 'as-of': { type: 'string' } } });
process.exitCode = await runCatalogCommand('build', { config: configPath(), check: values.check, asOf: values['as-of'] }, (s) =>
  console.log(s),
);
