/**
 * The key holder's page (GET /v1/dashboard): a read-only view of their own limits, budgets and
 * usage. The page itself is public and holds no data; its script asks for the key, keeps it in one
 * variable for the life of the tab (never in a URL, a cookie or storage) and calls GET /v1/key and
 * GET /v1/usage with it, relative to the page so a stage path works. No chart library: bars are
 * widths, so the api bundle stays small. The CSP allows exactly this inline script and style (hashes).
 */
import { createHash } from 'node:crypto';
import type { HttpResult } from './http-result';

const STYLE = `body{font-family:system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2430}
header{background:#1d2430;color:#fff;padding:12px 24px}h1{margin:0;font-size:20px}main{padding:16px 24px;max-width:1000px}
section{background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:12px 16px;margin-bottom:16px}
h2{font-size:15px;margin:4px 0 10px}table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #edf0f3}td.bar{width:35%}
.bar div{background:#dd6b20;height:10px;border-radius:2px}input{font:inherit;width:420px;padding:4px 6px}
button{font:inherit;padding:4px 10px}#status.error{color:#c53030}`;

const SCRIPT = `'use strict';
let key = '';
const $ = (id) => document.getElementById(id);
const td = (tr, text) => { const c = document.createElement('td'); c.textContent = text; tr.appendChild(c); return c; };
// Dollars as a person reads them: cents for sums, the decimals a small cost needs, never 1.8e-7.
const usd = (n) => (n === null || n === undefined ? 'none' : n === 0 ? '$0' : n >= 0.01 ? '$' + n.toFixed(2) : '$' + n.toFixed(9).replace(/0+$/, ''));
async function get(path) {
  const res = await fetch(path, { headers: { authorization: 'Bearer ' + key }, cache: 'no-store', referrerPolicy: 'no-referrer' });
  const data = await res.json();
  if (!res.ok) throw new Error((data && data.error && data.error.message) || 'HTTP ' + res.status);
  return data;
}
function limits(status) {
  const body = $('limits').tBodies[0];
  body.replaceChildren();
  for (const scope of ['key', 'account']) {
    const l = status.limits[scope];
    const tr = document.createElement('tr');
    td(tr, scope); td(tr, l.rpm ?? 'none'); td(tr, l.tpm ?? 'none'); td(tr, usd(l.dailyBudgetUsd)); td(tr, usd(l.monthlyBudgetUsd));
    body.appendChild(tr);
  }
  const budgets = $('budgets').tBodies[0];
  budgets.replaceChildren();
  for (const b of status.budgets) {
    const tr = document.createElement('tr');
    td(tr, b.scope); td(tr, b.period); td(tr, usd(b.limitUsd)); td(tr, usd(b.spentUsd)); td(tr, usd(b.remainingUsd));
    budgets.appendChild(tr);
  }
  if (!status.budgets.length) {
    const tr = document.createElement('tr');
    td(tr, 'No budget applies to this key or its account.').colSpan = 5;
    budgets.appendChild(tr);
  }
}
function usage(id, rows) {
  const body = $(id).tBodies[0];
  body.replaceChildren();
  const max = Math.max(0, ...rows.map((r) => r.costUsd));
  for (const r of rows) {
    const tr = document.createElement('tr');
    Object.assign(tr.dataset, { group: r.group, requests: r.requests, tokens: r.promptTokens + r.completionTokens, costUsd: r.costUsd, savingsUsd: r.savingsUsd });
    td(tr, r.group); td(tr, r.requests); td(tr, r.promptTokens + r.completionTokens); td(tr, usd(r.costUsd)); td(tr, usd(r.savingsUsd));
    const bar = document.createElement('div');
    bar.style.width = (max > 0 ? (100 * r.costUsd) / max : 0) + '%';
    td(tr, '').className = 'bar';
    tr.lastChild.appendChild(bar);
    body.appendChild(tr);
  }
}
async function show() {
  key = $('key').value.trim();
  $('key').value = '';
  try {
    const [status, byDay, byModel] = await Promise.all([get('key'), get('usage?by=day'), get('usage?by=model')]);
    limits(status.data);
    usage('by-day', byDay.data);
    usage('by-model', byModel.data);
    $('who').textContent = 'Account ' + status.data.accountId + ', key ' + status.data.keyId;
    $('data').hidden = false;
    $('status').textContent = '';
    $('status').className = '';
    document.body.dataset.loaded = 'true';
  } catch (err) {
    key = '';
    $('status').textContent = err.message;
    $('status').className = 'error';
  }
}
$('show').addEventListener('click', show);
$('key').addEventListener('keydown', (e) => { if (e.key === 'Enter') show(); });
$('forget').addEventListener('click', () => { key = ''; $('data').hidden = true; delete document.body.dataset.loaded; });`;

const hash = (s: string) => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;

const CSP = `default-src 'none'; script-src ${hash(SCRIPT)}; style-src ${hash(STYLE)}; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

const HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>Your usage · Cheap Token Router</title><style>${STYLE}</style></head>
<body><header><h1>Your usage</h1></header><main>
<section><h2>API key</h2><p>Paste your key to see its limits and your account's usage this month. It stays in this tab only.</p>
<input id="key" type="password" autocomplete="off" spellcheck="false" placeholder="sk-ctr-…"> <button id="show" type="button">Show</button>
<button id="forget" type="button">Forget key</button><p id="status" role="status"></p></section>
<div id="data" hidden><p id="who"></p>
<section><h2>Limits</h2><table id="limits"><thead><tr><th>Scope</th><th>RPM</th><th>TPM</th><th>Daily budget</th><th>Monthly budget</th></tr></thead><tbody></tbody></table>
<h2>Budgets</h2><table id="budgets"><thead><tr><th>Scope</th><th>Period</th><th>Limit</th><th>Spent</th><th>Remaining</th></tr></thead><tbody></tbody></table></section>
<section><h2>By day</h2><table id="by-day"><thead><tr><th>Day</th><th>Requests</th><th>Tokens</th><th>Spend</th><th>Saved</th><th></th></tr></thead><tbody></tbody></table></section>
<section><h2>By model</h2><table id="by-model"><thead><tr><th>Model</th><th>Requests</th><th>Tokens</th><th>Spend</th><th>Saved</th><th></th></tr></thead><tbody></tbody></table></section>
</div></main><script>${SCRIPT}</script></body></html>`;

/** The page as a response; the same bytes for everyone (it carries no data). */
export function dashboardPage(): HttpResult {
  return {
    status: 200,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': CSP,
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
    },
    body: HTML,
  };
}
