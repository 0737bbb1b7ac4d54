// The MCP clients the suite drives keysmith with, none of them written here:
//
//   - @modelcontextprotocol/sdk (TypeScript SDK v1) Client, over
//     StdioClientTransport and StreamableHTTPClientTransport: the legacy
//     protocol versions, negotiated through initialize;
//   - @modelcontextprotocol/client (TypeScript SDK v2, the client the MCP
//     Inspector is built on) pinned to 2026-07-28, the sessionless protocol
//     with no initialize.
//
// Both validate the structuredContent of every tools/call result against the
// tool's outputSchema (from the last tools/list), errors included, and throw
// when it does not match. connect() below therefore always lists the tools
// first.
import assert from 'node:assert/strict';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as StdioV1 } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport as HttpV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Client as ClientV2, StreamableHTTPClientTransport as HttpV2 } from '@modelcontextprotocol/client';
import { StdioClientTransport as StdioV2 } from '@modelcontextprotocol/client/stdio';

import { TOOL_NAMES } from './keysmith.js';

/** The protocol versions negotiated through initialize (mcp-go's legacy era). */
export const LEGACY_VERSIONS = ['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25'];
/** The sessionless protocol, reached without initialize. */
export const MODERN_VERSION = '2026-07-28';
/** Every protocol version the suite drives keysmith with. */
export const ALL_VERSIONS = [MODERN_VERSION, ...LEGACY_VERSIONS.slice().reverse()];

const clientInfo = { name: 'keysmith-e2e', version: '1.0.0' };

/** A fetch that records the headers of every request it sends. */
function recordingFetch(requests) {
  return (url, init = {}) => {
    requests.push({ url: String(url), method: init.method ?? 'GET', headers: new Headers(init.headers), body: init.body });
    return fetch(url, init);
  };
}

/**
 * Connects a client and lists its tools.
 * @param {object} o
 * @param {'v1'|'v2'} o.sdk which TypeScript SDK
 * @param {object} [o.stdio] stdio server parameters (from stdioServer)
 * @param {string} [o.url] the /mcp URL, for HTTP
 * @param {string} [o.key] management key, sent as Authorization: Bearer
 * @param {string} [o.version] protocol version to ask for in initialize (v1 only)
 * @param {object[]} [o.requests] where to record the HTTP requests sent (a new array if not given)
 * @returns {Promise<{client, tools, version: string, requests: object[], close: () => Promise<void>, label: string}>}
 */
export async function connect({ sdk, stdio, url, key, version, requests = [] }) {
  let client;
  let transport;
  if (sdk === 'v1') {
    client = new ClientV1(clientInfo);
    if (stdio) {
      transport = new StdioV1({ ...stdio, stderr: 'ignore' });
    } else {
      transport = new HttpV1(new URL(url), {
        requestInit: key ? { headers: { Authorization: `Bearer ${key}` } } : undefined,
        fetch: recordingFetch(requests),
      });
    }
    watchInitialize(transport, version);
  } else {
    assert.equal(version ?? MODERN_VERSION, MODERN_VERSION, 'the v2 client is used for the sessionless protocol only');
    client = new ClientV2(clientInfo, { versionNegotiation: { mode: { pin: MODERN_VERSION } } });
    if (stdio) {
      transport = new StdioV2({ ...stdio, stderr: 'ignore' });
    } else {
      transport = new HttpV2(new URL(url), {
        requestInit: key ? { headers: { Authorization: `Bearer ${key}` } } : undefined,
        fetch: recordingFetch(requests),
      });
    }
  }
  await client.connect(transport);
  const negotiated = sdk === 'v1' ? transport.__initializeVersion : client.getNegotiatedProtocolVersion();
  const { tools } = await client.listTools();
  assert.deepEqual(
    tools.map((t) => t.name),
    TOOL_NAMES,
  );
  return {
    client,
    tools,
    version: negotiated,
    requests,
    label: `${sdk === 'v1' ? 'sdk' : 'client-v2'} ${stdio ? 'stdio' : 'http'} ${negotiated}`,
    close: () => client.close(),
  };
}

/**
 * Notes the protocol version the server answers to initialize and, given a
 * version, makes the v1 SDK ask for it: the SDK always asks for its newest.
 * Everything else stays the SDK's own doing, including checking the version
 * the server answers and sending it in the Mcp-Protocol-Version header
 * afterwards.
 */
function watchInitialize(transport, version) {
  const send = transport.send.bind(transport);
  transport.send = (message, options) => {
    if (version && message.method === 'initialize') {
      message = { ...message, params: { ...message.params, protocolVersion: version } };
    }
    return send(message, options);
  };
  const start = transport.start.bind(transport);
  transport.start = async () => {
    const onmessage = transport.onmessage;
    transport.onmessage = (message, extra) => {
      if (message?.result?.protocolVersion && message.result.serverInfo) {
        transport.__initializeVersion = message.result.protocolVersion;
      }
      return onmessage?.(message, extra);
    };
    return start();
  };
}

/**
 * Calls a tool through the client (which validates structuredContent against
 * the output schema) and checks the result's shape: a text, structured
 * content, and for an error the error shape of SPEC.md with a text that
 * starts with the code.
 * @returns {Promise<{sc: any, text: string, isError: boolean, result: any}>}
 */
export async function call(c, name, args = {}) {
  const result = await c.client.callTool({ name, arguments: args });
  assert.ok(Array.isArray(result.content) && result.content.length >= 1, `${name}: content`);
  assert.equal(result.content[0].type, 'text', `${name}: first content is text`);
  const text = result.content[0].text;
  const sc = result.structuredContent;
  assert.equal(typeof sc, 'object', `${name}: structuredContent present`);
  const isError = result.isError === true;
  if (isError) {
    assert.deepEqual(Object.keys(sc), ['error'], `${name}: an error result holds only "error"`);
    const { code, message, details } = sc.error;
    assert.equal(typeof code, 'string');
    assert.equal(typeof message, 'string');
    assert.ok(Array.isArray(details), `${name}: error.details is an array`);
    for (const d of details) {
      assert.deepEqual(Object.keys(d).sort(), ['field', 'message']);
    }
    assert.ok(text.startsWith(`${code}: `), `${name}: text ${JSON.stringify(text)} starts with the code ${code}`);
  } else {
    assert.ok(!('error' in sc), `${name}: a success carries no error`);
  }
  return { sc, text, isError, result };
}

/** Calls a tool that must fail with code; returns the error. */
export async function callError(c, name, args, code) {
  const r = await call(c, name, args);
  assert.equal(r.isError, true, `${name} ${JSON.stringify(args)}: want ${code}, got success: ${r.text}`);
  assert.equal(r.sc.error.code, code, `${name}: ${r.text}`);
  return r.sc.error;
}

/** Calls a tool that must succeed; returns its structured content. */
export async function callOK(c, name, args) {
  const r = await call(c, name, args);
  assert.equal(r.isError, false, `${name} ${JSON.stringify(args)}: ${r.text}`);
  return r;
}
