/*
 * The console page: accounts, keys and limits through the console's JSON endpoints, and usage charts
 * (Chart.js). Mutating calls carry the per-session token the server put in the page. Data is written
 * into the page with textContent only, never as HTML. A new key's secret is shown once and kept nowhere.
 */

const csrf = document.querySelector('meta[name="ctr-csrf"]').content;
const $ = (id) => document.getElementById(id);
const state = { accountId: null, by: 'day', charts: {}, accounts: [] };

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

const usd = (n) => (n === null || n === undefined ? '—' : `$${n}`);

async function loadAccounts() {
  state.accounts = (await api('GET', '/api/accounts')).data;
  const body = $('accounts').tBodies[0];
  body.replaceChildren();
  for (const a of state.accounts) {
    const tr = document.createElement('tr');
    tr.className = `selectable${a.accountId === state.accountId ? ' selected' : ''}`;
    tr.dataset.accountId = a.accountId;
    cell(tr, a.accountId);
    cell(tr, a.status);
    cell(tr, usd(a.limits.monthlyBudgetUsd));
    cell(tr, usd(a.limits.dailyBudgetUsd));
    cell(tr, a.limits.rpm ?? '—');
    cell(tr, a.limits.tpm ?? '—');
    tr.addEventListener('click', () => selectAccount(a.accountId));
    body.appendChild(tr);
  }
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
  await Promise.all([loadKeys(), loadUsage()]);
}

async function loadKeys() {
  const keys = (await api('GET', `/api/accounts/${encodeURIComponent(state.accountId)}/keys`)).data;
  const body = $('keys').tBodies[0];
  body.replaceChildren();
  for (const k of keys) {
    const tr = document.createElement('tr');
    tr.dataset.keyId = k.keyId;
    cell(tr, k.keyId);
    cell(tr, k.name);
    cell(tr, k.prefix);
    cell(tr, k.status, `status-${k.status}`);
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

function drawChart(id, labels, datasets, wholeNumbers = false) {
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
      scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: wholeNumbers ? { precision: 0 } : {} } },
      plugins: { legend: { display: datasets.length > 1 } },
    },
  });
}

async function loadUsage() {
  const q = new URLSearchParams({ by: state.by, from: $('usage-from').value, to: $('usage-to').value });
  const rows = (await api('GET', `/api/accounts/${encodeURIComponent(state.accountId)}/usage?${q}`)).data;
  const labels = rows.map((r) => r.group);
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
  const sum = (key) => rows.reduce((s, r) => s + r[key], 0);
  const cost = sum('costNanoUsd') / 1e9;
  const saved = (sum('referenceCostNanoUsd') - sum('costNanoUsd')) / 1e9;
  $('usage-summary').textContent =
    `${sum('requests')} requests · ${sum('promptTokens') + sum('completionTokens')} tokens · $${cost.toFixed(6)} spent · $${saved.toFixed(6)} saved`;
  document.body.dataset.usageLoaded = `${state.accountId}|${state.by}|${rows.length}`;
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
  for (const id of ['usage-from', 'usage-to']) $(id).addEventListener('change', () => act('', loadUsage));
}

wire();
act('', async () => {
  await loadAccounts();
  if (state.accounts[0]) await selectAccount(state.accounts[0].accountId);
  document.body.dataset.ready = 'true';
});
