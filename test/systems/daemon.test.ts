import { readFile } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { listeningBy, processTree, startDaemon } from '../../lab/systems/daemon.ts';
import { SystemStartError } from '../../lab/systems/system.ts';
import { ADDR } from '../../lab/topology/types.ts';
import { useTopology } from '../helpers/topology.ts';
import { occupyPort, pidsIn } from './harness.ts';

const PORT = 7000;
const listener = `require('net').createServer().listen(${PORT}, '${ADDR.gwRemotePublic}')`;

test.serial('a daemon that exits while starting: SystemStartError with the system, the program and its log tail', async (t) => {
  const topology = await useTopology(t);
  const logFile = path.join(topology.runDir, 'failing.log');
  const error = await t.throwsAsync(
    startDaemon({
      system: 'redsocks-dante',
      label: 'failing',
      ns: topology.ns.gwRemote,
      command: 'sh',
      args: ['-c', 'echo "cannot read config: line 3" >&2; exit 3'],
      logFile,
      healthy: async () => false,
    }),
    { instanceOf: SystemStartError },
  );
  t.is(error?.system, 'redsocks-dante');
  t.regex(error?.message ?? '', /^redsocks-dante failed to start: failing exited \(exit code 3\)/);
  t.regex(error?.logTail ?? '', /cannot read config: line 3/);
});

test.serial('a port held by another program is not taken for the daemon being healthy', async (t) => {
  const topology = await useTopology(t);
  const ns = topology.ns.gwRemote;
  const squatter = await occupyPort(t, ns, ADDR.gwRemotePublic, PORT);
  t.true(await listeningBy(ns, ADDR.gwRemotePublic, PORT)(squatter));
  const error = await t.throwsAsync(
    startDaemon({
      system: 'ssh-tunnel',
      label: 'sleeper',
      ns,
      command: 'sleep',
      args: ['60'],
      logFile: path.join(topology.runDir, 'sleeper.log'),
      healthy: listeningBy(ns, ADDR.gwRemotePublic, PORT),
      startTimeoutMs: 1_000,
    }),
    { instanceOf: SystemStartError },
  );
  t.regex(error?.message ?? '', /sleeper not healthy within 1000 ms/);
  t.deepEqual(await pidsIn(ns), [squatter], 'the sleeper was stopped');
});

test.serial('stop() ends the daemon and every process it forked, and is safe to call twice', async (t) => {
  const topology = await useTopology(t);
  const ns = topology.ns.gwRemote;
  const logFile = path.join(topology.runDir, 'forking.log');
  // A parent that forks a listener and a grandchild, like danted or sshd with its sessions.
  const daemon = await startDaemon({
    system: 'redsocks-dante',
    label: 'forking',
    ns,
    command: 'sh',
    args: ['-c', `node -e "${listener}" & (sleep 60 & wait) & echo started; wait`],
    logFile,
    healthy: listeningBy(ns, ADDR.gwRemotePublic, PORT),
  });
  t.true(daemon.running());
  const tree = await processTree(daemon.pid);
  t.true(tree.length >= 4, `parent, node, subshell and sleep: ${tree.join(' ')}`);
  t.regex(await readFile(logFile, 'utf8'), /started/);
  await daemon.stop();
  await daemon.stop();
  t.false(daemon.running());
  t.deepEqual(await pidsIn(ns), [], 'nothing of the tree is left');
});
