import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configJsonSchema } from '../../lambdas/core/config';
import { type JsonSchema, renderConfigReference } from '../../scripts/config-reference';

describe('the configuration reference (docs/configuration.md)', () => {
  it('is what `npm run schema` renders from the current config schema', () => {
    // Prepare
    const committed = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
    // Act
    const fresh = renderConfigReference(configJsonSchema());
    // Assess
    expect(committed, 'docs/configuration.md is stale: run `npm run schema`').toBe(fresh);
  });

  it('documents every field of the schema, nested ones included', () => {
    const schema = configJsonSchema() as JsonSchema & { properties: Record<string, JsonSchema> };
    const doc = renderConfigReference(schema);
    for (const field of Object.keys(schema.properties).filter((f) => f !== '$schema')) expect(doc).toContain(`\`${field}\``);
    for (const nested of ['retention', 'deployment.budgetAlerts', 'providers[].credential', 'models[].offers[].price'])
      expect(doc).toContain(`## \`${nested}\``);
    expect(doc).toMatch(/\| `usageDays` \| integer \| {2}\| `730` \| > 0, ≤ 730 \|/);
  });
});
