// doctor's readings: the open-files limit is the daemon's, not the shell's that runs doctor.
import test from 'ava';
import { execa } from 'execa';
import { gather, judge, openFilesOf, type Readings } from '../../relay/doctor.ts';

test("open files are read from the daemon's process, not from doctor's own", async (t) => {
  const daemon = execa('prlimit', ['--nofile=2048:4096', 'sleep', '30'], { reject: false });
  t.teardown(() => daemon.kill());
  await new Promise((r) => setTimeout(r, 200));
  t.not(await openFilesOf('self'), 2048);
  const readings = await gather({ role: 'remote', pid: daemon.pid ?? -1 });
  t.is(readings.openFilesSoft, 2048);
  t.is(readings.openFilesOf, `pid ${daemon.pid}`);
});

const tuned: Readings = {
  mptcpEnabled: 1,
  limits: { subflows: 2, addAddrAccepted: 2 },
  endpoints: [
    { address: '100.64.1.2', dev: 'linka', flags: ['subflow'] },
    { address: '100.64.2.2', dev: 'linkb', flags: ['subflow'] },
  ],
  openFilesSoft: 1_048_576,
  portRange: [10000, 65535],
  conntrackMax: 262144,
  tcpFastOpen: 3,
  staleLossCnt: 2,
  blackholeTimeout: 0,
  interfaceAddresses: { linka: ['100.64.1.2'], linkb: ['100.64.2.2'] },
  userTimeoutRefused: undefined,
};
const local = { role: 'local' as const, wanInterfaces: ['linka', 'linkb'], fastOpen: false };

test('doctor: failover settings pass when tuned', (t) => {
  t.deepEqual(judge(tuned, local).filter((c) => !c.ok), []);
});

test('doctor: stale_loss_cnt, blackhole detection and a missing endpoint are fixed by commands, each with its reason; TCP_USER_TIMEOUT is reported without one', (t) => {
  const failed = judge({ ...tuned, staleLossCnt: 4, blackholeTimeout: 3600, endpoints: [tuned.endpoints[1]!], userTimeoutRefused: 'ENOPROTOOPT' }, local).filter((c) => !c.ok);
  t.deepEqual(
    failed.map((c) => [c.name, c.apply]),
    [
      ['mptcp endpoints', [['ip', 'mptcp', 'endpoint', 'add', '100.64.1.2', 'dev', 'linka', 'subflow']]],
      ['mptcp stale_loss_cnt', [['sysctl', '-w', 'net.mptcp.stale_loss_cnt=2']]],
      ['mptcp blackhole detection', [['sysctl', '-w', 'net.mptcp.blackhole_timeout=0']]],
      ['TCP_USER_TIMEOUT on MPTCP', undefined],
    ],
  );
  t.true(failed.every((c) => (c.why ?? '').length > 20), 'every fix says why');
  t.regex(failed[3]?.detail ?? '', /refuses TCP_USER_TIMEOUT \(ENOPROTOOPT\)/);
  const remote = judge({ ...tuned, blackholeTimeout: 3600 }, { role: 'remote', wanInterfaces: [], fastOpen: false });
  t.false(remote.some((c) => c.name === 'mptcp blackhole detection'), 'the remote opens no MPTCP connections: not its concern');
});

test('doctor: an endpoint for an interface without an address is named but not applied', (t) => {
  const [check] = judge({ ...tuned, endpoints: [], interfaceAddresses: {} }, { ...local, wanInterfaces: ['linka'] }).filter((c) => c.name === 'mptcp endpoints');
  t.like(check, { ok: false, fix: 'ip mptcp endpoint add <address on linka> dev linka subflow' });
  t.is(check?.apply, undefined);
});

test('doctor: this kernel is asked whether an MPTCP socket takes TCP_USER_TIMEOUT', async (t) => {
  const readings = await gather({ role: 'remote', pid: process.pid });
  t.true(readings.userTimeoutRefused === undefined || /^E[A-Z]+$/.test(readings.userTimeoutRefused), String(readings.userTimeoutRefused));
  t.log(`TCP_USER_TIMEOUT on an MPTCP socket: ${readings.userTimeoutRefused ?? 'accepted'}`);
});

test("doctor: the path manager must be the config's; with the relay's own the endpoints are not needed", (t) => {
  const userspace = { ...local, pathManager: 'userspace' as const };
  const failed = judge({ ...tuned, pathManager: 'kernel', endpoints: [] }, userspace).filter((c) => !c.ok);
  t.deepEqual(
    failed.map((c) => [c.name, c.apply]),
    [['mptcp path manager', [['sysctl', '-w', 'net.mptcp.path_manager=userspace']]]],
  );
  t.regex(failed[0]?.why ?? '', /gives each of its connections its subflows itself/);
  t.deepEqual(judge({ ...tuned, pathManager: 'userspace', endpoints: [] }, userspace).filter((c) => !c.ok), []);
  // The kernel's again (the config's default): back to kernel, and the endpoints are checked.
  const back = judge({ ...tuned, pathManager: 'userspace' }, local).filter((c) => !c.ok);
  t.deepEqual(back.map((c) => [c.name, c.apply]), [['mptcp path manager', [['sysctl', '-w', 'net.mptcp.path_manager=kernel']]]]);
  const old = judge({ ...tuned, pathManager: undefined }, userspace).find((c) => c.name === 'mptcp path manager');
  t.like(old, { ok: false, fix: 'a kernel with net.mptcp.path_manager (6.15+), or paths.manager: kernel' });
  t.is(old?.apply, undefined);
});

test("doctor: a subflow send buffer ceiling is checked only when asked for, and fixed by lowering tcp_wmem's max (min and default kept), saying why", (t) => {
  const kernel: Readings = { ...tuned, tcpWmem: [4096, 16384, 4194304] };
  t.false(judge(kernel, local).some((c) => c.name === 'subflow send buffer'), 'not asked: not checked');
  const asked = { ...local, subflowSendBufferBytes: 354_000 };
  const [check] = judge(kernel, asked).filter((c) => c.name === 'subflow send buffer');
  t.like(check, { ok: false, detail: 'net.ipv4.tcp_wmem = 4096 16384 4194304 (at most 354000 wanted)', fix: 'sysctl -w net.ipv4.tcp_wmem="4096 16384 354000"' });
  t.deepEqual(check?.apply, [['sysctl', '-w', 'net.ipv4.tcp_wmem=4096 16384 354000']]);
  t.regex(check?.why ?? '', /sent again on the live subflow behind that queue/);
  t.true(judge({ ...tuned, tcpWmem: [4096, 16384, 354000] }, asked).find((c) => c.name === 'subflow send buffer')!.ok);
  t.true(judge({ ...tuned, tcpWmem: [4096, 16384, 200000] }, asked).find((c) => c.name === 'subflow send buffer')!.ok, 'a lower ceiling set by hand is left alone');
  const unreadable = judge({ ...tuned, tcpWmem: undefined }, { ...asked, role: 'remote' }).find((c) => c.name === 'subflow send buffer');
  t.like(unreadable, { ok: false, fix: 'sysctl -w net.ipv4.tcp_wmem="4096 16384 354000"' });
});

test('doctor: this machine reads tcp_wmem as three numbers', async (t) => {
  const readings = await gather({ role: 'remote', pid: process.pid });
  t.is(readings.tcpWmem?.length, 3);
  t.true(readings.tcpWmem!.every((n) => Number.isInteger(n) && n > 0), JSON.stringify(readings.tcpWmem));
});
