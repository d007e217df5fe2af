/**
 * Shared synthesis for the infra tests: the two-replica-region example config, synthesized once
 * per test file (NodejsFunction bundling runs esbuild, so synths are kept few).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadConfigFile, type RouterConfig } from '../../lambdas/core/config';
import { addCheapTokenRouterStacks, type CheapTokenRouterStacks, type CheapTokenRouterStacksProps } from '../../lib/cheap-token-router-stacks';

export const EXAMPLE_CONFIG_PATH = fileURLToPath(new URL('../../config/examples/two-replicas.json', import.meta.url));

export interface SynthesizedRouter {
  readonly app: App;
  readonly config: RouterConfig;
  readonly stacks: CheapTokenRouterStacks;
  /** Every stack of the deployment. */
  readonly allStacks: readonly Stack[];
  /** Cloud assembly directory. */
  readonly outdir: string;
  template(stack: Stack): Template;
}

/**
 * Synthesizes every stack of the example config (optionally with the cdk-nag pack). `bundling: false`
 * skips esbuild (the functions point at the source tree) for tests that only read the templates.
 */
export function synthesizeRouter(
  options: { nag?: boolean; bundling?: boolean; router?: CheapTokenRouterStacksProps['router']; alarmTopicArns?: CheapTokenRouterStacksProps['alarmTopicArns'] } = {},
): SynthesizedRouter {
  const config = loadConfigFile(EXAMPLE_CONFIG_PATH);
  const app = new App(options.bundling === false ? { context: { 'aws:cdk:bundling-stacks': [] } } : {});
  const stacks = addCheapTokenRouterStacks(app, { config, router: options.router, alarmTopicArns: options.alarmTopicArns });
  if (options.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const assembly = app.synth();
  const templates = new Map<Stack, Template>();
  const allStacks = [...Object.values(stacks.keyStacks), stacks.dataStack, ...Object.values(stacks.routerStacks)];
  return {
    app,
    config,
    stacks,
    allStacks,
    outdir: assembly.directory,
    template(stack) {
      let t = templates.get(stack);
      if (!t) {
        t = Template.fromJSON(JSON.parse(readFileSync(join(assembly.directory, stack.templateFile), 'utf8')) as Record<string, unknown>);
        templates.set(stack, t);
      }
      return t;
    },
  };
}

/** Resources of a type, as [logicalId, resource] pairs. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- CloudFormation JSON is walked dynamically in assertions.
export type CfnResourceJson = { Properties: Record<string, any>; [k: string]: any };
export function resourcesOf(template: Template, type: string): [string, CfnResourceJson][] {
  return Object.entries(template.findResources(type)) as [string, CfnResourceJson][];
}

/** Contents of every Lambda bundle (`index.mjs`) in the assembly. */
export function bundles(outdir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const dir of readdirSync(outdir).filter((d) => d.startsWith('asset.'))) {
    try {
      out.set(dir.slice('asset.'.length), readFileSync(join(outdir, dir, 'index.mjs'), 'utf8'));
    } catch {
      // not a function bundle
    }
  }
  return out;
}
