// doctor's readings: the open-files limit is the daemon's, not the shell's that runs doctor.
import test from 'ava';
import { execa } from 'execa';
import { gather, openFilesOf } from '../../relay/doctor.ts';

test("open files are read from the daemon's process, not from doctor's own", async (t) => {
  const daemon = execa('prlimit', ['--nofile=2048:4096', 'sleep', '30'], { reject: false });
  t.teardown(() => daemon.kill());
  await new Promise((r) => setTimeout(r, 200));
  t.not(await openFilesOf('self'), 2048);
  const readings = await gather({ role: 'remote', pid: daemon.pid ?? -1 });
  t.is(readings.openFilesSoft, 2048);
  t.is(readings.openFilesOf, `pid ${daemon.pid}`);
});
