#!/usr/bin/env node
// `npx ctr …`: the operator CLI (TypeScript, run through tsx).
import { register } from 'tsx/esm/api';

// Local tooling runs on Node 20; the SDK's notice about its future Node 22 floor is not for operators.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { main } = await import('../lambdas/cli/ctr.ts');
await main(process.argv.slice(2));
