// The lab's one-way times rest on this: a monotonic reading taken in another process,
// inside another network namespace, lies between two readings taken here.
import test from 'ava';
import { execa } from 'execa';
import { monotonicMs } from '../../lab/workloads/probe/clock.ts';

test('monotonicMs is one clock across processes and network namespaces', async (t) => {
  const ns = `mplabtest-clock-${process.pid}`;
  await execa('ip', ['netns', 'add', ns]);
  t.teardown(() => execa('ip', ['netns', 'del', ns], { reject: false }));
  const script = `import('${new URL('../../lab/workloads/probe/clock.ts', import.meta.url).href}').then((m) => console.log(m.monotonicMs()))`;
  for (let i = 0; i < 3; i++) {
    const before = monotonicMs();
    const { stdout } = await execa('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', '--input-type=module', '-e', script]);
    const after = monotonicMs();
    const there = Number(stdout.trim());
    t.true(before < there && there < after, `${before} < ${there} < ${after}`);
  }
});
