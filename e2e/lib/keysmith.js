// Starting the real keysmith binary for the end-to-end tests: built once
// (or taken from KEYSMITH_BIN), on a fresh SQLite file in a temporary
// directory, over stdio or over HTTP on 127.0.0.1 and an ephemeral port.
// Every process started here is stopped by the test that started it, and any
// left over is killed when the test process exits.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const e2eDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const repoDir = path.resolve(e2eDir, '..');

/** The five tools, in the order tools/list sends them. */
export const TOOL_NAMES = ['create_api_key', 'list_api_keys', 'revoke_api_key', 'rotate_api_key', 'verify_api_key'];

/** Every scope a management key can carry. */
export const ALL_SCOPES = ['keys:read', 'keys:write', 'keys:revoke'];

/** An issued key with the default prefix (README, "Key format"). */
export const ISSUED_KEY = /^ks_[0-9A-Za-z]{46}$/;
/** A management key (README, "Key format"). */
export const MANAGEMENT_KEY = /^ksm_[0-9A-Za-z]{46}$/;

/** The key limit every server here runs with, so LIMIT_REACHED is quick to reach. */
export const KEY_LIMIT = 3;

const children = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** Registers a child process so that it is killed if the test process exits first. */
export function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

const tempDirs = [];
process.on('exit', () => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** A new temporary directory, removed when the test process exits. */
export function tempDir(label = 'keysmith-e2e-') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), label));
  tempDirs.push(dir);
  return dir;
}

let built;

/**
 * The keysmith binary: KEYSMITH_BIN if set (make e2e builds bin/keysmith and
 * sets it), else built here from the working tree.
 */
export function binary() {
  if (built) return built;
  if (process.env.KEYSMITH_BIN) {
    built = path.resolve(process.env.KEYSMITH_BIN);
    if (!fs.existsSync(built)) throw new Error(`KEYSMITH_BIN=${built} does not exist`);
    return built;
  }
  built = path.join(tempDir('keysmith-bin-'), 'keysmith');
  execFileSync('go', ['build', '-o', built, './cmd/keysmith'], { cwd: repoDir, stdio: ['ignore', 'inherit', 'inherit'] });
  return built;
}

/** A fresh database path in its own temporary directory (absolute, as --db wants). */
export function freshDB() {
  return path.join(tempDir(), 'keysmith.db');
}

/** The environment for keysmith processes: no KEYSMITH_* from the caller's shell. */
export function cleanEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('KEYSMITH_')) env[k] = v;
  }
  return { ...env, ...extra };
}

/**
 * Runs `keysmith admin create-key` and returns the new management key's
 * secret.
 */
export function createManagementKey(db, opts = {}) {
  return createManagementKeyWithID(db, opts).secret;
}

/** Like createManagementKey, and also returns the key's id. */
export function createManagementKeyWithID(db, { name = 'e2e', scopes = ALL_SCOPES, application } = {}) {
  const args = ['admin', 'create-key', '--name', name, '--scopes', scopes.join(','), '--db', db, '--key-limit', String(KEY_LIMIT)];
  if (application) args.push('--application', application);
  const out = execFileSync(binary(), args, { env: cleanEnv(), encoding: 'utf8', timeout: 30_000 });
  const secret = out.match(/\bksm_[0-9A-Za-z]{46}\b/);
  const id = out.match(/\(id ([0-9a-f-]{36}),/);
  if (!secret || !id) throw new Error(`admin create-key printed no key:\n${out}`);
  return { secret: secret[0], id: id[1] };
}

/** Runs a `keysmith admin` command and returns its standard output. */
export function admin(db, ...args) {
  return execFileSync(binary(), ['admin', ...args, '--db', db], { env: cleanEnv(), encoding: 'utf8', timeout: 30_000 });
}

/** Parameters for a stdio client transport that spawns `keysmith stdio`. */
export function stdioServer(db, extraArgs = []) {
  return {
    command: binary(),
    args: ['stdio', '--db', db, '--key-limit', String(KEY_LIMIT), ...extraArgs],
    env: cleanEnv({ HOME: path.dirname(db) }),
  };
}

/**
 * Starts `keysmith http --addr 127.0.0.1:0` on db and waits for its
 * "serving MCP over HTTP" log line.
 * @returns {Promise<{url: string, base: string, stderr: () => string, stop: () => Promise<void>}>}
 */
export async function startHTTP(db, extraArgs = []) {
  const child = track(
    spawn(binary(), ['http', '--addr', '127.0.0.1:0', '--db', db, '--key-limit', String(KEY_LIMIT), ...extraArgs], {
      env: cleanEnv({ HOME: path.dirname(db) }),
      stdio: ['ignore', 'ignore', 'pipe'],
    }),
  );
  let stderr = '';
  child.stderr.setEncoding('utf8');
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`keysmith http did not start within 20s:\n${stderr}`)), 20_000);
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      const m = stderr.match(/msg="serving MCP over HTTP" url=(http:\/\/127\.0\.0\.1:\d+\/mcp)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`keysmith http exited with ${code}:\n${stderr}`));
    });
  });
  return {
    url,
    base: url.replace(/\/mcp$/, ''),
    stderr: () => stderr,
    stop: () => stopProcess(child),
  };
}

/**
 * Stops a child with SIGTERM, then SIGKILL after 12 seconds (keysmith http
 * drains for up to 10). Go's graceful shutdown waits up to 5 seconds for a
 * connection that was opened but never sent a request, and Node's fetch
 * (undici) leaves such a connection behind after an MCP client closes, so a
 * graceful stop of keysmith http often takes 3 to 5 seconds here.
 */
export function stopProcess(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 12_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** The tool definitions the Go tests keep in tools/testdata/toolsnaps. */
export function toolSnapshots() {
  const dir = path.join(repoDir, 'tools', 'testdata', 'toolsnaps');
  return TOOL_NAMES.map((name) => JSON.parse(fs.readFileSync(path.join(dir, `${name}.snap`), 'utf8')));
}
