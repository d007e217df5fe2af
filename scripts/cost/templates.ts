/**
 * What `npm run cost` reads of a deployment: each router function's memory and architecture, the
 * tables and their replica regions, and whether WAF is on — from the stacks synthesized in-process
 * and offline (no bundling, no AWS credentials), as `npx cdk synth` would produce them.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import type { RouterConfig } from '../../lambdas/core/config';
import { addCheapTokenRouterStacks } from '../../lib/cheap-token-router-stacks';
import { ROUTER_FUNCTIONS } from '../../lib/table-access';

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
}
export interface Template {
  Resources?: Record<string, CfnResource>;
}
export interface SynthesizedStack {
  name: string;
  region: string;
  template: Template;
}

/** Synthesizes every stack of `config` (bundling skipped: the templates' sizes and settings do not depend on it). */
export function synthesizeStacks(config: RouterConfig): SynthesizedStack[] {
  const outdir = mkdtempSync(join(tmpdir(), 'ctr-cost-'));
  try {
    const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
    const built = addCheapTokenRouterStacks(app, { config });
    app.synth();
    const stacks = [...Object.values(built.keyStacks), built.dataStack, ...Object.values(built.routerStacks)];
    return stacks.map((s) => ({
      name: s.stackName,
      region: s.region,
      template: JSON.parse(readFileSync(join(outdir, s.templateFile), 'utf8')) as Template,
    }));
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

export interface FunctionSettings {
  /** The router function (`chat`, `api`, …), from its construct id `<Name>Function` (in its logical id). */
  name: string;
  region: string;
  memoryMb: number;
  architecture: string;
}

export interface TableSettings {
  /** Physical table name. */
  name: string;
  /** Regions holding a replica (the home region included). */
  regions: string[];
}

export interface DeploymentShape {
  functions: FunctionSettings[];
  tables: TableSettings[];
  /** Regions with a router stack. */
  routerRegions: string[];
  wafEnabled: boolean;
  /** The API stage's access-log format (`$context` variables), when it logs access. */
  accessLogFormat?: string;
}

const entries = (t: Template) => Object.entries(t.Resources ?? {});

/** Reads the functions, tables and WAF of synthesized stacks. */
export function deploymentShape(stacks: readonly SynthesizedStack[]): DeploymentShape {
  const functions: FunctionSettings[] = [];
  const tables: TableSettings[] = [];
  let wafEnabled = false;
  let accessLogFormat: string | undefined;
  const routerRegions = new Set<string>();
  for (const s of stacks) {
    for (const [logicalId, r] of entries(s.template)) {
      if (r.Type === 'AWS::Lambda::Function') {
        const name = ROUTER_FUNCTIONS.find((f) =>
          new RegExp(`${f.charAt(0).toUpperCase()}${f.slice(1)}Function[0-9A-F]{8}$`).test(logicalId),
        );
        if (!name) continue;
        routerRegions.add(s.region);
        const p = r.Properties ?? {};
        functions.push({
          name,
          region: s.region,
          memoryMb: Number(p.MemorySize ?? 128),
          architecture: ((p.Architectures as string[] | undefined) ?? ['x86_64'])[0]!,
        });
      }
      if (r.Type === 'AWS::DynamoDB::GlobalTable') {
        const p = r.Properties ?? {};
        const replicas = (p.Replicas as Array<{ Region?: unknown }> | undefined) ?? [];
        tables.push({
          name: String(p.TableName),
          regions: replicas.map((x) => (typeof x.Region === 'string' ? x.Region : s.region)),
        });
      }
      if (r.Type === 'AWS::WAFv2::WebACLAssociation') wafEnabled = true;
      const format = (r.Properties?.AccessLogSetting as { Format?: unknown } | undefined)?.Format;
      if (r.Type === 'AWS::ApiGateway::Stage' && typeof format === 'string') accessLogFormat = format;
    }
  }
  return { functions, tables, routerRegions: [...routerRegions], wafEnabled, accessLogFormat };
}

/** Bytes of one access-log line: the format with each `$context` variable as a typical value (a 36-character request id, 8 characters otherwise). */
export function accessLogBytes(format: string | undefined): number {
  if (!format) return 0;
  const line = format.replace(/\$context\.requestId/g, 'x'.repeat(36)).replace(/\$context\.[\w.]+/g, 'x'.repeat(8));
  return Buffer.byteLength(line) + 1;
}
