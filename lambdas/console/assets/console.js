/*
 * The console page: accounts, keys and limits through the console's JSON endpoints, and usage charts
 * (Chart.js). Mutating calls carry the per-session token the server put in the page. Data is written
 * into the page with textContent only, never as HTML. A new key's secret is shown once and kept nowhere.
 */

const csrf = document.querySelector('meta[name="ctr-csrf"]').content;
const $ = (id) => document.getElementById(id);
const state = { accountId: null, by: 'day', charts: {}, accounts: [], overview: null, keyNames: new Map(), rows: [], timer: null };

function setStatus(text, isError = false) {
  $('status').textContent = text;
  $('status').className = isError ? 'error' : '';
}

async function api(method, path, body) {
  const headers = method === 'GET' ? {} : { 'content-type': 'application/json', 'x-ctr-csrf': csrf };
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await res.json();
  if (!res.ok) throw new Error(data?.error?.message ?? `HTTP ${res.status}`);
  return data;
}

/** Runs an action, reporting its outcome in the status line. */
async function act(what, fn) {
  try {
    await fn();
    setStatus(what);
  } catch (err) {
    setStatus(err.message, true);
  }
}

function cell(row, text, className) {
  const td = document.createElement('td');
  td.textContent = text ?? '';
  if (className) td.className = className;
  row.appendChild(td);
  return td;
}

/** USD as a person reads it: cents for sums, all nine decimals a small cost needs, never `1.8e-7`. */
const money = (n) => {
  if (n === null || n === undefined) return '—';
  if (n === 0) return '$0';
  return n >= 0.01 ? `$${n.toFixed(2)}` : `$${n.toFixed(9).replace(/0+$/, '')}`;
};
const usd = money;
const period = () => ({ from: $('usage-from').value, to: $('usage-to').value });
const reasons = (by) =>
  Object.entries(by ?? {})
    .sort((a, b) => b[1] - a[1])
    .map(([r, n]) => `${r} ×${n}`)
    .join(', ');

/** A used / limit bar with its figures; `share` above 0.8 is near, above 1 over. */
function bar(label, used, limit) {
  const div = document.createElement('div');
  div.className = 'budget';
  const share = limit ? used / limit : 0;
  const outer = document.createElement('span');
  outer.className = `bar${share >= 1 ? ' over' : share >= 0.8 ? ' near' : ''}`;
  const inner = document.createElement('span');
  inner.style.width = `${Math.min(100, share * 100).toFixed(1)}%`;
  outer.appendChild(inner);
  div.append(outer, `${label}: ${money(used)} of ${money(limit)} (${(share * 100).toFixed(1)} %)`);
  return div;
}

async function loadOverview() {
  const o = await api('GET', `/api/overview?${new URLSearchParams(period())}`);
  state.overview = o;
  $('overview-period').textContent = `${o.from} to ${o.to}`;
  const tiles = $('overview-tiles');
  tiles.replaceChildren();
  for (const [label, value, bad] of [
    ['Accounts', o.totals.accounts, false],
    ['Requests', o.totals.requests, false],
    ['Failed', o.totals.errors, o.totals.errors > 0],
    ['Refused', o.totals.refusals, o.totals.refusals > 0],
    ['Spend', money(o.totals.costUsd), false],
  ]) {
    const t = document.createElement('div');
    t.className = `tile${bad ? ' bad' : ''}`;
    t.dataset.tile = label.toLowerCase();
    const b = document.createElement('b');
    b.textContent = String(value);
    t.append(b, label);
    tiles.appendChild(t);
  }
  const rb = $('overview-reasons').tBodies[0];
  rb.replaceChildren();
  for (const [reason, n] of Object.entries(o.totals.refusedBy).sort((a, b) => b[1] - a[1])) {
    const tr = document.createElement('tr');
    cell(tr, reason);
    cell(tr, n, 'bad');
    rb.appendChild(tr);
  }
  $('overview-reasons-empty').hidden = rb.rows.length > 0;
  const kb = $('overview-keys').tBodies[0];
  kb.replaceChildren();
  for (const k of o.topKeys) {
    const tr = document.createElement('tr');
    cell(tr, k.accountId);
    cell(tr, k.name);
    cell(tr, k.requests);
    cell(tr, k.refusals, k.refusals ? 'bad' : '');
    cell(tr, money(k.costUsd));
    kb.appendChild(tr);
  }
  $('overview-keys-empty').hidden = kb.rows.length > 0;
  $('refreshed').textContent = `updated ${new Date().toLocaleTimeString()}`;
}

async function loadAccounts() {
  state.accounts = (await api('GET', '/api/accounts')).data;
  const body = $('accounts').tBodies[0];
  body.replaceChildren();
  const seen = new Map((state.overview?.accounts ?? []).map((x) => [x.accountId, x]));
  for (const a of state.accounts) {
    const tr = document.createElement('tr');
    tr.className = `selectable${a.accountId === state.accountId ? ' selected' : ''}`;
    tr.dataset.accountId = a.accountId;
    const o = seen.get(a.accountId);
    cell(tr, a.accountId);
    cell(tr, a.status);
    cell(tr, o?.requests ?? 0);
    cell(tr, o?.errors ?? 0, o?.errors ? 'bad' : '');
    cell(tr, o?.refusals ?? 0, o?.refusals ? 'bad' : '');
    cell(tr, money(o?.costUsd ?? 0));
    const used = cell(tr, '');
    if (a.limits.monthlyBudgetUsd) used.appendChild(bar('month', o?.costUsd ?? 0, a.limits.monthlyBudgetUsd));
    else used.textContent = '—';
    cell(tr, usd(a.limits.dailyBudgetUsd));
    cell(tr, a.limits.rpm ?? '—');
    cell(tr, a.limits.tpm ?? '—');
    tr.addEventListener('click', () => selectAccount(a.accountId));
    body.appendChild(tr);
  }
  $('accounts-empty').hidden = state.accounts.length > 0;
}

async function selectAccount(accountId) {
  state.accountId = accountId;
  $('account-section').hidden = false;
  $('account-title').textContent = accountId;
  $('secret').hidden = true;
  for (const tr of $('accounts').tBodies[0].rows) tr.classList.toggle('selected', tr.dataset.accountId === accountId);
  const a = state.accounts.find((x) => x.accountId === accountId);
  $('limit-rpm').value = a?.limits.rpm ?? '';
  $('limit-tpm').value = a?.limits.tpm ?? '';
  $('limit-daily').value = a?.limits.dailyBudgetUsd ?? '';
  $('limit-monthly').value = a?.limits.monthlyBudgetUsd ?? '';
  await loadKeys();
  await Promise.all([loadUsage(), loadBudgets()]);
}

/** A key's or account's limits in a few words. */
function limitsText(l) {
  const parts = [];
  if (l.rpm) parts.push(`${l.rpm} rpm`);
  if (l.tpm) parts.push(`${l.tpm} tpm`);
  if (l.dailyBudgetUsd) parts.push(`${money(l.dailyBudgetUsd)}/day`);
  if (l.monthlyBudgetUsd) parts.push(`${money(l.monthlyBudgetUsd)}/month`);
  return parts.join(' · ') || 'none';
}

/** The account's budgets as used / limit bars: this month's and today's spend. */
async function loadBudgets() {
  const a = state.accounts.find((x) => x.accountId === state.accountId);
  const today = new Date().toISOString().slice(0, 10);
  const q = new URLSearchParams({ by: 'day', from: `${today.slice(0, 8)}01`, to: today });
  const days = (await api('GET', `/api/accounts/${encodeURIComponent(state.accountId)}/usage?${q}`)).data;
  const month = days.reduce((s, r) => s + r.costUsd, 0);
  const day = days.find((r) => r.group === today)?.costUsd ?? 0;
  const box = $('budgets');
  box.replaceChildren();
  if (a?.limits.monthlyBudgetUsd) box.appendChild(bar('This month', month, a.limits.monthlyBudgetUsd));
  if (a?.limits.dailyBudgetUsd) box.appendChild(bar('Today', day, a.limits.dailyBudgetUsd));
  if (!box.childNodes.length) box.textContent = 'No budget on this account.';
}

async function loadKeys() {
  const id = encodeURIComponent(state.accountId);
  const [keys, byKey] = await Promise.all([
    api('GET', `/api/accounts/${id}/keys`).then((r) => r.data),
    api('GET', `/api/accounts/${id}/usage?${new URLSearchParams({ by: 'key', ...period() })}`).then((r) => r.data),
  ]);
  state.keyNames = new Map(keys.map((k) => [k.keyId, k.name]));
  const use = new Map(byKey.map((r) => [r.group, r]));
  const body = $('keys').tBodies[0];
  body.replaceChildren();
  for (const k of keys) {
    const tr = document.createElement('tr');
    tr.dataset.keyId = k.keyId;
    const u = use.get(k.keyId);
    cell(tr, k.keyId);
    cell(tr, k.name);
    cell(tr, k.prefix);
    cell(tr, k.status, `status-${k.status}`);
    cell(tr, limitsText(k.limits));
    cell(tr, u?.requests ?? 0);
    cell(tr, u?.refusals ?? 0, u?.refusals ? 'bad' : '');
    cell(tr, u?.lastAt ? u.lastAt.slice(0, 19).replace('T', ' ') : 'never');
    cell(tr, k.createdAt.slice(0, 19).replace('T', ' '));
    const actions = cell(tr, '');
    if (k.status === 'active') {
      actions.append(
        button('Rotate', 'secondary', () => rotateKey(k.keyId)),
        ' ',
        button('Revoke', 'danger', () => revokeKey(k.keyId)),
      );
    }
    body.appendChild(tr);
  }
}

function button(text, className, onClick) {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = text;
  b.className = className;
  b.dataset.action = text.toLowerCase();
  b.addEventListener('click', onClick);
  return b;
}

function showSecret(created) {
  $('secret-key-id').textContent = created.keyId;
  $('secret-value').textContent = created.key;
  $('secret').hidden = false;
}

const rotateKey = (keyId) =>
  act(`Rotated ${keyId}; the old key is revoked.`, async () => {
    showSecret(await api('POST', `/api/keys/${encodeURIComponent(keyId)}/rotate`, {}));
    await loadKeys();
  });

const revokeKey = (keyId) => {
  if (!window.confirm(`Revoke key ${keyId}? Apps using it stop working within 30 s.`)) return;
  return act(`Revoked ${keyId}.`, async () => {
    await api('POST', `/api/keys/${encodeURIComponent(keyId)}/revoke`, {});
    await loadKeys();
  });
};

/** The limits form as the API takes them: empty fields are left unchanged. */
function limitsInput() {
  const out = {};
  for (const [id, field] of [
    ['limit-rpm', 'rpm'],
    ['limit-tpm', 'tpm'],
    ['limit-daily', 'dailyBudgetUsd'],
    ['limit-monthly', 'monthlyBudgetUsd'],
  ]) {
    const v = $(id).value.trim();
    if (v !== '') out[field] = Number(v);
  }
  return out;
}

function drawChart(id, labels, datasets, wholeNumbers = false, stacked = true) {
  const existing = state.charts[id];
  if (existing) {
    existing.data.labels = labels;
    existing.data.datasets = datasets;
    existing.update();
    return;
  }
  state.charts[id] = new window.Chart($(id), {
    type: 'bar',
    data: { labels, datasets },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      scales: { x: { stacked }, y: { stacked, beginAtZero: true, ticks: wholeNumbers ? { precision: 0 } : {} } },
      plugins: { legend: { display: datasets.length > 1 } },
    },
  });
}

async function loadUsage() {
  const q = new URLSearchParams({ by: state.by, from: $('usage-from').value, to: $('usage-to').value });
  const rows = (await api('GET', `/api/accounts/${encodeURIComponent(state.accountId)}/usage?${q}`)).data;
  state.rows = rows;
  // Keys by name (two keys may share one: the id's end tells them apart).
  const labels = rows.map((r) =>
    state.by === 'key' && state.keyNames.has(r.group) ? `${state.keyNames.get(r.group)} (…${r.group.slice(-4)})` : r.group,
  );
  const series = (label, key, color) => ({ label, data: rows.map((r) => r[key]), backgroundColor: color });
  drawChart('chart-requests', labels, [series('Requests', 'requests', '#2b6cb0')], true);
  drawChart(
    'chart-tokens',
    labels,
    [series('Prompt tokens', 'promptTokens', '#3182ce'), series('Completion tokens', 'completionTokens', '#90cdf4')],
    true,
  );
  drawChart('chart-spend', labels, [series('Spend (USD)', 'costUsd', '#dd6b20')]);
  drawChart('chart-savings', labels, [series('Savings (USD)', 'savingsUsd', '#38a169')]);
  drawChart(
    'chart-trouble',
    labels,
    [series('Refused', 'refusals', '#c53030'), series('Failed at the provider', 'errors', '#ed8936')],
    true,
  );
  const pct = (label, key, p, color) => ({ label, data: rows.map((r) => r[key][p]), backgroundColor: color });
  drawChart(
    'chart-latency',
    labels,
    [
      pct('Latency p50', 'latencyMs', 'p50', '#4a5568'),
      pct('Latency p95', 'latencyMs', 'p95', '#a0aec0'),
      pct('First token p50', 'ttftMs', 'p50', '#805ad5'),
    ],
    true,
    false,
  );
  const tb = $('trouble').tBodies[0];
  tb.replaceChildren();
  rows.forEach((r, i) => {
    const tr = document.createElement('tr');
    cell(tr, labels[i]);
    cell(tr, r.requests);
    cell(tr, r.errors, r.errors ? 'bad' : '');
    cell(tr, r.refusals, r.refusals ? 'bad' : '');
    cell(tr, reasons(r.refusedBy));
    cell(tr, r.requests ? `${r.latencyMs.p50} / ${r.latencyMs.p95} ms` : '—');
    cell(tr, r.requests ? `${r.ttftMs.p50} / ${r.ttftMs.p95} ms` : '—');
    tb.appendChild(tr);
  });
  $('trouble-empty').hidden = rows.length > 0;
  const sum = (key) => rows.reduce((s, r) => s + r[key], 0);
  const cost = sum('costNanoUsd') / 1e9;
  const saved = (sum('referenceCostNanoUsd') - sum('costNanoUsd')) / 1e9;
  $('usage-summary').textContent =
    `${sum('requests')} requests · ${sum('errors')} failed · ${sum('refusals')} refused · ${sum('promptTokens') + sum('completionTokens')} tokens · ${money(cost)} spent · ${money(saved)} saved`;
  document.body.dataset.usageLoaded = `${state.accountId}|${state.by}|${rows.length}`;
}

/** The usage rows on screen as CSV (one line per group), downloaded as a file. */
function exportCsv() {
  const cols = [
    ['group', (r) => r.group],
    ['requests', (r) => r.requests],
    ['errors', (r) => r.errors],
    ['refusals', (r) => r.refusals],
    ['refused_by', (r) => reasons(r.refusedBy)],
    ['prompt_tokens', (r) => r.promptTokens],
    ['completion_tokens', (r) => r.completionTokens],
    ['cost_usd', (r) => r.costUsd],
    ['savings_usd', (r) => r.savingsUsd],
    ['latency_p50_ms', (r) => r.latencyMs.p50],
    ['latency_p95_ms', (r) => r.latencyMs.p95],
    ['ttft_p50_ms', (r) => r.ttftMs.p50],
    ['last_at', (r) => r.lastAt],
  ];
  const quote = (v) => (/[",\n]/.test(String(v)) ? `"${String(v).replaceAll('"', '""')}"` : String(v));
  const csv = [cols.map(([h]) => h).join(','), ...state.rows.map((r) => cols.map(([, f]) => quote(f(r))).join(','))].join('\n');
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([`${csv}\n`], { type: 'text/csv' }));
  a.download = `usage-${state.accountId}-by-${state.by}-${$('usage-from').value}-${$('usage-to').value}.csv`;
  a.click();
  URL.revokeObjectURL(a.href);
}

/** Everything on the page again: overview, accounts, the selected account's keys and usage. */
async function refresh() {
  await loadOverview();
  await loadAccounts();
  if (state.accountId) {
    await loadKeys();
    await Promise.all([loadUsage(), loadBudgets()]);
  }
  document.body.dataset.refreshed = String(Number(document.body.dataset.refreshed ?? 0) + 1);
}

function wire() {
  const today = new Date().toISOString().slice(0, 10);
  $('usage-from').value = `${today.slice(0, 8)}01`;
  $('usage-to').value = today;
  $('create-account').addEventListener('click', () => {
    const accountId = $('new-account-id').value.trim();
    const budget = $('new-account-budget').value.trim();
    const input = { accountId, ...(budget ? { limits: { monthlyBudgetUsd: Number(budget) } } : {}) };
    return act(`Created account ${accountId}.`, async () => {
      await api('POST', '/api/accounts', input);
      $('new-account-id').value = '';
      $('new-account-budget').value = '';
      await loadAccounts();
      await selectAccount(accountId);
    });
  });
  $('save-limits').addEventListener('click', () =>
    act('Saved limits.', async () => {
      await api('POST', `/api/accounts/${encodeURIComponent(state.accountId)}`, { limits: limitsInput() });
      await loadAccounts();
    }),
  );
  $('create-key').addEventListener('click', () =>
    act('Created a key.', async () => {
      const name = $('new-key-name').value.trim() || 'default';
      showSecret(await api('POST', `/api/accounts/${encodeURIComponent(state.accountId)}/keys`, { name }));
      $('new-key-name').value = '';
      await loadKeys();
    }),
  );
  $('dismiss-secret').addEventListener('click', () => {
    $('secret-value').textContent = '';
    $('secret').hidden = true;
  });
  for (const b of $('group-tabs').querySelectorAll('button')) {
    b.addEventListener('click', () => {
      state.by = b.dataset.by;
      for (const other of $('group-tabs').querySelectorAll('button')) other.classList.toggle('active', other === b);
      return act('', loadUsage);
    });
  }
  for (const id of ['usage-from', 'usage-to']) $(id).addEventListener('change', () => act('', refresh));
  $('export-csv').addEventListener('click', exportCsv);
  $('auto-refresh').addEventListener('change', () => {
    clearInterval(state.timer);
    state.timer = $('auto-refresh').checked ? setInterval(() => act('', refresh), 10_000) : null;
  });
}

wire();
act('', async () => {
  await loadOverview();
  await loadAccounts();
  if (state.accounts[0]) await selectAccount(state.accounts[0].accountId);
  document.body.dataset.ready = 'true';
});
