// The tools as a real client sees them: what SPEC.md and the README promise
// of names, titles, annotations, input and output schemas, checked on the
// TypeScript SDK's parsed tools/list over stdio and over HTTP, and the same
// view from both transports and both SDKs.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { connect } from '../lib/clients.js';
import { createManagementKey, freshDB, startHTTP, stdioServer, TOOL_NAMES, toolSnapshots } from '../lib/keysmith.js';

// README, "Tools": readOnlyHint, destructiveHint, idempotentHint.
const HINTS = {
  create_api_key: [false, false, false],
  list_api_keys: [true, false, true],
  revoke_api_key: [false, true, true],
  rotate_api_key: [false, true, false],
  verify_api_key: [true, false, true],
};

// SPEC.md, "Tools": arguments, the required ones first.
const ARGS = {
  create_api_key: { required: ['name'], optional: ['application', 'scopes', 'expires_in'] },
  list_api_keys: { required: [], optional: ['application', 'status', 'expiring_within', 'limit', 'cursor'] },
  revoke_api_key: { required: ['key_id', 'confirm'], optional: ['reason'] },
  rotate_api_key: { required: ['key_id'], optional: ['grace_period', 'expires_in'] },
  verify_api_key: { required: ['key'], optional: [] },
};

// SPEC.md, "Tools": the success result of each tool.
const RESULTS = {
  create_api_key: ['key', 'secret'],
  list_api_keys: ['keys', 'next_cursor'],
  revoke_api_key: ['key'],
  rotate_api_key: ['key', 'secret', 'previous'],
  verify_api_key: ['valid', 'code', 'key'],
};

const ERROR_CODES = [
  'VALIDATION_FAILED', 'NOT_FOUND', 'LIMIT_REACHED', 'CONFIRMATION_REQUIRED', 'ALREADY_ROTATED',
  'KEY_NOT_ACTIVE', 'UNAUTHORIZED', 'FORBIDDEN', 'INTERNAL',
];

describe('tools as clients see them', () => {
  const views = {};
  let http;
  const clients = [];
  before(async () => {
    const db = freshDB();
    const key = createManagementKey(db);
    http = await startHTTP(db);
    const setups = {
      'sdk stdio': { sdk: 'v1', stdio: stdioServer(freshDB()) },
      'sdk http': { sdk: 'v1', url: http.url, key },
      'client-v2 stdio': { sdk: 'v2', stdio: stdioServer(freshDB()) },
      'client-v2 http': { sdk: 'v2', url: http.url, key },
    };
    for (const [label, opts] of Object.entries(setups)) {
      const c = await connect(opts);
      clients.push(c);
      views[label] = JSON.parse(JSON.stringify(c.tools));
    }
  });
  after(async () => {
    for (const c of clients) await c.close();
    await http?.stop();
  });

  it('every client sees the same five tools, equal to the Go snapshots', () => {
    const snaps = toolSnapshots();
    for (const [label, tools] of Object.entries(views)) {
      assert.deepEqual(tools, snaps, `${label} sees the tools as tools/testdata/toolsnaps has them`);
    }
  });

  it('each tool has a title, a description for a model, and all four hints', () => {
    for (const tool of views['sdk stdio']) {
      const [readOnly, destructive, idempotent] = HINTS[tool.name];
      assert.equal(typeof tool.title, 'string');
      assert.ok(tool.title.length > 0);
      assert.equal(tool.annotations.title, tool.title);
      assert.ok(tool.description.length >= 100, `${tool.name}: a description written for a model`);
      assert.deepEqual(
        {
          readOnlyHint: tool.annotations.readOnlyHint,
          destructiveHint: tool.annotations.destructiveHint,
          idempotentHint: tool.annotations.idempotentHint,
          openWorldHint: tool.annotations.openWorldHint,
        },
        { readOnlyHint: readOnly, destructiveHint: destructive, idempotentHint: idempotent, openWorldHint: false },
        tool.name,
      );
    }
  });

  it('input schemas: closed objects with described arguments', () => {
    for (const tool of views['sdk stdio']) {
      const schema = tool.inputSchema;
      assert.equal(schema.type, 'object');
      assert.equal(schema.additionalProperties, false, `${tool.name}: additionalProperties false`);
      const { required, optional } = ARGS[tool.name];
      assert.deepEqual((schema.required ?? []).slice().sort(), required.slice().sort(), `${tool.name}: required`);
      assert.deepEqual(Object.keys(schema.properties).sort(), [...required, ...optional].sort(), `${tool.name}: arguments`);
      for (const [name, prop] of Object.entries(schema.properties)) {
        assert.ok(prop.description?.length > 10, `${tool.name}.${name}: described`);
        assert.ok(prop.type, `${tool.name}.${name}: typed`);
      }
    }
    const revoke = views['sdk stdio'].find((t) => t.name === 'revoke_api_key');
    assert.deepEqual(revoke.inputSchema.properties.confirm.enum, ['REVOKE']);
    const list = views['sdk stdio'].find((t) => t.name === 'list_api_keys');
    assert.deepEqual(list.inputSchema.properties.status.enum, ['active', 'expired', 'revoked', 'all']);
    assert.deepEqual([list.inputSchema.properties.limit.minimum, list.inputSchema.properties.limit.maximum], [1, 200]);
  });

  it('output schemas admit the success shape and the error shape', () => {
    for (const tool of views['sdk stdio']) {
      const schema = tool.outputSchema;
      assert.equal(schema.type, 'object');
      assert.deepEqual(Object.keys(schema.properties).sort(), [...RESULTS[tool.name], 'error'].sort(), tool.name);
      assert.ok(schema.anyOf.some((branch) => JSON.stringify(branch.required) === '["error"]'), `${tool.name}: an error branch`);
      const error = schema.properties.error;
      assert.deepEqual(error.required, ['code', 'message', 'details']);
      assert.deepEqual(error.properties.code.enum, ERROR_CODES);
      assert.deepEqual(error.properties.details.items.required, ['field', 'message']);
    }
  });

  it('tool names are the five of SPEC.md', () => {
    assert.deepEqual(views['sdk stdio'].map((t) => t.name), TOOL_NAMES);
  });
});
