// Docker host URLs: each scheme to the options dockerode takes, and every mistake refused
// with what is allowed.
import test from 'ava';
import { dockerOptions, DockerHostError, engineList } from '../../lab/engines/docker-host.ts';

test('unix, tcp and ssh URLs become dockerode options', (t) => {
  t.deepEqual(dockerOptions('unix:///run/mplab-dockerd-1.sock'), { socketPath: '/run/mplab-dockerd-1.sock', host: undefined });
  const env = { ...process.env };
  delete process.env.DOCKER_TLS_VERIFY;
  try {
    t.deepEqual(dockerOptions('tcp://10.1.2.3:2375'), { host: '10.1.2.3', port: 2375, protocol: 'http' });
    t.is(dockerOptions('tcp://lab.example:2376').protocol, 'https', 'port 2376 is TLS, as for the docker CLI');
    const ssh = dockerOptions('ssh://lab@sweeper.example:2222');
    t.like(ssh, { protocol: 'ssh', host: 'sweeper.example', port: 2222, username: 'lab' });
  } finally {
    process.env = env;
  }
});

test('a bad URL is refused with what is allowed', (t) => {
  const message = (url: string) => t.throws(() => dockerOptions(url), { instanceOf: DockerHostError })?.message;
  t.is(message('docker.sock'), '"docker.sock" is not a Docker host URL (unix:///path.sock, tcp://host:port or ssh://user@host)');
  t.is(message('http://x:2375'), 'http://x:2375: unsupported scheme http: (allowed: unix://, tcp://, ssh://)');
  t.is(message('tcp://x'), 'tcp://x: host and port needed (tcp://host:2375)');
  t.is(message('unix://'), 'unix://: no socket path (unix:///var/run/docker.sock)');
});

test('--engines: a list, each checked, none twice', (t) => {
  t.deepEqual(engineList('unix:///a.sock, unix:///b.sock'), ['unix:///a.sock', 'unix:///b.sock']);
  t.is(t.throws(() => engineList('unix:///a.sock,unix:///a.sock'))?.message, '--engines: unix:///a.sock given twice (one cell at a time per engine)');
  t.is(t.throws(() => engineList(','))?.message, '--engines: no engine given');
  t.throws(() => engineList('unix:///a.sock,ftp://b'), { instanceOf: DockerHostError });
});
