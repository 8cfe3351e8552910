// The relay's own path manager: it refuses to start unless the namespace's connections
// take its commands (the kernel applies net.mptcp.path_manager to each connection as it is
// created), naming the fix; with /proc/sys hidden it cannot tell, and starts. What it does to subflows is tested on the real kernel in the
// lab topology (test/systems/mprelay-paths.test.ts).
import test from 'ava';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { selectedPathManager, userspacePmProblem } from '../../relay/paths.ts';
import { startLocal } from './helpers/relays.ts';

test('the userspace path manager selected, or /proc/sys hidden: no problem; another or none: the problem names the fix', (t) => {
  const sysctls = (values: Record<string, string>) => (name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error('ENOENT');
    return value;
  };
  t.is(selectedPathManager(sysctls({ 'net/mptcp/path_manager': 'userspace', 'net/mptcp/enabled': '1' })), 'userspace');
  t.is(selectedPathManager(sysctls({ 'net/mptcp/enabled': '1' })), 'absent');
  t.is(selectedPathManager(sysctls({})), 'unreadable');
  t.is(selectedPathManager(), 'kernel', "this test's namespace");
  t.is(userspacePmProblem('userspace'), undefined);
  t.is(userspacePmProblem('unreadable'), undefined);
  t.is(userspacePmProblem('kernel'), 'net.mptcp.path_manager is kernel: run `sysctl -w net.mptcp.path_manager=userspace` (mprelay doctor --path-manager userspace --fix)');
  t.is(userspacePmProblem('absent'), 'this kernel has no net.mptcp.path_manager (6.15 or later is needed)');
});

test("a local with paths.manager userspace does not start under the kernel's path manager, and leaves nothing listening", async (t) => {
  t.is(readFileSync('/proc/sys/net/mptcp/path_manager', 'utf8').trim(), 'kernel', "this test's namespace uses the kernel's");
  const port = await freePort();
  const error = await t.throwsAsync(startLocal(9, { listen: { address: '127.0.0.1', port }, links: [{ name: 'a', address: '127.0.0.1' }], paths: { manager: 'userspace' } }));
  t.is(error?.message, 'paths.manager is userspace, but net.mptcp.path_manager is kernel: run `sysctl -w net.mptcp.path_manager=userspace` (mprelay doctor --path-manager userspace --fix)');
  t.is(await freePort(port), port, 'the listen port is free');
});

/** Listens on `port` (0: any) and closes again; the port it got. */
async function freePort(port = 0): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
  const got = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return got;
}
