/**
 * The registry of template checks the policy map refers to by id. Each check reads the synthesized
 * templates (or the router config) and returns evidence rows: what was found, what it must be, and
 * where. They are generic over the deployment: every table of TABLES, every log group, every stack.
 */
import { KEY_AND_TABLE_CHECKS } from './checks-keys-and-tables';
import { REGION_AND_CONFIG_CHECKS } from './checks-regions-and-config';
import { SECRET_LOG_API_CHECKS } from './checks-secrets-logs-api';
import type { TemplateCheck } from './template-reading';

export { FORBIDDEN_ACCESS_LOG_VARIABLES, policyMaxDays, renderValue, type TemplateCheck } from './template-reading';

export const TEMPLATE_CHECKS: Readonly<Record<string, TemplateCheck>> = {
  ...KEY_AND_TABLE_CHECKS,
  ...SECRET_LOG_API_CHECKS,
  ...REGION_AND_CONFIG_CHECKS,
};
