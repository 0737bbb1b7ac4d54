// The key lifecycle through four clients keysmith did not write: the
// TypeScript SDK v1 (newest legacy protocol, via initialize) and the
// TypeScript SDK v2 client pinned to the sessionless 2026-07-28 protocol,
// each over stdio and over Streamable HTTP with a bearer management key.
import assert from 'node:assert/strict';

import { connect, MODERN_VERSION } from '../lib/clients.js';
import { createManagementKey, freshDB, startHTTP, stdioServer } from '../lib/keysmith.js';
import { lifecycle } from '../lib/lifecycle.js';

async function overStdio(sdk, version) {
  const c = await connect({ sdk, stdio: stdioServer(freshDB()) });
  assert.equal(c.version, version);
  return { c, stop: () => c.close() };
}

async function overHTTP(sdk, version) {
  const db = freshDB();
  const key = createManagementKey(db);
  const server = await startHTTP(db);
  try {
    const c = await connect({ sdk, url: server.url, key });
    assert.equal(c.version, version);
    return {
      c,
      stop: async () => {
        await c.close();
        await server.stop();
      },
    };
  } catch (err) {
    await server.stop();
    throw err;
  }
}

lifecycle('TypeScript SDK, stdio', () => overStdio('v1', '2025-11-25'));
lifecycle('TypeScript SDK, Streamable HTTP', () => overHTTP('v1', '2025-11-25'));
lifecycle(`TypeScript SDK v2 client ${MODERN_VERSION}, stdio`, () => overStdio('v2', MODERN_VERSION));
lifecycle(`TypeScript SDK v2 client ${MODERN_VERSION}, Streamable HTTP`, () => overHTTP('v2', MODERN_VERSION));
