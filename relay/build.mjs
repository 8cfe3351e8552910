// Builds relay/dist/: the daemons as one bundled ES module (dist/cli.js) with their
// libraries inside it (zod, yaml, prom-client, simple-statistics), and `mprelay doctor`
// (with execa) in a chunk of its own that only that command loads. One bundle rather than a file per
// module and library: Node holds far less for one module than for the ~300 the libraries
// are made of (idle RSS 71 -> 60 MB per daemon, measured; relay/README.md). koffi stays
// an installed dependency (its native binaries are found from its own directory).
// Identifiers are kept, so stack traces name the functions. Type checking is tsc's
// (tsconfig.build.json); this only strips the types.
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = fileURLToPath(new URL('.', import.meta.url));
const outdir = `${here}dist`;

await rm(outdir, { recursive: true, force: true });
await build({
  entryPoints: [`${here}cli.ts`],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['koffi'],
  minifyWhitespace: true,
  minifySyntax: true,
  // prom-client and yaml are CommonJS and require() Node's own modules.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  logLevel: 'warning',
});
