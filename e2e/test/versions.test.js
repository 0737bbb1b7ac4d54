// Every protocol version mcp-go negotiates gets an initialize (or, for the
// sessionless 2026-07-28, server/discover), a tools/list and tool calls, over
// stdio and over Streamable HTTP. The versions keysmith offers are read from
// its own server/discover answer, so a new mcp-go version that this suite
// does not cover fails here.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import readline from 'node:readline';
import { after, before, describe, it } from 'node:test';

import { ALL_VERSIONS, callOK, connect, LEGACY_VERSIONS, MODERN_VERSION } from '../lib/clients.js';
import { createManagementKey, freshDB, ISSUED_KEY, startHTTP, stdioServer, stopProcess, TOOL_NAMES, toolSnapshots, track } from '../lib/keysmith.js';

/** A tool as the client parsed it, compared with the Go snapshot of tools/list. */
function assertToolsMatchSnapshots(tools) {
  assert.deepEqual(JSON.parse(JSON.stringify(tools)), toolSnapshots());
}

async function exercise(c) {
  assertToolsMatchSnapshots(c.tools);
  // One application per version and transport: the key limit is per application.
  const application = `v${c.version}-${c.requests.length ? 'http' : 'stdio'}`;
  const created = await callOK(c, 'create_api_key', { name: `v ${c.version}`, application });
  assert.match(created.sc.secret, ISSUED_KEY);
  const listed = await callOK(c, 'list_api_keys', { application, limit: 1 });
  assert.equal(listed.sc.keys[0].id, created.sc.key.id);
  const verified = await callOK(c, 'verify_api_key', { key: created.sc.secret });
  assert.equal(verified.sc.valid, true);
}

describe('protocol versions', () => {
  let http;
  let key;
  before(async () => {
    const db = freshDB();
    key = createManagementKey(db);
    http = await startHTTP(db);
  });
  after(async () => {
    await http?.stop();
  });

  for (const version of LEGACY_VERSIONS) {
    it(`${version} over stdio (TypeScript SDK): initialize, tools/list, tools/call`, async () => {
      const c = await connect({ sdk: 'v1', stdio: stdioServer(freshDB()), version });
      try {
        assert.equal(c.version, version, 'keysmith answers initialize with the version asked for');
        await exercise(c);
      } finally {
        await c.close();
      }
    });

    it(`${version} over Streamable HTTP (TypeScript SDK): initialize, tools/list, tools/call`, async () => {
      const c = await connect({ sdk: 'v1', url: http.url, key, version });
      try {
        assert.equal(c.version, version);
        await exercise(c);
        const [init, ...rest] = c.requests.filter((r) => r.method === 'POST');
        assert.match(String(init.body), /"method":"initialize"/);
        for (const r of rest) {
          assert.equal(r.headers.get('mcp-protocol-version'), version, 'the SDK sends the negotiated version');
          assert.equal(r.headers.get('mcp-session-id'), null, 'stateless: no session id');
        }
      } finally {
        await c.close();
      }
    });
  }

  it(`${MODERN_VERSION} over stdio (TypeScript SDK v2 client): server/discover, tools/list, tools/call`, async () => {
    const c = await connect({ sdk: 'v2', stdio: stdioServer(freshDB()) });
    try {
      assert.equal(c.version, MODERN_VERSION);
      await exercise(c);
    } finally {
      await c.close();
    }
  });

  it(`${MODERN_VERSION} over Streamable HTTP (TypeScript SDK v2 client): no initialize, versioned headers`, async () => {
    const c = await connect({ sdk: 'v2', url: http.url, key });
    try {
      assert.equal(c.version, MODERN_VERSION);
      await exercise(c);
      const posts = c.requests.filter((r) => r.method === 'POST');
      assert.ok(posts.length >= 4);
      for (const r of posts) {
        const body = JSON.parse(String(r.body));
        assert.notEqual(body.method, 'initialize');
        assert.equal(r.headers.get('mcp-protocol-version'), MODERN_VERSION);
        assert.equal(r.headers.get('mcp-method'), body.method);
        assert.equal(body.params?._meta?.['io.modelcontextprotocol/protocolVersion'], MODERN_VERSION);
      }
      assert.ok(posts.some((r) => JSON.parse(String(r.body)).method === 'tools/call'));
    } finally {
      await c.close();
    }
  });

  it(`${MODERN_VERSION} over stdio as raw JSON-RPC lines: discover offers exactly the versions this suite covers`, async () => {
    const { command, args, env } = stdioServer(freshDB());
    const child = track(spawn(command, args, { env, stdio: ['pipe', 'pipe', 'ignore'] }));
    const lines = readline.createInterface({ input: child.stdout });
    const pending = new Map();
    lines.on('line', (line) => {
      const msg = JSON.parse(line);
      pending.get(msg.id)?.(msg);
    });
    let nextID = 1;
    const meta = {
      'io.modelcontextprotocol/protocolVersion': MODERN_VERSION,
      'io.modelcontextprotocol/clientInfo': { name: 'keysmith-e2e-raw', version: '1.0.0' },
      'io.modelcontextprotocol/clientCapabilities': {},
    };
    const request = (method, params = {}) => {
      const id = nextID++;
      const answer = new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no answer to ${method} within 10s`)), 10_000);
        pending.set(id, (msg) => {
          clearTimeout(timer);
          resolve(msg);
        });
      });
      child.stdin.write(JSON.stringify({ jsonrpc: '2.0', id, method, params: { ...params, _meta: meta } }) + '\n');
      return answer;
    };
    try {
      const discover = await request('server/discover');
      assert.equal(discover.error, undefined, JSON.stringify(discover.error));
      assert.deepEqual(discover.result.supportedVersions.slice().sort(), ALL_VERSIONS.slice().sort(),
        'every version keysmith offers is one this suite drives (update lib/clients.js and the README when mcp-go adds one)');
      assert.deepEqual(discover.result.capabilities, { tools: {} });

      const list = await request('tools/list');
      assert.deepEqual(list.result.tools.map((t) => t.name), TOOL_NAMES);
      assert.deepEqual(list.result.tools, toolSnapshots());

      const created = await request('tools/call', { name: 'create_api_key', arguments: { name: 'raw' } });
      assert.equal(created.result.isError ?? false, false);
      assert.match(created.result.structuredContent.secret, ISSUED_KEY);
      assert.equal(created.result._meta['io.modelcontextprotocol/serverInfo'].name, 'keysmith');

      const refused = await request('tools/call', { name: 'revoke_api_key', arguments: { key_id: created.result.structuredContent.key.id } });
      assert.equal(refused.result.isError, true);
      assert.equal(refused.result.structuredContent.error.code, 'CONFIRMATION_REQUIRED');
    } finally {
      child.stdin.end();
      await stopProcess(child);
    }
  });
});
