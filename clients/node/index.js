// @liaison/client -- Node client for the liaison-agent local API.
//
//   import { Client, Tlp } from '@liaison/client';
//   const c = new Client('ipc:///var/lib/liaison/agent-de-bka/api.sock');
//   const id = await c.submit('Note', { text: 'Briefing at 09:00 UTC.' },
//     { to: 'nl-police' });
//   await c.waitVerdict(id);
//   await c.receive(async (item, body) => store(item, body), { wait: 10000 });
//   c.close();
//
// Errors: the classes of errors.js (one per lsn_err code), all extending
// LiaisonError. See docs/integrators.md.
export * from './client.js';
export * from './errors.js';
export * as errors from './errors.js';
