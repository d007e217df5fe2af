/** `ctr help`: every command and option of the CLI. */
export const HELP = `Usage: ctr <command> [options]

Accounts
  accounts create <id> [--email e] [--company c] [limits] [--json]
  accounts list [--json]
  accounts show <id> [--json]
  accounts update <id> [--email e] [--company c] [--status active|suspended] [limits] [--json]
  accounts close <id>                       revoke its keys; data kept for the grace period, then deleted
Keys (the secret is shown once)
  keys create --account <id> [--create-account] [--name n] [--expires ISO-time] [limits] [--json]
                                            the account must exist, unless --create-account (a bare one)
  keys list --account <id> [--json]
  keys revoke <key-id>
  keys rotate <key-id> [--json]             new key with the same settings; the old one is revoked
  keys limits <key-id> [limits] [--json]
Usage and billing
  usage --account <id> [--by hour|day|model|provider|key] [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--json|--csv]
  statement --account <id> --month YYYY-MM [--json|--csv]
Support communications (kept until resolved, then for the configured period)
  support open --account <id> --message "…" [--author customer|operator]
  support reply --account <id> <ticket-id> --message "…" [--author customer|operator]
  support resolve --account <id> <ticket-id>
  support list --account <id> [--json]
Data-subject rights (policy §6), each recorded in the privacy audit trail
  privacy export <id> [--out file]           everything held about the account, as JSON
  privacy correct <id> [--email e] [--company c]
  privacy restrict <id> [--off]              refuse the account's keys (restriction of processing)
  privacy object <id> [--off]                keep the account out of anonymized statistics
  privacy erase <id> --yes                   crypto-shred and delete; billing kept pseudonymized (§8)
  privacy audit <id> [--json]
Console
  console [--port N]                        a local web page (127.0.0.1 only) with accounts, keys, limits and usage charts
Catalog (generated from @pydantic/genai-prices × enabled providers × data/model-identity.json)
  catalog build [--config file] [--as-of YYYY-MM-DD] [--check]   regenerate "models"; --check only compares
  catalog diff [--config file] [--as-of YYYY-MM-DD] [--json]     what a regeneration would change

limits: --rpm N --tpm N --daily-budget USD --monthly-budget USD

Store: the running local server's DynamoDB Local (or .local/dynamodb). For a deployed stack set
CTR_ADMIN_URL=<EndpointUrl without /v1> (and AWS_PROFILE): signed with SigV4, needs only
execute-api:Invoke on /admin/*. Direct table access: CTR_REMOTE=1, AWS_REGION, CTR_TABLE_PREFIX=ctr-
and CTR_KMS_KEY_ARN (stack outputs).`;
