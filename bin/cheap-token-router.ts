/**
 * CDK app entry (`npx cdk synth|deploy`): loads the router config (`CTR_CONFIG` or the shipped
 * default), adds the key, data and router stacks for every configured region, and runs cdk-nag.
 *
 * Synthesizes offline without credentials: the account comes from `-c account=…`, else
 * `CDK_DEFAULT_ACCOUNT`, else it stays a deploy-time value.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { configPath, loadConfigFile } from '../lambdas/core/config';
import { addCheapTokenRouterStacks } from '../lib/cheap-token-router-stacks';

const app = new App();
const config = loadConfigFile(configPath());
const account = app.node.tryGetContext('account') as string | undefined;
addCheapTokenRouterStacks(app, { config, account });
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
