/**
 * Template checks of what surrounds the data: the provider secret, log groups, the API Gateway
 * stage (access-log format, data trace, authorization, HTTPS), IAM resources and function environments.
 */
import {
  absent,
  FORBIDDEN_ACCESS_LOG_VARIABLES,
  isRegionalDataKey,
  methodsOf,
  props,
  renderValue,
  resourcesOf,
  row,
  sameJson,
  stacksOf,
  statementsOf,
  type TemplateCheck,
  where,
} from './template-reading';
import type { EvidenceRow } from './types';

export const SECRET_LOG_API_CHECKS: Readonly<Record<string, TemplateCheck>> = {
  'secretsmanager.kms': {
    title: 'Provider secret: encrypted with the data key, each replica with its regional key',
    run(ctx) {
      const check = 'secretsmanager.kms';
      const rows: EvidenceRow[] = [];
      for (const s of ctx.stacks) {
        for (const [id, r] of resourcesOf(s, 'AWS::SecretsManager::Secret')) {
          rows.push(
            row(
              check,
              id,
              'KmsKeyId',
              props(r).KmsKeyId,
              `the data key in ${s.region}`,
              where(s),
              isRegionalDataKey(ctx, props(r).KmsKeyId, s.region),
            ),
          );
          const replicas = (props(r).ReplicaRegions ?? []) as { Region?: string; KmsKeyId?: unknown }[];
          for (const rep of [...replicas].sort((a, b) => String(a.Region).localeCompare(String(b.Region)))) {
            rows.push(
              row(
                check,
                id,
                `ReplicaRegions[${rep.Region}].KmsKeyId`,
                rep.KmsKeyId,
                `the data key in ${rep.Region}`,
                where(s),
                isRegionalDataKey(ctx, rep.KmsKeyId, String(rep.Region)),
              ),
            );
          }
        }
      }
      if (rows.length === 0) rows.push(absent(check, 'AWS::SecretsManager::Secret', 'KmsKeyId', 'the provider secret', 'data stack'));
      return rows;
    },
  },

  'secretsmanager.replicaRegions': {
    title: 'Provider secret: replicated to exactly the configured replica regions',
    run(ctx) {
      const check = 'secretsmanager.replicaRegions';
      const rows: EvidenceRow[] = [];
      const expected = [...ctx.config.replicaRegions].sort();
      for (const s of ctx.stacks) {
        for (const [id, r] of resourcesOf(s, 'AWS::SecretsManager::Secret')) {
          const regions = ((props(r).ReplicaRegions ?? []) as { Region?: string }[]).map((x) => String(x.Region)).sort();
          rows.push(
            row(
              check,
              id,
              'ReplicaRegions[].Region',
              regions,
              `replicaRegions = [${expected.join(', ')}]`,
              where(s),
              sameJson(regions, expected),
            ),
          );
        }
      }
      if (rows.length === 0) rows.push(absent(check, 'AWS::SecretsManager::Secret', 'ReplicaRegions', 'the provider secret', 'data stack'));
      return rows;
    },
  },

  'logs.kms': {
    title: 'Log groups: every log group encrypted with the data key of its region',
    run(ctx) {
      const check = 'logs.kms';
      const rows: EvidenceRow[] = [];
      for (const s of ctx.stacks) {
        for (const [id, r] of resourcesOf(s, 'AWS::Logs::LogGroup')) {
          rows.push(
            row(
              check,
              id,
              'KmsKeyId',
              props(r).KmsKeyId,
              `the data key in ${s.region}`,
              where(s),
              isRegionalDataKey(ctx, props(r).KmsKeyId, s.region),
            ),
          );
        }
      }
      if (rows.length === 0)
        rows.push(absent(check, 'AWS::Logs::LogGroup', 'KmsKeyId', 'log groups in the router stacks', 'router stacks'));
      return rows;
    },
  },

  'logs.retention': {
    title: 'Log groups: every log group expires, no later than the usage-data retention',
    run(ctx) {
      const check = 'logs.retention';
      const rows: EvidenceRow[] = [];
      const max = ctx.config.retention.usageDays;
      for (const s of ctx.stacks) {
        for (const [id, r] of resourcesOf(s, 'AWS::Logs::LogGroup')) {
          const days = props(r).RetentionInDays;
          rows.push(
            row(
              check,
              id,
              'RetentionInDays',
              days,
              `≤ ${max} (retention.usageDays)`,
              where(s),
              typeof days === 'number' && days > 0 && days <= max,
            ),
          );
        }
      }
      if (rows.length === 0)
        rows.push(absent(check, 'AWS::Logs::LogGroup', 'RetentionInDays', 'log groups in the router stacks', 'router stacks'));
      return rows;
    },
  },

  'apigw.accessLogFormat': {
    title: 'API Gateway access logs: request metadata only, no body, header or authorization field',
    run(ctx) {
      const check = 'apigw.accessLogFormat';
      const rows: EvidenceRow[] = [];
      for (const s of stacksOf(ctx, ['router'])) {
        const stages = resourcesOf(s, 'AWS::ApiGateway::Stage');
        if (stages.length === 0)
          rows.push(absent(check, 'AWS::ApiGateway::Stage', 'AccessLogSetting', 'a stage with access logging', where(s)));
        for (const [id, r] of stages) {
          const setting = props(r).AccessLogSetting as { Format?: unknown; DestinationArn?: unknown } | undefined;
          rows.push(
            row(
              check,
              id,
              'AccessLogSetting.DestinationArn',
              setting?.DestinationArn,
              'a log group of this stack',
              where(s),
              setting?.DestinationArn !== undefined,
            ),
          );
          let fields: Record<string, unknown> | undefined;
          try {
            fields = typeof setting?.Format === 'string' ? (JSON.parse(setting.Format) as Record<string, unknown>) : undefined;
          } catch {
            fields = undefined;
          }
          if (!fields) {
            rows.push(row(check, id, 'AccessLogSetting.Format', setting?.Format, 'a JSON object of $context variables', where(s), false));
            continue;
          }
          const variables = Object.entries(fields).sort(([a], [b]) => a.localeCompare(b));
          const metadata = (v: unknown) =>
            typeof v === 'string' && /^\$context\.[A-Za-z.]+$/.test(v) && !FORBIDDEN_ACCESS_LOG_VARIABLES.test(v);
          rows.push(
            row(
              check,
              id,
              'AccessLogSetting.Format',
              // The format exactly as deployed: the JSON each access log line is made of.
              setting!.Format,
              'a JSON object of request-metadata $context variables only',
              where(s),
              true,
            ),
          );
          for (const [name, variable] of variables.filter(([, v]) => !metadata(v))) {
            rows.push(row(check, id, `AccessLogSetting.Format.${name}`, variable, 'a request-metadata $context variable', where(s), false));
          }
          const forbidden = variables.filter(([, v]) => FORBIDDEN_ACCESS_LOG_VARIABLES.test(String(v))).map(([k]) => k);
          rows.push(
            row(
              check,
              id,
              'AccessLogSetting.Format (content fields)',
              forbidden.length ? forbidden : 'none of body, payload, header, authorization, override, input, apiKey',
              'none present',
              where(s),
              forbidden.length === 0,
            ),
          );
        }
      }
      return rows;
    },
  },

  'apigw.dataTrace': {
    title: 'API Gateway execution logs: data trace (full request/response logging) off',
    run(ctx) {
      const check = 'apigw.dataTrace';
      const rows: EvidenceRow[] = [];
      for (const s of stacksOf(ctx, ['router'])) {
        const stages = resourcesOf(s, 'AWS::ApiGateway::Stage');
        if (stages.length === 0) rows.push(absent(check, 'AWS::ApiGateway::Stage', 'MethodSettings', 'a stage', where(s)));
        for (const [id, r] of stages) {
          const settings = (props(r).MethodSettings ?? []) as Record<string, unknown>[];
          if (settings.length === 0) rows.push(absent(check, id, 'MethodSettings[].DataTraceEnabled', 'false, set explicitly', where(s)));
          for (const ms of settings) {
            const at = `MethodSettings[${String(ms.HttpMethod)} ${String(ms.ResourcePath)}]`;
            rows.push(row(check, id, `${at}.DataTraceEnabled`, ms.DataTraceEnabled, 'false', where(s), ms.DataTraceEnabled === false));
            rows.push(
              row(
                check,
                id,
                `${at}.LoggingLevel`,
                ms.LoggingLevel,
                'ERROR or OFF',
                where(s),
                ms.LoggingLevel === 'ERROR' || ms.LoggingLevel === 'OFF',
              ),
            );
          }
        }
      }
      return rows;
    },
  },

  'apigw.authorization': {
    title: 'API Gateway: admin routes authorized by IAM (SigV4); app routes check the API key hash in the function',
    run(ctx) {
      const check = 'apigw.authorization';
      const rows: EvidenceRow[] = [];
      for (const s of stacksOf(ctx, ['router'])) {
        const methods = methodsOf(s);
        if (!methods.some((m) => m.path.startsWith('/admin')))
          rows.push(absent(check, '/admin', 'AuthorizationType', 'IAM-authorized admin routes', where(s)));
        for (const { path, method } of methods) {
          const admin = path.startsWith('/admin');
          const expected = admin ? 'AWS_IAM' : 'NONE';
          rows.push(
            row(
              check,
              `${String(method.HttpMethod)} ${path}`,
              'AuthorizationType',
              method.AuthorizationType,
              admin ? 'AWS_IAM' : 'NONE (Bearer API key, checked against its SHA-256 hash)',
              where(s),
              method.AuthorizationType === expected,
            ),
          );
        }
      }
      return rows;
    },
  },

  'apigw.https': {
    title: 'API endpoint: HTTPS only (TLS in transit)',
    run(ctx) {
      const check = 'apigw.https';
      const rows: EvidenceRow[] = [];
      for (const s of stacksOf(ctx, ['router'])) {
        const out = s.template.Outputs?.EndpointUrl;
        if (!out) rows.push(absent(check, 'Output EndpointUrl', 'Value', 'an https:// endpoint', where(s)));
        else
          rows.push(
            row(check, 'Output EndpointUrl', 'Value', out.Value, 'https://…', where(s), renderValue(out.Value).startsWith('https://')),
          );
      }
      return rows;
    },
  },

  'iam.noWildcardResource': {
    title: 'IAM: no policy statement grants Resource "*" or a wildcard action',
    run(ctx) {
      const check = 'iam.noWildcardResource';
      const rows: EvidenceRow[] = [];
      for (const s of ctx.stacks) {
        const byPolicy = new Map<string, Record<string, unknown>[]>();
        for (const { resource, statement } of statementsOf(s)) byPolicy.set(resource, [...(byPolicy.get(resource) ?? []), statement]);
        for (const [resource, statements] of [...byPolicy].sort(([a], [b]) => a.localeCompare(b))) {
          const bad = statements.filter(
            (st) => [st.Resource].flat().includes('*') || [st.Action].flat().some((a) => typeof a === 'string' && a.includes('*')),
          );
          const value = bad.length
            ? bad.map((st) => String(st.Sid ?? renderValue(st.Action)))
            : `${statements.length} statement(s), none with Resource "*" or a wildcard action`;
          rows.push(
            row(
              check,
              resource,
              'PolicyDocument.Statement[].Resource / Action',
              value,
              'no "*" resource, no wildcard action',
              where(s),
              bad.length === 0,
            ),
          );
        }
      }
      if (rows.length === 0) rows.push(absent(check, 'AWS::IAM::Policy', 'PolicyDocument', 'function role policies', 'router stacks'));
      return rows;
    },
  },

  'lambda.homeRegion': {
    title: 'Functions: every function gets the home region (single writer of counters)',
    run(ctx) {
      const check = 'lambda.homeRegion';
      const rows: EvidenceRow[] = [];
      for (const s of stacksOf(ctx, ['router'])) {
        const fns = resourcesOf(s, 'AWS::Lambda::Function');
        if (fns.length === 0) rows.push(absent(check, 'AWS::Lambda::Function', 'Environment', 'router functions', where(s)));
        for (const [id, r] of fns) {
          const env = ((props(r).Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {}) as Record<
            string,
            unknown
          >;
          rows.push(
            row(
              check,
              id,
              'Environment.Variables.CTR_HOME_REGION',
              env.CTR_HOME_REGION,
              `${ctx.config.primaryRegion} (primaryRegion)`,
              where(s),
              env.CTR_HOME_REGION === ctx.config.primaryRegion,
            ),
          );
        }
      }
      return rows;
    },
  },
};
