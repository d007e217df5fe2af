/**
 * CDK app entry (`npx cdk synth|deploy`): loads the router config (`CTR_CONFIG` or the shipped
 * default), adds the key, data and router stacks for every configured region, and runs cdk-nag
 * (and the AWS quota checks the stacks register).
 *
 * Synthesizes offline without credentials: the account comes from `-c account=…`, else
 * `CDK_DEFAULT_ACCOUNT`, else it stays a deploy-time value.
 *
 * A bad config, or a template that a check refuses, ends the app with the problems, one per line,
 * and no stack trace: they are the operator's to fix, not the code's.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError, configPath, loadConfigFile } from '../lambdas/core/config';
import { addCheapTokenRouterStacks } from '../lib/cheap-token-router-stacks';

try {
  const app = new App();
  const config = loadConfigFile(configPath());
  const account = app.node.tryGetContext('account') as string | undefined;
  addCheapTokenRouterStacks(app, { config, account });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  app.synth();
} catch (err) {
  // A config error names every field; anything else (a failed validation, a construct refusing its
  // props) is reported by its message. Set CTR_DEBUG=1 for the stack trace.
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`${process.env.CTR_DEBUG === '1' && err instanceof Error ? err.stack : message}\n`);
  if (!(err instanceof ConfigError) && process.env.CTR_DEBUG !== '1') process.stderr.write('(CTR_DEBUG=1 shows the stack trace)\n');
  process.exitCode = 1;
}
