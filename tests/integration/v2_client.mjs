// The calls every 3.2-dialect suite makes with a role's api key, answered as
// JSON or as XML parsed strictly.
import assert from 'node:assert/strict';
import { parseXmlStrict } from './harness.mjs';

// 3.2 calls against `kith`; `method` is the default HTTP method of every call.
export function v2Calls(kith, { method: defaultMethod = 'GET' } = {}) {
  function creds(role = 'admin') {
    return { key: kith.siteKey, api_key: kith.users[role].apiKey };
  }

  // The HTTP answer of q=civicrm/<fn> with json=1: 200 and text/javascript.
  async function raw(fn, params = {}, { role = 'admin', method = defaultMethod } = {}) {
    const r = await kith.call({ q: `civicrm/${fn}`, ...creds(role), json: 1, ...params }, { method });
    assert.equal(r.status, 200, `HTTP status of ${fn}: ${r.text}`);
    assert.match(r.headers.get('content-type') ?? '', /^text\/javascript/);
    return r;
  }

  async function api(fn, params = {}, opts = {}) {
    return (await raw(fn, params, opts)).json();
  }

  // The same call answered as XML (no json=): a well-formed ResultSet of
  // Results; returns the parsed tree. auth=false leaves out the keys.
  async function apiXml(fn, params = {}, { role = 'admin', method = defaultMethod, auth = true } = {}) {
    const base = auth ? { q: `civicrm/${fn}`, ...creds(role) } : { q: `civicrm/${fn}` };
    const r = await kith.call({ ...base, ...params }, { method });
    assert.equal(r.status, 200, `HTTP status of ${fn}: ${r.text}`);
    assert.match(r.headers.get('content-type') ?? '', /^text\/xml/);
    const root = parseXmlStrict(r.text);
    assert.equal(root.name, 'ResultSet');
    for (const c of root.children) assert.equal(c.name, 'Result');
    return root;
  }

  function assertError(body, message) {
    assert.deepEqual(body, { is_error: 1, error_message: message });
  }

  return { creds, raw, api, apiXml, assertError };
}
