/**
 * The API Gateway resources (lib/router-api.ts) and the functions' route table
 * (lambdas/handlers/routes.ts) describe the same API: every route the functions serve is reachable
 * through a method of the deployed API that invokes that same function, and every API method has a
 * route behind it.
 */
import { describe, expect, it } from 'vitest';
import { routeTable } from '../../lambdas/handlers/routes';
import { ROUTER_ROUTES } from '../../lib/router-api';

/** An API Gateway path as a regular expression: `{name}` is one segment, `{name+}` the rest. */
const gatewayPattern = (path: string) => new RegExp(`^${path.replace(/\{[a-zA-Z]+\+\}/g, '.+').replace(/\{[a-zA-Z]+\}/g, '[^/]+')}$`);
/** A concrete path for a route pattern: `:name` → one segment, `:name+` → two. */
const samplePath = (path: string) => path.replace(/:[a-zA-Z]+\+/g, 'a/b').replace(/:[a-zA-Z]+/g, 'x');

describe('API Gateway routes and the route table', () => {
  it.each(routeTable.routes.map((r) => [`${r.method} ${r.path} → ${r.fn}`, r] as const))(
    '%s is deployed to the same function',
    (_name, route) => {
      const path = samplePath(route.path);
      const methods = ROUTER_ROUTES.filter((g) => gatewayPattern(g.path).test(path) && (g.method === 'ANY' || g.method === route.method));
      expect(methods.map((g) => g.target)).toContain(route.fn);
    },
  );

  it('has a route behind every API method', () => {
    const orphans = ROUTER_ROUTES.filter(
      (g) => !routeTable.routes.some((r) => r.fn === g.target && gatewayPattern(g.path).test(samplePath(r.path))),
    );
    expect(orphans).toEqual([]);
  });
});
