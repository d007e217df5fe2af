/**
 * Shared synthesis for the infra tests: the two-replica-region example config, synthesized once
 * per test file (bundling each function runs esbuild, so synths are kept few); a standalone
 * router in a fresh stack (bundling skipped, cheap enough for one per test); and helpers that find
 * a resource by the construct that made it, so no generated logical id is written in a test.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { Match, Matcher, MatchResult, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { loadConfigFile, type RouterConfig } from '../../lambdas/core/config';
import { TABLES, type TableId } from '../../lambdas/store/tables';
import { CheapTokenRouter, type CheapTokenRouterProps } from '../../lib/cheap-token-router';
import {
  addCheapTokenRouterStacks,
  type CheapTokenRouterStacks,
  type CheapTokenRouterStacksProps,
} from '../../lib/cheap-token-router-stacks';
import { tableName } from '../../lib/naming';

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
  options: {
    nag?: boolean;
    bundling?: boolean;
    router?: CheapTokenRouterStacksProps['router'];
    alarmTopicArns?: CheapTokenRouterStacksProps['alarmTopicArns'];
  } = {},
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

/** The logical id CloudFormation gives a construct's resource (its default child, or the element itself). */
export function logicalIdOf(construct: IConstruct): string {
  const element = (construct.node.defaultChild ?? construct) as CfnElement;
  return Stack.of(element).getLogicalId(element);
}

/** Asserts that the resource a construct made has these properties (deep partial match, arrays exact). */
export function expectProps(t: Template, construct: IConstruct, properties: Record<string, unknown>): void {
  t.templateMatches({ Resources: { [logicalIdOf(construct)]: { Properties: properties } } });
}

/** Logical ids of the resources of a type whose properties match (deep partial), sorted. */
export function idsWith(t: Template, type: string, properties: Record<string, unknown> = {}): string[] {
  return Object.keys(t.findResources(type, { Properties: Match.objectLike(properties) })).sort();
}

/** Logical ids of every resource of a type, sorted. */
export function idsOf(t: Template, type: string): string[] {
  return Object.keys(t.findResources(type)).sort();
}

/**
 * Matches any value (string, ARN built with `Fn::Join`, array of them) whose JSON text contains
 * every one of `texts`: how an ARN's region or table name is checked without resolving intrinsics.
 */
export function jsonIncludes(...texts: string[]): Matcher {
  return new JsonIncludes(texts);
}

class JsonIncludes extends Matcher {
  public readonly name = 'jsonIncludes';
  constructor(private readonly texts: readonly string[]) {
    super();
  }
  public test(actual: unknown): MatchResult {
    const result = new MatchResult(actual);
    const json = JSON.stringify(actual) ?? '';
    for (const text of this.texts) {
      if (!json.includes(text)) {
        result.recordFailure({ matcher: this, path: [], message: `expected JSON containing ${JSON.stringify(text)}, got ${json}` });
      }
    }
    return result;
  }
}

/** Data-layer reference of a standalone router (fixed ARNs in `region`). */
export function standaloneData(config: RouterConfig, region: string): CheapTokenRouterProps['data'] {
  return {
    tableNames: Object.fromEntries(TABLES.map((table) => [table.id, tableName('ctr', table.id)])) as Record<TableId, string>,
    keyArn: `arn:aws:kms:${region}:111111111111:key/mrk-0123456789abcdef0123456789abcdef`,
    homeKeyArn: `arn:aws:kms:${config.primaryRegion}:111111111111:key/mrk-0123456789abcdef0123456789abcdef`,
    providerSecretArn: `arn:aws:secretsmanager:${region}:111111111111:secret:ctr/provider-credentials-AbCdEf`,
  };
}

/**
 * One `CheapTokenRouter` in a fresh stack of a fresh app, as a platform team would use the construct.
 * Bundling is skipped, so this is cheap enough to call once per test.
 */
export function standaloneRouter(
  props: Partial<CheapTokenRouterProps> = {},
  options: { region?: string; config?: RouterConfig } = {},
): { router: CheapTokenRouter; stack: Stack; t: Template } {
  const config = options.config ?? loadConfigFile(EXAMPLE_CONFIG_PATH);
  const region = options.region ?? config.primaryRegion;
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Standalone', { env: { region } });
  const router = new CheapTokenRouter(stack, 'Router', { config, data: standaloneData(config, region), ...props });
  return { router, stack, t: Template.fromStack(stack) };
}
