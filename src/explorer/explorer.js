// kith API explorer: pick an entity and action, build the params from
// getFields, run the call, read the answer, copy the request as code.
// The api key lives in sessionStorage only (this tab, until it closes).
'use strict';

const $ = (id) => document.getElementById(id);
const KEY = 'kith.explorer.apiKey';
const SITE_KEY = 'kith.explorer.siteKey';
const V4_PATH = '/civicrm/ajax/api4';
const V3_PATH = '/civicrm/ajax/rest';
const OPERATORS = ['=', '!=', '<', '<=', '>', '>=', 'LIKE', 'NOT LIKE', 'IN', 'NOT IN', 'BETWEEN',
  'NOT BETWEEN', 'IS NULL', 'IS NOT NULL', 'IS EMPTY', 'IS NOT EMPTY', 'CONTAINS', 'NOT CONTAINS'];
const NO_VALUE = new Set(['IS NULL', 'IS NOT NULL', 'IS EMPTY', 'IS NOT EMPTY']);
const LIST_VALUE = new Set(['IN', 'NOT IN', 'BETWEEN', 'NOT BETWEEN']);

const state = { mode: '4', fields: [], actions: [], codeTab: 'curl' };

// --- talking to kith -------------------------------------------------------

function credentials() {
  return { apiKey: sessionStorage.getItem(KEY) || '', siteKey: sessionStorage.getItem(SITE_KEY) || '' };
}

// One APIv4 call: {status, body} (body parsed when JSON, else text).
async function api4(entity, action, params) {
  const { apiKey, siteKey } = credentials();
  const headers = {
    'X-Civi-Auth': `Bearer ${apiKey}`,
    'X-Requested-With': 'XMLHttpRequest',
    'Content-Type': 'application/x-www-form-urlencoded',
  };
  if (siteKey) headers['X-Civi-Key'] = siteKey;
  const res = await fetch(`${V4_PATH}/${encodeURIComponent(entity)}/${encodeURIComponent(action)}`, {
    method: 'POST', headers, body: new URLSearchParams({ params: JSON.stringify(params) }),
  });
  return answer(res);
}

async function api3(entity, action, params) {
  const { apiKey, siteKey } = credentials();
  const form = new URLSearchParams({ entity, action, json: JSON.stringify(params), api_key: apiKey });
  if (siteKey) form.set('key', siteKey);
  const res = await fetch(V3_PATH, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Requested-With': 'XMLHttpRequest' },
    body: form,
  });
  return answer(res);
}

async function answer(res) {
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) };
  } catch {
    return { status: res.status, body: text };
  }
}

// The values of a successful APIv4 call, or throws its message.
async function values(entity, action, params) {
  const r = await api4(entity, action, params);
  if (r.status !== 200) throw new Error(errorText(r));
  return r.body.values;
}

function errorText(r) {
  if (r.body && typeof r.body === 'object' && r.body.error_message) return r.body.error_message;
  return typeof r.body === 'string' && r.body ? r.body.trim() : `HTTP ${r.status}`;
}

// --- log in and out --------------------------------------------------------

async function logIn(event) {
  event.preventDefault();
  const error = $('login-error');
  error.hidden = true;
  sessionStorage.setItem(KEY, $('api-key').value.trim());
  sessionStorage.setItem(SITE_KEY, $('site-key').value.trim());
  try {
    await start();
  } catch (e) {
    sessionStorage.removeItem(KEY);
    sessionStorage.removeItem(SITE_KEY);
    error.textContent = `Could not log in: ${e.message}`;
    error.hidden = false;
    $('api-key').focus();
  }
}

function logOut() {
  sessionStorage.removeItem(KEY);
  sessionStorage.removeItem(SITE_KEY);
  $('api-key').value = '';
  $('site-key').value = '';
  for (const id of ['explorer', 'mode', 'session']) $(id).hidden = true;
  $('login').hidden = false;
  $('api-key').focus();
}

// Entity.get answers: the key works. Shows the explorer.
async function start() {
  const entities = await values('Entity', 'get', { select: ['name', 'title'], orderBy: { name: 'ASC' } });
  fill($('entity'), entities.map((e) => [e.name, e.name]));
  fill($('v3-entities'), entities.map((e) => [e.name, e.title || e.name]));
  if (entities.some((e) => e.name === 'Contact')) $('entity').value = 'Contact';
  await entityChosen();
  $('login').hidden = true;
  for (const id of ['explorer', 'mode', 'session']) $(id).hidden = false;
  $('who').textContent = 'Logged in by api key';
  $('entity').focus();
}

// --- the form ----------------------------------------------------------------

function fill(select, pairs) {
  select.replaceChildren(...pairs.map(([value, label]) => {
    const o = document.createElement('option');
    o.value = value;
    o.textContent = label;
    return o;
  }));
}

// The form is inert while an entity's actions and fields load, so that no
// line is added to a form about to be rebuilt.
async function loading(work) {
  $('call').inert = true;
  try {
    await work();
  } finally {
    $('call').inert = false;
  }
}

function entityChosen() {
  return loading(loadActions);
}

async function loadActions() {
  const entity = $('entity').value;
  state.actions = await values(entity, 'getActions', { select: ['name', 'description'] });
  const before = $('action').value;  // kept when the new entity has it too
  fill($('action'), state.actions.map((a) => [a.name, a.name]));
  const names = state.actions.map((a) => a.name);
  $('action').value = names.includes(before) ? before : names.includes('get') ? 'get' : names[0];
  await loadFields();
}

function actionChosen() {
  return loading(loadFields);
}

async function loadFields() {
  const entity = $('entity').value;
  const action = $('action').value;
  const spec = state.actions.find((a) => a.name === action);
  $('action-description').textContent = spec?.description || '';
  try {
    state.fields = await values(entity, 'getFields', {
      action, select: ['name', 'title', 'data_type', 'required', 'readonly', 'options'],
    });
  } catch {
    state.fields = [];  // an action without fields (getActions of an extension entity)
  }
  const names = state.fields.map((f) => [f.name, f.title ? `${f.name} (${f.title})` : f.name]);
  fill($('select'), names);
  for (const box of document.querySelectorAll('#v4-form [data-for]')) {
    box.hidden = !box.dataset.for.split(' ').includes(action);
  }
  for (const rows of ['where-rows', 'order-rows', 'values-rows']) $(rows).replaceChildren();
  if (['create', 'save'].includes(action)) {
    for (const f of state.fields.filter((x) => x.required)) addRow('values', f.name);
  }
  rebuild();
}

// A where, orderBy or values line.
function addRow(kind, field) {
  const line = $('row-template').content.firstElementChild.cloneNode(true);
  const fieldSelect = line.querySelector('.field');
  fill(fieldSelect, state.fields.map((f) => [f.name, f.name]));
  if (field) fieldSelect.value = field;
  const op = line.querySelector('.op');
  const value = line.querySelector('.value');
  if (kind === 'where') {
    fill(op, OPERATORS.map((o) => [o, o]));
    value.placeholder = 'value (JSON or text)';
  } else if (kind === 'order') {
    fill(op, [['ASC', 'ASC'], ['DESC', 'DESC']]);
    line.classList.add('order');
    value.remove();
  } else {
    line.classList.add('no-op');
    value.placeholder = 'value';
  }
  line.querySelector('.remove').addEventListener('click', () => {
    const next = line.nextElementSibling || line.previousElementSibling;
    line.remove();
    rebuild();
    (next?.querySelector('select') || $(`${kind}-add`)).focus();
  });
  $(`${kind}-rows`).append(line);
  rebuild();
  fieldSelect.focus();
}

// A typed value from what was typed: JSON when it reads as JSON (numbers,
// true, lists), else the text.
function typed(text, listy) {
  const t = text.trim();
  if (listy && !t.startsWith('[')) return t === '' ? [] : t.split(',').map((x) => typed(x, false));
  try {
    return JSON.parse(t);
  } catch {
    return text;
  }
}

// The params the form describes, written to the params box.
function rebuild() {
  const action = $('action').value;
  const params = {};
  const shown = (id) => !$(id).hidden;
  if (shown('select-box')) {
    const chosen = [...$('select').selectedOptions].map((o) => o.value);
    if (chosen.length) params.select = chosen;
  }
  if (shown('values-box')) {
    const vals = {};
    for (const line of $('values-rows').children) {
      vals[line.querySelector('.field').value] = typed(line.querySelector('.value').value, false);
    }
    if (action === 'save') params.records = [vals];
    else params.values = vals;
  }
  if (shown('where-box')) {
    const where = [...$('where-rows').children].map((line) => {
      const op = line.querySelector('.op').value;
      const input = line.querySelector('.value');
      input.hidden = NO_VALUE.has(op);
      const clause = [line.querySelector('.field').value, op];
      if (!NO_VALUE.has(op)) clause.push(typed(input.value, LIST_VALUE.has(op)));
      return clause;
    });
    if (where.length) params.where = where;
  }
  if (shown('order-box')) {
    const order = {};
    for (const line of $('order-rows').children) order[line.querySelector('.field').value] = line.querySelector('.op').value;
    if (Object.keys(order).length) params.orderBy = order;
  }
  if (shown('paging-box')) {
    const limit = Number($('limit').value || 0);
    const offset = Number($('offset').value || 0);
    if (limit) params.limit = limit;
    if (offset) params.offset = offset;
  }
  $('params').value = JSON.stringify(params, null, 2);
  showCode();
}

function currentParams() {
  const text = $('params').value.trim();
  const error = $('params-error');
  try {
    const params = text === '' ? {} : JSON.parse(text);
    if (params === null || typeof params !== 'object' || Array.isArray(params)) throw new Error('params must be a JSON object');
    error.hidden = true;
    return params;
  } catch (e) {
    error.textContent = `params: ${e.message}`;
    error.hidden = false;
    return null;
  }
}

function call() {
  return state.mode === '4'
    ? { entity: $('entity').value, action: $('action').value }
    : { entity: $('v3-entity').value.trim(), action: $('v3-action').value.trim() };
}

// --- running -------------------------------------------------------------------

async function run(event) {
  event?.preventDefault();
  const params = currentParams();
  if (params === null) return;
  const { entity, action } = call();
  const status = $('result-status');
  const error = $('result-error');
  status.textContent = 'running…';
  status.className = 'status';
  const started = performance.now();
  let r;
  try {
    r = state.mode === '4' ? await api4(entity, action, params) : await api3(entity, action, params);
  } catch (e) {
    r = { status: 0, body: String(e) };
  }
  const ms = Math.round(performance.now() - started);
  const failed = r.status !== 200 || (r.body && typeof r.body === 'object' && r.body.is_error);
  status.textContent = `HTTP ${r.status || 'failed'} · ${ms} ms` +
    (!failed && r.body && r.body.count !== undefined ? ` · ${r.body.count} record${r.body.count === 1 ? '' : 's'}` : '');
  status.className = `status ${failed ? 'bad' : 'ok'}`;
  error.hidden = !failed;
  if (failed) error.textContent = errorText(r);
  $('result').textContent = typeof r.body === 'string' ? r.body : JSON.stringify(r.body, null, 2);
}

// --- code --------------------------------------------------------------------

const shellQuote = (s) => `'${s.replaceAll("'", "'\\''")}'`;

function php(value, indent = '') {
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (!value.length) return '[]';
    return `[\n${value.map((v) => inner + php(v, inner)).join(',\n')},\n${indent}]`;
  }
  if (value && typeof value === 'object') {
    const entries = Object.entries(value);
    if (!entries.length) return '[]';
    return `[\n${entries.map(([k, v]) => `${inner}${php(k)} => ${php(v, inner)}`).join(',\n')},\n${indent}]`;
  }
  if (typeof value === 'string') return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
  if (value === null) return 'NULL';
  return String(value);
}

function showCode() {
  const params = currentParams() ?? {};
  const { entity, action } = call();
  const origin = window.location.origin;
  const json = JSON.stringify(params);
  const pretty = JSON.stringify(params, null, 2);
  let curl;
  let js;
  let phpCode;
  if (state.mode === '4') {
    curl = `curl -X POST ${shellQuote(`${origin}${V4_PATH}/${entity}/${action}`)} \\\n` +
      '  -H "X-Civi-Auth: Bearer $CIVI_API_KEY" \\\n' +
      `  --data-urlencode ${shellQuote(`params=${json}`)}`;
    js = "// npm install civicrm\nconst crmAPI = require('civicrm')({\n" +
      `  server: '${origin}',\n  api_key: process.env.CIVI_API_KEY,\n});\n\n` +
      `const result = await crmAPI.api4('${entity}', '${action}', ${pretty});\n` +
      'console.log(result.values);';
    phpCode = `$result = civicrm_api4('${entity}', '${action}', ${php(params)});`;
  } else {
    curl = `curl -X POST ${shellQuote(`${origin}${V3_PATH}`)} \\\n` +
      `  --data-urlencode ${shellQuote(`entity=${entity}`)} --data-urlencode ${shellQuote(`action=${action}`)} \\\n` +
      '  --data-urlencode "api_key=$CIVI_API_KEY" --data-urlencode "key=$CIVI_SITE_KEY" \\\n' +
      `  --data-urlencode ${shellQuote(`json=${json}`)}`;
    js = "// npm install civicrm@2\nconst crmAPI = require('civicrm')({\n" +
      `  server: '${origin}',\n  path: '${V3_PATH}',\n  key: process.env.CIVI_SITE_KEY,\n` +
      '  api_key: process.env.CIVI_API_KEY,\n});\n\n' +
      `crmAPI.call('${entity}', '${action}', ${pretty}, (result) => console.log(result));`;
    phpCode = `$result = civicrm_api3('${entity}', '${action}', ${php(params)});`;
  }
  $('code-curl').textContent = curl;
  $('code-js').textContent = js;
  $('code-php').textContent = phpCode;
}

function chooseTab(tab, focus) {
  for (const t of document.querySelectorAll('[role=tab]')) {
    const on = t === tab;
    t.setAttribute('aria-selected', String(on));
    t.tabIndex = on ? 0 : -1;
    $(t.getAttribute('aria-controls')).hidden = !on;
  }
  if (focus) tab.focus();
}

// Arrow keys move between tabs, as a tablist should.
function tabKeys(event) {
  const tabs = [...document.querySelectorAll('[role=tab]')];
  const i = tabs.indexOf(event.target);
  if (i < 0) return;
  const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
  if (!step) return;
  event.preventDefault();
  chooseTab(tabs[(i + step + tabs.length) % tabs.length], true);
}

async function copyCode() {
  const shown = document.querySelector('[role=tabpanel]:not([hidden])');
  try {
    await navigator.clipboard.writeText(shown.textContent);
    $('copy').textContent = 'Copied';
  } catch {
    const range = document.createRange();
    range.selectNodeContents(shown);
    getSelection().removeAllRanges();
    getSelection().addRange(range);
    $('copy').textContent = 'Selected: press Ctrl+C';
  }
  setTimeout(() => { $('copy').textContent = 'Copy'; }, 1500);
}

function modeChosen() {
  state.mode = $('mode-v3').checked ? '3' : '4';
  $('v4-form').hidden = state.mode !== '4';
  $('v3-form').hidden = state.mode !== '3';
  $('params-note').textContent = state.mode === '4' ? 'built from the form above; edit freely' : 'APIv3 params';
  if (state.mode === '3') {
    $('params').value = JSON.stringify({ sequential: 1, options: { limit: 25 } }, null, 2);
    showCode();
    $('v3-entity').focus();
  } else {
    rebuild();
  }
}

// --- wiring ------------------------------------------------------------------

function reportFailure(e) {
  const error = $('result-error');
  error.textContent = e.message;
  error.hidden = false;
}

document.addEventListener('DOMContentLoaded', () => {
  $('login').addEventListener('submit', logIn);
  $('logout').addEventListener('click', logOut);
  $('call').addEventListener('submit', run);
  $('entity').addEventListener('change', () => entityChosen().catch(reportFailure));
  $('action').addEventListener('change', () => actionChosen().catch(reportFailure));
  for (const kind of ['where', 'order', 'values']) {
    $(`${kind}-add`).addEventListener('click', () => addRow(kind));
  }
  // Any change in the builder rewrites the params.
  $('v4-form').addEventListener('input', (e) => { if (!['entity', 'action'].includes(e.target.id)) rebuild(); });
  $('v4-form').addEventListener('change', (e) => { if (!['entity', 'action'].includes(e.target.id)) rebuild(); });
  $('v3-form').addEventListener('input', showCode);
  $('params').addEventListener('input', showCode);
  for (const radio of document.querySelectorAll('input[name=mode]')) radio.addEventListener('change', modeChosen);
  for (const tab of document.querySelectorAll('[role=tab]')) {
    tab.addEventListener('click', () => chooseTab(tab, false));
    tab.addEventListener('keydown', tabKeys);
  }
  $('copy').addEventListener('click', copyCode);
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && !$('explorer').hidden) run(e);
  });
  // Still logged in from earlier in this tab.
  if (sessionStorage.getItem(KEY)) start().catch(() => logOut());
});
