// A small HTTP proxy that adds "Authorization: Bearer <key>" to every request
// and forwards it, headers (Host and Origin included) and body unchanged, to
// keysmith. The MCP conformance suite sends no credentials; keysmith refuses
// every /mcp request without a management key.
import http from 'node:http';

/**
 * Starts the proxy on 127.0.0.1 and an ephemeral port.
 * @param {string} target base URL of keysmith, e.g. http://127.0.0.1:1234
 * @param {string} key management key to add
 * @returns {Promise<{url: string, close: () => Promise<void>, requests: object[]}>}
 */
export async function startAuthProxy(target, key) {
  const upstream = new URL(target);
  const requests = [];
  const sockets = new Set();
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method, url: req.url, headers: { ...req.headers } });
    const headers = { ...req.headers, authorization: `Bearer ${key}` };
    const out = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.rawHeaders);
        res.flushHeaders();
        up.pipe(res);
        res.on('close', () => up.destroy());
      },
    );
    out.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`proxy error: ${err.message}`);
    });
    req.pipe(out);
    res.on('close', () => out.destroy());
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
