// The MCP Inspector CLI (@modelcontextprotocol/inspector v2, --cli) against
// the real binary, over stdio and over Streamable HTTP with the bearer
// header: tools/list with its --strict schema-portability check, which must
// find nothing at all (no error and no warning), and tools/call. Both in the
// legacy protocol era (its default for ad-hoc targets) and in the modern one
// (2026-07-28).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { startAuthProxy } from '../lib/authproxy.js';
import { MODERN_VERSION } from '../lib/clients.js';
import { binary, cleanEnv, createManagementKey, freshDB, ISSUED_KEY, KEY_LIMIT, startHTTP, stopProcess, TOOL_NAMES, toolSnapshots, track, tempDir } from '../lib/keysmith.js';

const require = createRequire(import.meta.url);
const inspectorDir = path.dirname(require.resolve('@modelcontextprotocol/inspector/package.json'));
const inspector = path.join(inspectorDir, require('@modelcontextprotocol/inspector/package.json').bin['mcp-inspector']);

// The inspector CLI's exit code for a tool result with isError: true. (It
// exits 6 when --strict finds an error-severity portability problem; the
// tests below want exit 0 and no finding at all, warnings included.)
const TOOL_ERROR = 5;

/** Runs the inspector CLI and parses its --format json output. */
function runInspector(args) {
  const home = tempDir('inspector-home-');
  const child = track(
    spawn(process.execPath, [inspector, '--cli', '--format', 'json', ...args], {
      env: cleanEnv({ HOME: home, MCP_CATALOG_PATH: path.join(home, 'mcp.json'), CI: 'true', NO_COLOR: '1' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stopProcess(child);
      reject(new Error(`inspector ${args.join(' ')} did not finish within 60s\n${stderr}`));
    }, 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      let json;
      try {
        json = JSON.parse(stdout);
      } catch {
        json = undefined;
      }
      resolve({ code, stdout, stderr, json });
    });
  });
}

function describeRun(r) {
  return `exit ${r.code}\nstdout: ${r.stdout.slice(0, 2000)}\nstderr: ${r.stderr.slice(0, 4000)}`;
}

/** tools/list --strict must pass with no portability finding at all. */
function assertCleanList(r) {
  assert.equal(r.code, 0, describeRun(r));
  assert.ok(r.json?.result, describeRun(r));
  assert.equal(r.json.schemaFindings, undefined, `--strict findings:\n${JSON.stringify(r.json.schemaFindings, null, 2)}`);
  assert.doesNotMatch(r.stderr, /Schema portability|portability error/, r.stderr);
  assert.deepEqual(r.json.result.tools.map((t) => t.name), TOOL_NAMES);
  const snaps = toolSnapshots();
  for (const [i, tool] of r.json.result.tools.entries()) {
    for (const field of ['name', 'title', 'description', 'inputSchema', 'outputSchema', 'annotations']) {
      assert.deepEqual(tool[field], snaps[i][field], `${tool.name}.${field} as the inspector sees it`);
    }
  }
}

describe('MCP Inspector CLI', () => {
  let server;
  let key;
  let proxy;
  let stdioDB;
  before(async () => {
    const db = freshDB();
    key = createManagementKey(db);
    server = await startHTTP(db);
    proxy = await startAuthProxy(server.base, key);
    stdioDB = freshDB();
  });
  after(async () => {
    await proxy?.close();
    await server?.stop();
  });

  const stdioTarget = () => [binary(), 'stdio', '--db', stdioDB, '--key-limit', String(KEY_LIMIT)];
  const httpTarget = () => ['--server-url', server.url, '--header', `Authorization: Bearer ${key}`];

  for (const era of ['legacy', 'modern']) {
    const eraArgs = era === 'modern' ? ['--protocol-era', 'modern'] : [];

    it(`stdio, ${era} era: tools/list --strict is clean`, async () => {
      assertCleanList(await runInspector([...eraArgs, '--method', 'tools/list', '--strict', ...stdioTarget()]));
    });

    it(`Streamable HTTP with a bearer key, ${era} era: tools/list --strict is clean`, async () => {
      assertCleanList(await runInspector([...eraArgs, '--method', 'tools/list', '--strict', ...httpTarget()]));
    });

    it(`stdio, ${era} era: tools/call create_api_key, then a refused revoke`, async () => {
      const made = await runInspector([
        ...eraArgs, '--method', 'tools/call', '--tool-name', 'create_api_key',
        '--tool-args-json', JSON.stringify({ name: `inspector ${era}`, application: `inspector-${era}`, scopes: ['read'] }),
        ...stdioTarget(),
      ]);
      assert.equal(made.code, 0, describeRun(made));
      const { key: record, secret } = made.json.result.structuredContent;
      assert.equal(record.application, `inspector-${era}`);
      assert.match(secret, ISSUED_KEY);
      if (era === 'modern') {
        assert.equal(made.json.result._meta?.['io.modelcontextprotocol/serverInfo']?.name, 'keysmith', 'a 2026-07-28 result');
      }

      const refused = await runInspector([
        ...eraArgs, '--method', 'tools/call', '--tool-name', 'revoke_api_key',
        '--tool-args-json', JSON.stringify({ key_id: record.id }),
        ...stdioTarget(),
      ]);
      assert.equal(refused.code, TOOL_ERROR, describeRun(refused));
      assert.equal(refused.json.result.isError, true);
      assert.equal(refused.json.result.structuredContent.error.code, 'CONFIRMATION_REQUIRED');
      assert.match(refused.json.result.content[0].text, /^CONFIRMATION_REQUIRED: /);
    });

    it(`Streamable HTTP with a bearer key, ${era} era: tools/call create_api_key and list_api_keys`, async () => {
      const made = await runInspector([
        ...eraArgs, '--method', 'tools/call', '--tool-name', 'create_api_key',
        '--tool-arg', `name=inspector-http-${era}`, `application=http-${era}`,
        ...httpTarget(),
      ]);
      assert.equal(made.code, 0, describeRun(made));
      const id = made.json.result.structuredContent.key.id;
      const listed = await runInspector([
        ...eraArgs, '--method', 'tools/call', '--tool-name', 'list_api_keys',
        '--tool-arg', `application=http-${era}`,
        ...httpTarget(),
      ]);
      assert.equal(listed.code, 0, describeRun(listed));
      assert.deepEqual(listed.json.result.structuredContent.keys.map((k) => k.id), [id]);
    });
  }

  it(`through a recording proxy: the modern era really speaks ${MODERN_VERSION} (no initialize), the legacy era initializes`, async () => {
    const seen = (from) => proxy.requests.slice(from).filter((r) => r.method === 'POST');
    let from = proxy.requests.length;
    const modern = await runInspector(['--protocol-era', 'modern', '--method', 'tools/list', '--server-url', `${proxy.url}/mcp`]);
    assert.equal(modern.code, 0, describeRun(modern));
    const modernPosts = seen(from);
    assert.ok(modernPosts.length >= 1);
    for (const r of modernPosts) assert.equal(r.headers['mcp-protocol-version'], MODERN_VERSION);
    assert.ok(!modernPosts.some((r) => r.headers['mcp-method'] === 'initialize'));

    from = proxy.requests.length;
    const legacy = await runInspector(['--method', 'tools/list', '--server-url', `${proxy.url}/mcp`]);
    assert.equal(legacy.code, 0, describeRun(legacy));
    const legacyPosts = seen(from);
    assert.ok(legacyPosts.length >= 2);
    assert.equal(legacyPosts[0].headers['mcp-protocol-version'], undefined, 'initialize comes first, with no version header');
  });
});
