// The Node version of the side-by-side task in docs/integrators.md ("The
// same task in C, Python and Node"), extracted from the document and run
// against the real agents: A offers a referral, B has already answered it
// (a crash before the inbox mark), B's processReferrals() handles it once
// (the replayed answer's IllegalTransition is taken as done) and
// acknowledges it; A sees B's acknowledgement.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import * as L from '@liaison/client';
import { need } from './env.js';

function extract(mark) {
  const lines = readFileSync(path.join(need('LSN_SRC_DIR'), 'docs',
    'integrators.md'), 'utf8').split('\n');
  let i = lines.indexOf(mark) + 1;
  assert.ok(i > 0, `${mark} not found`);
  while (!lines[i].startsWith('```')) i++;
  const j = lines.indexOf('```', i + 1);
  return lines.slice(i + 1, j).join('\n') + '\n';
}

test('the referrals task from the docs', async () => {
  // the snippet imports the package by name: point it at this package
  const index = pathToFileURL(path.join(path.dirname(
    fileURLToPath(import.meta.url)), '..', 'index.js')).href;
  const file = path.join(need('LIAISON_TEST_TMP'), 'referrals-doc.mjs');
  writeFileSync(file, extract('<!-- kit-example:node -->')
    .replaceAll("'@liaison/client'", `'${index}'`));
  const mod = await import(pathToFileURL(file).href);
  const MT = L.MessageType;
  const a = new L.Client(need('LIAISON_TEST_A_API'), { timeout: 20000 });
  const b = new L.Client(need('LIAISON_TEST_B_API'), { timeout: 20000 });
  try {
    const rid = randomBytes(16);
    await a.waitVerdict(await a.submit('ReferralHandoff', {
      referral_id: rid, priority: 2, category: 3,
      summary: 'Synthetic referral (docs, Node)',
      jurisdiction: { country: 'NL', basis: 4 },
    }, { to: need('LIAISON_TEST_B_ID'), tlp: L.Tlp.TLP_AMBER }),
    { timeout: 60000 });
    const deadline = Date.now() + 60000;
    while (!(await b.inboxList({ wait: 1000,
      type: MT.MESSAGE_TYPE_REFERRAL_HANDOFF })).length)
      assert.ok(Date.now() < deadline);
    // answered before a crash, not yet marked in the inbox
    await b.waitVerdict(await b.submit('ReferralResponse',
      { referral_id: rid, action: 1 }, { to: need('LIAISON_TEST_A_ID') }),
    { timeout: 60000 });
    let n = 0;
    while (n === 0 && Date.now() < deadline)
      n = await mod.processReferrals(b, 1000);
    assert.ok(n >= 1);
    assert.deepEqual(await b.inboxList({
      type: MT.MESSAGE_TYPE_REFERRAL_HANDOFF }), []);
    assert.equal(await mod.processReferrals(b, 0), 0);
    let seen = false;
    while (!seen && Date.now() < deadline) {
      for (const it of await a.inboxList({ wait: 1000, include_acked: true,
        type: MT.MESSAGE_TYPE_REFERRAL_RESPONSE })) {
        const body = L.decodeBody(await a.fetch(it.message_id));
        seen ||= Buffer.compare(body.referral_id, rid) === 0;
      }
    }
    assert.ok(seen);
  } finally {
    a.close();
    b.close();
  }
});
