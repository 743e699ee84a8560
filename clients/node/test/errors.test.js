// The typed errors mirror include/liaison/err.h and wire.proto's
// ErrorCode (names and numbers); the shipped .proto files equal proto/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

import * as L from '@liaison/client';
import { need } from './env.js';

const SRC = need('LSN_SRC_DIR');

function errH() {
  let t = readFileSync(path.join(SRC, 'include/liaison/err.h'), 'utf8');
  t = t.slice(t.indexOf('enum lsn_err {'));
  t = t.slice(0, t.indexOf('};')).replace(/\/\*[\s\S]*?\*\//g, '');
  const m = new Map();
  for (const x of t.matchAll(/(LSN_E\w+)\s*=\s*(-?\d+)/g))
    m.set(x[1], Number(x[2]));
  return m;
}

test('error table equals err.h', () => {
  const want = errH();
  assert.ok(want.size > 40);
  assert.deepEqual(new Map(L.ERRORS.map(([c, s]) => [s, c])), want);
});

test('numbers equal wire.proto ErrorCode', () => {
  const wire = Object.values(L.proto.lookupEnum('liaison.v1.ErrorCode').values)
    .filter((v) => v !== 0).sort((a, b) => a - b);
  assert.deepEqual(wire, L.ERRORS.map(([c]) => -c).sort((a, b) => a - b));
});

test('every class is exported and typed', () => {
  for (const [code, sym, name] of L.ERRORS) {
    const cls = L[name];
    assert.equal(typeof cls, 'function', name);
    assert.equal(L.errorClass(code), cls);
    const e = L.errorFor(-code, 'detail text');
    assert.ok(e instanceof cls && e instanceof L.LiaisonError &&
      e instanceof Error);
    assert.deepEqual([e.name, e.code, e.lsnErr, e.wire, e.detail],
      [name, sym, code, -code, 'detail text']);
  }
  const u = L.errorFor(999, 'new');
  assert.equal(u.constructor, L.LiaisonError);
  assert.equal(u.lsnErr, -999);
});

test('shipped .proto files equal proto/', () => {
  const here = path.join(path.dirname(new URL(import.meta.url).pathname),
    '..', 'proto');
  const names = readdirSync(path.join(SRC, 'proto'))
    .filter((f) => f.endsWith('.proto')).sort();
  assert.deepEqual(readdirSync(here).filter((f) => f.endsWith('.proto')).sort(),
    names);
  for (const f of names)
    assert.ok(readFileSync(path.join(here, f)).equals(
      readFileSync(path.join(SRC, 'proto', f))),
    `clients/node/proto/${f} is stale: run clients/update-proto.sh`);
});
