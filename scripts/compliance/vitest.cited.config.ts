/** The project's vitest config plus the assertion counter, for `npm run compliance` (cited-tests.ts). */
import { defineConfig, mergeConfig } from 'vitest/config';
import base from '../../vitest.config.js';

export default mergeConfig(base, defineConfig({ test: { setupFiles: ['scripts/compliance/assertion-count.setup.ts'] } }));
