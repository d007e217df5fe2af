/** `npm run catalog`: regenerates the shipped catalog (config/router.config.json) from the locked price data. */

import { runCatalogCommand } from '../../lambdas/catalog/cli';
import { configPath } from '../../lambdas/core/config';

const args = process.argv.slice(2);
const code = await runCatalogCommand(
  args.includes('--check') ? 'build' : 'build',
  { config: configPath(), check: args.includes('--check') },
  (s) => console.log(s),
);
process.exitCode = code;
