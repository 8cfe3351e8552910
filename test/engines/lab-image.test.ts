// The lab image on an engine: named by its content hash, labelled as the lab's, and
// taken from the engine's cache when the project has not changed (no second build).
import { ensureLabImage } from '../../lab/engines/lab-image.ts';
import { LABEL } from '../../lab/engines/labels.ts';
import { dockerTest, testEngines } from './helpers/engines.ts';

const test = dockerTest(1);

test('the second call finds the image the first made (or found), by the same content hash', async (t) => {
  const [engine] = testEngines(1);
  const first = await ensureLabImage(engine!, (line) => t.log(line));
  const second = await ensureLabImage(engine!, (line) => t.log(line));
  t.log(`first: ${first.built ? 'built' : 'cached'} in ${first.elapsedMs} ms; second: ${second.elapsedMs} ms`);
  t.false(second.built);
  t.is(second.ref, first.ref);
  t.is(second.id, first.id);
  t.is(first.ref, `mplab:${first.hash}`);
  const { Config } = await engine!.docker.getImage(first.ref).inspect();
  t.is(Config.Labels?.[LABEL.kind], 'lab-image');
  t.is(Config.Labels?.[LABEL.hash], first.hash);
});
