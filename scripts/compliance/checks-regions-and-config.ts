import { tableName } from '../../lib/naming';
import { RETENTION_CLASSES } from './policy-map';
import { absent, allRegions, policyMaxDays, row, schemaMaximum, selectTables, type TemplateCheck } from './template-reading';
import type { EvidenceRow } from './types';

export const REGION_AND_CONFIG_CHECKS: Readonly<Record<string, TemplateCheck>> = {
  'stacks.regions': {
    title: 'Stacks: deployed only in the configured regions, a key and a router stack in each',
    run(ctx) {
      const check = 'stacks.regions';
      const rows: EvidenceRow[] = [];
      const regions = new Set(allRegions(ctx));
      for (const s of [...ctx.stacks].sort((a, b) => a.name.localeCompare(b.name))) {
        const expected = s.role === 'data' ? ctx.config.primaryRegion : 'primaryRegion or a replicaRegion';
        const ok = s.role === 'data' ? s.region === ctx.config.primaryRegion : regions.has(s.region);
        rows.push(row(check, s.name, `region (${s.role} stack)`, s.region, expected, 'cloud assembly', ok));
      }
      for (const region of [...regions].sort()) {
        for (const role of ['key', 'router'] as const) {
          if (!ctx.stacks.some((s) => s.role === role && s.region === region))
            rows.push(absent(check, `${role} stack`, 'region', region, 'cloud assembly'));
        }
      }
      return rows;
    },
  },

  'config.retention': {
    title: "Config: retention period of each table's class, within the policy maximum",
    run(ctx, args) {
      const check = 'config.retention';
      const rows: EvidenceRow[] = [];
      for (const def of selectTables(ctx, args)) {
        const cls = RETENTION_CLASSES[def.retention];
        if (!cls) {
          rows.push(
            absent(
              check,
              tableName(ctx.namePrefix, def.id),
              'retention class',
              `a mapping for class "${def.retention}" in RETENTION_CLASSES`,
              'scripts/compliance/policy-map.ts',
            ),
          );
          continue;
        }
        const value = ctx.config.retention[cls.configKey];
        const policyMax = policyMaxDays(def.retention);
        const schemaMax = schemaMaximum(cls.configKey);
        const limit = policyMax ?? schemaMax;
        const unit = cls.unit;
        const expected = [
          `policy: ${cls.policy}`,
          policyMax !== undefined ? `≤ ${policyMax} days (POLICY_MAX_DAYS.${cls.policyMaxKey})` : undefined,
          schemaMax !== undefined ? `config schema ≤ ${schemaMax} ${unit}` : undefined,
        ]
          .filter(Boolean)
          .join('; ');
        const ok = typeof value === 'number' && (limit === undefined || value <= limit) && (schemaMax === undefined || value <= schemaMax);
        rows.push(
          row(
            check,
            `${tableName(ctx.namePrefix, def.id)} (class ${def.retention})`,
            `retention.${cls.configKey}`,
            `${String(value)} ${unit}`,
            expected,
            ctx.configFile,
            ok,
          ),
        );
      }
      return rows;
    },
  },

  'config.jurisdictions': {
    title: 'Config: where providers process data, and the jurisdictions and offer regions routing may use',
    run(ctx) {
      const check = 'config.jurisdictions';
      const allowed = ctx.config.allowedJurisdictions;
      // Read structurally: older configs have no offer-region constraint.
      const offerRegions = (ctx.config as { readonly allowedOfferRegions?: readonly string[] }).allowedOfferRegions;
      const rows: EvidenceRow[] = [
        row(
          check,
          'router config',
          'allowedJurisdictions',
          allowed ?? '(not set: every configured provider may be used)',
          "the operator's choice",
          ctx.configFile,
          true,
        ),
        row(
          check,
          'router config',
          'allowedOfferRegions',
          offerRegions ?? '(not set: offers are not restricted by region)',
          "the operator's choice",
          ctx.configFile,
          true,
        ),
      ];
      for (const p of [...ctx.config.providers].sort((a, b) => a.id.localeCompare(b.id))) {
        const routable = !allowed || allowed.includes(p.jurisdiction ?? '');
        rows.push(
          row(
            check,
            `provider ${p.id}`,
            'jurisdiction',
            p.jurisdiction ?? '(unset)',
            routable ? 'routable' : 'excluded by routing',
            ctx.configFile,
            true,
          ),
        );
      }
      return rows;
    },
  },

  'config.providersHttps': {
    title: 'Config: provider endpoints with an explicit base URL use HTTPS',
    run(ctx) {
      const check = 'config.providersHttps';
      return [...ctx.config.providers]
        .filter((p) => p.baseUrl !== undefined)
        .sort((a, b) => a.id.localeCompare(b.id))
        .map((p) => row(check, `provider ${p.id}`, 'baseUrl', p.baseUrl, 'https://…', ctx.configFile, p.baseUrl!.startsWith('https://')));
    },
  },
};
