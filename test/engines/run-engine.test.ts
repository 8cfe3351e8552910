// The engine record a run writes into its environment: local without the variable,
// the container's record with it, and a malformed record refused, not guessed at.
import test from 'ava';
import { currentEngine, engineVariable, type EngineRecord } from '../../lab/engines/run-engine.ts';

const DOCKER: EngineRecord = {
  kind: 'docker',
  dockerHost: 'unix:///run/mplab-dockerd-1.sock',
  image: 'mplab:0123456789abcdef',
  imageId: 'sha256:00',
  base: 'mplab-base:fedcba9876543210',
  privilege: 'capabilities',
  git: { revision: 'abc', dirty: false },
};

test('no variable: local; the variable the engine side sets: its record', (t) => {
  t.deepEqual(currentEngine({}), { kind: 'local' });
  const [name, ...value] = engineVariable(DOCKER).split('=');
  t.deepEqual(currentEngine({ [name!]: value.join('=') }), DOCKER);
});

test('a record that is not one is an error naming the field', (t) => {
  const error = t.throws(() => currentEngine({ MPLAB_ENGINE: JSON.stringify({ ...DOCKER, privilege: 'root' }) }));
  t.is(error?.message, 'MPLAB_ENGINE is not an engine record: privilege: Invalid option: expected one of "privileged"|"capabilities"');
});
