/** Writes the router config's JSON Schema to config/router-config.schema.json (`npm run schema`). */
import { writeFileSync } from 'node:fs';
import { configJsonSchema } from '../lambdas/core/config';

writeFileSync(new URL('../config/router-config.schema.json', import.meta.url), `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
