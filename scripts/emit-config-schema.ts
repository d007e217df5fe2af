/**
 * `npm run schema`: writes the router config's JSON Schema to config/router-config.schema.json (for
 * editors) and its Markdown reference to docs/configuration.md.
 */
import { writeFileSync } from 'node:fs';
import { configJsonSchema } from '../lambdas/core/config';
import { renderConfigReference } from './config-reference';

const schema = configJsonSchema();
writeFileSync(new URL('../config/router-config.schema.json', import.meta.url), `${JSON.stringify(schema, null, 2)}\n`);
writeFileSync(new URL('../docs/configuration.md', import.meta.url), renderConfigReference(schema));
