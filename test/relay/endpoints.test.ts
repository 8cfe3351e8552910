// The endpoint commands the monitor runs, and iproute2's JSON read back.
import test from 'ava';
import { endpointCommand, parseEndpoints } from '../../relay/endpoints.ts';

test('iproute2 endpoints: flags are true-valued fields', (t) => {
  t.deepEqual(parseEndpoints('[{"address":"100.64.2.2","id":1,"subflow":true,"dev":"linkb"},{"address":"100.64.1.2","id":2,"subflow":true,"backup":true}]'), [
    { id: 1, address: '100.64.2.2', dev: 'linkb', flags: ['subflow'] },
    { id: 2, address: '100.64.1.2', flags: ['subflow', 'backup'] },
  ]);
  t.deepEqual(parseEndpoints(''), []);
});

test('remove deletes by id and adds back the same id, device and flags; backup changes the flag', (t) => {
  const endpoint = { id: 2, address: '100.64.1.2', dev: 'linka', flags: ['subflow'] };
  t.deepEqual(endpointCommand('remove', endpoint, false), ['mptcp', 'endpoint', 'delete', 'id', '2']);
  t.deepEqual(endpointCommand('remove', endpoint, true), ['mptcp', 'endpoint', 'add', '100.64.1.2', 'dev', 'linka', 'id', '2', 'subflow']);
  t.deepEqual(endpointCommand('backup', endpoint, false), ['mptcp', 'endpoint', 'change', 'id', '2', 'backup']);
  t.deepEqual(endpointCommand('backup', endpoint, true), ['mptcp', 'endpoint', 'change', 'id', '2', 'nobackup']);
});
