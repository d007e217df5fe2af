/**
 * The config as the deployed functions carry it: the offline `mock` provider and the models only it
 * serves exist for local mode and tests, so they are left out of the cloud bundles unless
 * `deployment.mockInCloud` asks for them; the catalog generator's inputs (`catalog`) and the editor's
 * `$schema` are build-time data and are left out too.
 */
import type { RouterConfig } from './config';

/**
 * What a cloud bundle inlines of a validated config.
 *
 * @example
 * cloudConfig(parseConfig(raw)).models.some((m) => m.id === 'mock/echo-small') // false
 */
export function cloudConfig(config: RouterConfig): Omit<RouterConfig, '$schema' | 'catalog'> {
  const { $schema: _schema, catalog: _catalog, ...rest } = config;
  if (config.deployment.mockInCloud) return rest;
  const mock = new Set(config.providers.filter((p) => p.kind === 'mock').map((p) => p.id));
  const models = config.models
    .map((m) => ({ ...m, offers: m.offers.filter((o) => !mock.has(o.provider)) }))
    .filter((m) => m.offers.length > 0);
  return { ...rest, providers: config.providers.filter((p) => !mock.has(p.id)), models };
}
