// What a real HTTP client meets beyond the tools: the bearer management key
// (401 without one, and no OAuth detour), scopes (FORBIDDEN), keys bound to
// one application, a revoked management key stopping at once, the Host and
// Origin checks, and several concurrent POST streams.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';

import { callError, callOK, connect } from '../lib/clients.js';
import { admin, createManagementKeyWithID, freshDB, startHTTP } from '../lib/keysmith.js';

/** A raw request with headers fetch would not let us set (Host). */
function rawRequest(url, { method = 'POST', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method, headers }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (data += c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: data }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

const initialize = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});

/** The JSON-RPC messages of a response body, JSON or an event stream. */
function messages(res) {
  if (String(res.headers.get?.('content-type') ?? res.headers['content-type']).includes('text/event-stream')) {
    return res.body
      .split('\n')
      .filter((l) => l.startsWith('data:'))
      .map((l) => JSON.parse(l.slice(5)));
  }
  return [JSON.parse(res.body)];
}

// keysmith answers 429 after 10 failed authentications from one address
// within a minute; this file makes 8 (one request per refused connect), on
// its own server.
describe('Streamable HTTP', () => {
  let server;
  let db;
  const keys = {};
  const open = [];
  before(async () => {
    db = freshDB();
    keys.full = createManagementKeyWithID(db, { name: 'full' });
    keys.reader = createManagementKeyWithID(db, { name: 'reader', scopes: ['keys:read'] });
    keys.shop = createManagementKeyWithID(db, { name: 'shop bot', application: 'shop' });
    server = await startHTTP(db);
  });
  after(async () => {
    for (const c of open) await c.close();
    await server?.stop();
  });
  const client = async (sdk, key) => {
    const c = await connect({ sdk, url: server.url, key });
    open.push(c);
    return c;
  };

  for (const sdk of ['v1', 'v2']) {
    it(`${sdk === 'v1' ? 'TypeScript SDK' : 'SDK v2 client'}: no or a wrong bearer key is refused with 401, and the client tries no OAuth`, async () => {
      for (const key of [undefined, 'ksm_nope', 'ks_0000000000000000000000000000000000000000000000']) {
        const requests = [];
        const err = await connect({ sdk, url: server.url, key, requests }).catch((e) => e);
        assert.ok(err instanceof Error, `connect with key ${key} must fail`);
        assert.match(String(err.message ?? err), /401|Unauthorized/i);
        assert.ok(requests.length >= 1);
        for (const r of requests) {
          assert.equal(new URL(r.url).pathname, '/mcp', `no OAuth discovery request: ${r.method} ${r.url}`);
        }
      }
      const res = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: initialize });
      assert.equal(res.status, 401);
      assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="keysmith"');
      assert.deepEqual(await res.json(), {
        code: 'UNAUTHORIZED',
        error: 'Unauthorized',
        message: 'a valid management key is required: send Authorization: Bearer ksm_…',
      });
    });
  }

  for (const sdk of ['v1', 'v2']) {
    it(`${sdk === 'v1' ? 'TypeScript SDK' : 'SDK v2 client'}: a key without the scope gets FORBIDDEN as a tool result`, async () => {
      const c = await client(sdk, keys.reader.secret);
      await callOK(c, 'list_api_keys', {});
      const err = await callError(c, 'create_api_key', { name: 'nope' }, 'FORBIDDEN');
      assert.match(err.message, /keys:write/);
      await callError(c, 'rotate_api_key', { key_id: '0190a5e4-8c3b-7d2e-9f10-1a2b3c4d5e6f' }, 'FORBIDDEN');
      await callError(c, 'revoke_api_key', { key_id: '0190a5e4-8c3b-7d2e-9f10-1a2b3c4d5e6f', confirm: 'REVOKE' }, 'FORBIDDEN');
    });

    it(`${sdk === 'v1' ? 'TypeScript SDK' : 'SDK v2 client'}: a key bound to one application acts there alone`, async () => {
      const full = await client(sdk, keys.full.secret);
      const shop = await client(sdk, keys.shop.secret);
      const elsewhere = (await callOK(full, 'create_api_key', { name: `elsewhere ${sdk}`, application: `other-${sdk}` })).sc;
      const mine = (await callOK(shop, 'create_api_key', { name: `mine ${sdk}` })).sc;
      assert.equal(mine.key.application, 'shop');
      await callError(shop, 'create_api_key', { name: 'x', application: `other-${sdk}` }, 'FORBIDDEN');
      await callError(shop, 'list_api_keys', { application: `other-${sdk}` }, 'FORBIDDEN');
      await callError(shop, 'revoke_api_key', { key_id: elsewhere.key.id, confirm: 'REVOKE' }, 'NOT_FOUND');
      await callError(shop, 'rotate_api_key', { key_id: elsewhere.key.id }, 'NOT_FOUND');
      const listed = await callOK(shop, 'list_api_keys', { status: 'all' });
      assert.ok(listed.sc.keys.every((k) => k.application === 'shop'));
      assert.equal((await callOK(shop, 'verify_api_key', { key: elsewhere.secret })).sc.valid, false);
      assert.equal((await callOK(full, 'verify_api_key', { key: elsewhere.secret })).sc.valid, true);
      await callError(full, 'create_api_key', { name: 'x', application: 'keysmith' }, 'VALIDATION_FAILED');
    });
  }

  it('a request with a foreign Host header gets 403, with or without Origin (DNS rebinding)', async () => {
    const base = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${keys.full.secret}` };
    const port = new URL(server.url).port;
    const good = await rawRequest(server.url, { headers: { ...base, host: `localhost:${port}` }, body: initialize });
    assert.equal(good.status, 200, good.body);
    const badHost = await rawRequest(server.url, { headers: { ...base, host: 'evil.example.com' }, body: initialize });
    assert.equal(badHost.status, 403, badHost.body);
    const badOrigin = await rawRequest(server.url, { headers: { ...base, host: `127.0.0.1:${port}`, origin: 'http://evil.example.com' }, body: initialize });
    assert.equal(badOrigin.status, 403);
    assert.equal(JSON.parse(badOrigin.body).code, 'FORBIDDEN');
    const goodOrigin = await rawRequest(server.url, { headers: { ...base, host: `127.0.0.1:${port}`, origin: `http://localhost:${port}` }, body: initialize });
    assert.equal(goodOrigin.status, 200);
  });

  it('several concurrent POST requests each get their own answer stream, and GET opens an event stream', async () => {
    const headers = {
      'content-type': 'application/json',
      accept: 'text/event-stream, application/json',
      authorization: `Bearer ${keys.full.secret}`,
      'mcp-protocol-version': '2025-11-25',
    };
    const answers = await Promise.all(
      [0, 1, 2, 3, 4].map(async (i) => {
        const res = await fetch(server.url, {
          method: 'POST',
          headers,
          body: JSON.stringify({ jsonrpc: '2.0', id: 1000 + i, method: 'tools/list', params: {} }),
        });
        return { status: res.status, headers: res.headers, body: await res.text() };
      }),
    );
    answers.forEach((a, i) => {
      assert.equal(a.status, 200);
      const [msg] = messages(a);
      assert.equal(msg.id, 1000 + i);
      assert.equal(msg.result.tools.length, 5);
    });

    const ac = new AbortController();
    const get = await fetch(server.url, { headers: { accept: 'text/event-stream', authorization: headers.authorization }, signal: ac.signal });
    assert.equal(get.status, 200);
    assert.match(get.headers.get('content-type'), /text\/event-stream/);
    ac.abort();
    await get.body?.cancel().catch(() => {});
  });

  it('a revoked management key stops working at once for a connected client', async () => {
    const c = await client('v1', keys.reader.secret);
    await callOK(c, 'list_api_keys', {});
    assert.match(admin(db, 'revoke-key', keys.reader.id), /Revoked management key "reader"/);
    await assert.rejects(c.client.callTool({ name: 'list_api_keys', arguments: {} }), /401|Unauthorized/i);
  });
});
