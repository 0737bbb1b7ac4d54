// The whole life of keys, driven through one connected client: create,
// list, verify, revoke refused without REVOKE, revoke, rotate with and
// without a grace period, the key limit, paging, and the error shapes.
// Every tools/call result passes through the client's own output-schema
// validation (see clients.js) and the shape checks of call().
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';

import { call, callError, callOK } from './clients.js';
import { ISSUED_KEY, KEY_LIMIT } from './keysmith.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const KEY_FIELDS = new Set([
  'id', 'name', 'application', 'scopes', 'hint', 'status', 'created_at', 'expires_at',
  'revoked_at', 'last_used_at', 'rotated_from', 'replaced_by',
]);
const HOUR = 3600_000;
const DAY = 24 * HOUR;

/** Checks one key record as SPEC.md describes it. */
export function checkKey(key, want = {}) {
  for (const field of Object.keys(key)) {
    assert.ok(KEY_FIELDS.has(field), `unexpected field ${field} in a key record`);
  }
  assert.match(key.id, UUID);
  assert.equal(typeof key.name, 'string');
  assert.ok(Array.isArray(key.scopes));
  assert.match(key.hint, /^ks_[0-9A-Za-z]{4}…[0-9A-Za-z]{4}$/);
  assert.ok(['active', 'expired', 'revoked'].includes(key.status));
  for (const t of ['created_at', 'expires_at', 'revoked_at', 'last_used_at']) {
    if (key[t] !== undefined && key[t] !== null) assert.match(key[t], RFC3339_UTC, `${t}: ${key[t]}`);
  }
  for (const [field, value] of Object.entries(want)) {
    assert.deepEqual(key[field], value, `key.${field}`);
  }
  return key;
}

function hintOf(secret) {
  const body = secret.slice(secret.indexOf('_') + 1);
  return `${secret.slice(0, secret.indexOf('_') + 1)}${body.slice(0, 4)}…${body.slice(-4)}`;
}

function near(actual, expected, slack, what) {
  assert.ok(Math.abs(actual - expected) <= slack, `${what}: ${new Date(actual).toISOString()} is not within ${slack} ms of ${new Date(expected).toISOString()}`);
}

/** Verifies a secret and returns the result. */
async function verify(c, secret) {
  const { sc } = await callOK(c, 'verify_api_key', { key: secret });
  if (sc.valid) {
    assert.equal(sc.code, 'VALID');
    checkKey(sc.key);
  } else {
    assert.equal(sc.code, 'API_KEY_INVALID');
    assert.equal(sc.key ?? undefined, undefined, 'an invalid key comes with no key record');
  }
  return sc;
}

async function create(c, args) {
  const r = await callOK(c, 'create_api_key', args);
  checkKey(r.sc.key, { status: 'active', name: args.name });
  assert.match(r.sc.secret, ISSUED_KEY);
  assert.equal(r.sc.key.hint, hintOf(r.sc.secret));
  return r;
}

async function countKeys(c) {
  const { sc } = await callOK(c, 'list_api_keys', { status: 'all', limit: 200 });
  return sc.keys.length;
}

/**
 * Registers the lifecycle tests for one client.
 * @param {string} label describe() title
 * @param {() => Promise<{c: object, stop: () => Promise<void>}>} setup starts keysmith on a fresh database and connects the client (clients.connect)
 */
export function lifecycle(label, setup) {
  describe(`${label}: key lifecycle`, () => {
    const s = {};
    let running;
    const getClient = () => running.c;
    before(async () => {
      running = await setup();
    });
    after(async () => {
      await running?.stop();
    });

    it('create_api_key issues a key and shows its secret once', async () => {
      const c = getClient();
      const before = Date.now();
      const r = await create(c, { name: 'shop web', application: 'shop', scopes: ['orders:read', 'orders:write'], expires_in: '30d' });
      checkKey(r.sc.key, { application: 'shop', scopes: ['orders:read', 'orders:write'] });
      for (const unset of ['revoked_at', 'replaced_by', 'rotated_from', 'last_used_at']) {
        assert.equal(r.sc.key[unset] ?? undefined, undefined, `${unset} unset on a new key`);
      }
      near(Date.parse(r.sc.key.expires_at), before + 30 * DAY, 5_000, 'expires_at');
      assert.ok(r.text.includes(r.sc.secret), 'the text carries the secret');
      assert.match(r.text, /shown only this once/);
      s.a = r.sc;

      const d = await create(c, { name: 'defaults' });
      checkKey(d.sc.key, { application: 'default', scopes: [] });
      near(Date.parse(d.sc.key.expires_at), Date.parse(d.sc.key.created_at) + 90 * DAY, 2_000, 'default lifetime');
    });

    it('verify_api_key accepts the secret and refuses a mistyped one as a normal result', async () => {
      const c = getClient();
      const ok = await verify(c, s.a.secret);
      assert.equal(ok.valid, true);
      assert.equal(ok.key.id, s.a.key.id);
      const last = s.a.secret.at(-1) === 'A' ? 'B' : 'A';
      const bad = await verify(c, s.a.secret.slice(0, -1) + last);
      assert.equal(bad.valid, false);
      const garbage = await verify(c, 'not a key at all');
      assert.equal(garbage.valid, false);
    });

    it('list_api_keys lists it, newest first, without secrets', async () => {
      const c = getClient();
      const extra = await create(c, { name: 'shop worker', application: 'shop' });
      const { sc, text } = await callOK(c, 'list_api_keys', { application: 'shop' });
      assert.deepEqual(sc.keys.map((k) => k.id), [extra.sc.key.id, s.a.key.id]);
      sc.keys.forEach((k) => checkKey(k, { application: 'shop', status: 'active' }));
      assert.equal(sc.next_cursor ?? undefined, undefined);
      assert.ok(!text.includes(s.a.secret) && !JSON.stringify(sc).includes(s.a.secret), 'no secret in a listing');
      s.worker = extra.sc;
    });

    it('revoke_api_key without confirm "REVOKE" changes nothing and names the key', async () => {
      const c = getClient();
      for (const confirm of [undefined, '', 'revoke', 'yes', true]) {
        const args = { key_id: s.a.key.id };
        if (confirm !== undefined) args.confirm = confirm;
        const err = await callError(c, 'revoke_api_key', args, 'CONFIRMATION_REQUIRED');
        assert.ok(err.message.includes('shop web'), `message names the key: ${err.message}`);
        assert.ok(err.message.includes(s.a.key.hint), `message gives the hint: ${err.message}`);
      }
      assert.equal((await verify(c, s.a.secret)).valid, true, 'the key still works');
    });

    it('revoke_api_key with confirm "REVOKE" stops the key at once, and again says it already was', async () => {
      const c = getClient();
      const r = await callOK(c, 'revoke_api_key', { key_id: s.a.key.id, confirm: 'REVOKE', reason: 'e2e: leaked in a log' });
      checkKey(r.sc.key, { id: s.a.key.id, status: 'revoked' });
      assert.ok(Date.parse(r.sc.key.revoked_at) <= Date.now() + 1000);
      assert.equal((await verify(c, s.a.secret)).valid, false);
      assert.equal((await verify(c, s.worker.secret)).valid, true, 'another key of the application still works');
      const again = await callOK(c, 'revoke_api_key', { key_id: s.a.key.id, confirm: 'REVOKE' });
      checkKey(again.sc.key, { id: s.a.key.id, status: 'revoked', revoked_at: r.sc.key.revoked_at });
      assert.match(again.text, /already revoked/);
    });

    it('rotate_api_key without grace: new key inherits, old key stops at once; twice is ALREADY_ROTATED', async () => {
      const c = getClient();
      const b = (await create(c, { name: 'ci deploy', application: 'ci', scopes: ['deploy'], expires_in: '7d' })).sc;
      const r = await callOK(c, 'rotate_api_key', { key_id: b.key.id });
      const { key, secret, previous } = r.sc;
      checkKey(key, { name: 'ci deploy', application: 'ci', scopes: ['deploy'], status: 'active', rotated_from: b.key.id });
      checkKey(previous, { id: b.key.id, status: 'revoked', replaced_by: key.id });
      assert.ok(previous.revoked_at, 'previous.revoked_at set');
      assert.match(secret, ISSUED_KEY);
      assert.equal(key.hint, hintOf(secret));
      assert.ok(r.text.includes(secret));
      near(Date.parse(key.expires_at) - Date.parse(key.created_at), 7 * DAY, 2_000, 'inherited lifetime');
      assert.equal((await verify(c, b.secret)).valid, false, 'old secret stopped');
      assert.equal((await verify(c, secret)).valid, true, 'new secret works');

      const err = await callError(c, 'rotate_api_key', { key_id: b.key.id }, 'ALREADY_ROTATED');
      assert.ok(err.message.includes(key.id), `ALREADY_ROTATED names the replacement: ${err.message}`);
      await callError(c, 'rotate_api_key', { key_id: s.a.key.id }, 'KEY_NOT_ACTIVE');
      s.rotated = { key, secret };
    });

    it('rotate_api_key with a grace period: both keys work until it ends', async () => {
      const c = getClient();
      const before = Date.now();
      const old = (await create(c, { name: 'billing', application: 'billing', scopes: ['charge'] })).sc;
      const r = await callOK(c, 'rotate_api_key', { key_id: old.key.id, grace_period: '1h', expires_in: '1y' });
      const { key, secret, previous } = r.sc;
      checkKey(previous, { id: old.key.id, status: 'active', replaced_by: key.id });
      near(Date.parse(previous.revoked_at), before + HOUR, 10_000, 'grace ends in 1h');
      checkKey(key, { rotated_from: old.key.id, application: 'billing', scopes: ['charge'] });
      near(Date.parse(key.expires_at), Date.parse(key.created_at) + 365 * DAY, 2_000, 'expires_in 1y');
      assert.equal((await verify(c, old.secret)).valid, true, 'old key works during the grace period');
      assert.equal((await verify(c, secret)).valid, true);
      const listed = await callOK(c, 'list_api_keys', { application: 'billing' });
      assert.deepEqual(listed.sc.keys.map((k) => k.id), [key.id, old.key.id]);
      await callError(c, 'rotate_api_key', { key_id: old.key.id, grace_period: '1h' }, 'ALREADY_ROTATED');
    });

    it(`create_api_key stops at the key limit (${KEY_LIMIT}) with LIMIT_REACHED; rotation never does`, async () => {
      const c = getClient();
      const made = [];
      for (let i = 0; i < KEY_LIMIT; i++) {
        made.push((await create(c, { name: `limited ${i}`, application: 'limits' })).sc);
      }
      const err = await callError(c, 'create_api_key', { name: 'one too many', application: 'limits' }, 'LIMIT_REACHED');
      assert.match(err.message, /revoke/i);
      assert.match(err.message, /rotate/i);
      assert.deepEqual(err.details, []);
      await callOK(c, 'rotate_api_key', { key_id: made[0].key.id });
      await callOK(c, 'rotate_api_key', { key_id: made[1].key.id, grace_period: '2h' });
      await callError(c, 'create_api_key', { name: 'still too many', application: 'limits' }, 'LIMIT_REACHED');
      await callOK(c, 'revoke_api_key', { key_id: made[2].key.id, confirm: 'REVOKE' });
      await create(c, { name: 'fits again', application: 'limits' });
    });

    it('list_api_keys pages newest first with next_cursor, bound to its filters', async () => {
      const c = getClient();
      const ids = [];
      for (let i = 0; i < 3; i++) ids.unshift((await create(c, { name: `page ${i}`, application: 'paging' })).sc.key.id);
      const seen = [];
      let cursor;
      let pages = 0;
      do {
        const args = { application: 'paging', limit: 1 };
        if (cursor) args.cursor = cursor;
        const { sc } = await callOK(c, 'list_api_keys', args);
        assert.equal(sc.keys.length, 1);
        seen.push(sc.keys[0].id);
        cursor = sc.next_cursor;
        pages++;
        assert.ok(pages <= 4, 'paging ends');
      } while (cursor);
      assert.deepEqual(seen, ids);

      const first = await callOK(c, 'list_api_keys', { application: 'paging', limit: 2 });
      assert.deepEqual(first.sc.keys.map((k) => k.id), ids.slice(0, 2));
      assert.equal(typeof first.sc.next_cursor, 'string');
      const rest = await callOK(c, 'list_api_keys', { application: 'paging', limit: 50, cursor: first.sc.next_cursor });
      assert.deepEqual(rest.sc.keys.map((k) => k.id), ids.slice(2));
      const err = await callError(c, 'list_api_keys', { application: 'paging', status: 'all', cursor: first.sc.next_cursor }, 'VALIDATION_FAILED');
      assert.deepEqual(err.details.map((d) => d.field), ['cursor']);

      const all = await callOK(c, 'list_api_keys', { status: 'revoked' });
      assert.ok(all.sc.keys.length >= 1);
      all.sc.keys.forEach((k) => checkKey(k, { status: 'revoked' }));
    });

    it('every bad input is an isError result naming the field, and changes nothing', async () => {
      const c = getClient();
      const before = await countKeys(c);
      const cases = [
        ['create_api_key', {}, 'VALIDATION_FAILED', ['name']],
        ['create_api_key', { name: 'x', expires_in: '2y' }, 'VALIDATION_FAILED', ['expires_in']],
        ['create_api_key', { name: 'x', expires_in: 'never' }, 'VALIDATION_FAILED', ['expires_in']],
        ['create_api_key', { name: 'x', application: 'keysmith' }, 'VALIDATION_FAILED', ['application']],
        ['create_api_key', { name: 'x', application: 'Not A Slug' }, 'VALIDATION_FAILED', ['application']],
        ['create_api_key', { name: 'x', scopes: ['a', 'a'] }, 'VALIDATION_FAILED', ['scopes']],
        ['create_api_key', { name: 'x', colour: 'red' }, 'VALIDATION_FAILED', ['colour']],
        ['create_api_key', { name: 42, expires_in: '' }, 'VALIDATION_FAILED', ['expires_in', 'name']],
        ['create_api_key', { name: '' }, 'VALIDATION_FAILED', ['name']],
        ['create_api_key', { name: 'bell\u0007' }, 'VALIDATION_FAILED', ['name']],
        ['list_api_keys', { status: 'bogus' }, 'VALIDATION_FAILED', ['status']],
        ['list_api_keys', { limit: 0 }, 'VALIDATION_FAILED', ['limit']],
        ['list_api_keys', { limit: 201 }, 'VALIDATION_FAILED', ['limit']],
        ['list_api_keys', { cursor: 'garbage' }, 'VALIDATION_FAILED', ['cursor']],
        ['revoke_api_key', { key_id: 'not-a-uuid', confirm: 'REVOKE' }, 'VALIDATION_FAILED', ['key_id']],
        ['revoke_api_key', { key_id: randomUUID(), confirm: 'REVOKE' }, 'NOT_FOUND', []],
        ['revoke_api_key', { key_id: s.rotated.key.id, confirm: 'REVOKE', reason: 'x'.repeat(201) }, 'VALIDATION_FAILED', ['reason']],
        ['rotate_api_key', { key_id: randomUUID() }, 'NOT_FOUND', []],
        ['rotate_api_key', { key_id: s.rotated.key.id, grace_period: '8d' }, 'VALIDATION_FAILED', ['grace_period']],
        ['rotate_api_key', {}, 'VALIDATION_FAILED', ['key_id']],
        ['verify_api_key', {}, 'VALIDATION_FAILED', ['key']],
      ];
      for (const [tool, args, code, fields] of cases) {
        const err = await callError(c, tool, args, code);
        assert.deepEqual(err.details.map((d) => d.field).sort(), fields, `${tool} ${JSON.stringify(args)}: ${err.message}`);
      }
      assert.equal(await countKeys(c), before, 'no refused call stored a key');
      assert.equal((await verify(c, s.rotated.secret)).valid, true, 'no refused call revoked a key');
    });

    it('an unknown tool is a JSON-RPC error, not a result', async () => {
      const c = getClient();
      await assert.rejects(c.client.callTool({ name: 'delete_everything', arguments: {} }));
    });
  });
}
