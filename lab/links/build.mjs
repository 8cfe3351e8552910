// Builds the userspace link emulator (lab/links/emulator.c -> build/mpl-link) with the
// system C compiler. Run by `npm install` / `npm ci` (the package's own "install"
// script) and on demand by lab/links/userspace.ts when the binary is missing or stale.
// Plain JavaScript on purpose: it runs before anything is built. Only where no compiler
// is found does it use TypeScript (install-compiler.ts, with tsx: npm installs the
// dependencies before it runs the package's own install script).
import { spawnSync } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = fileURLToPath(new URL('./emulator.c', import.meta.url));
const output = fileURLToPath(new URL('../../build/mpl-link', import.meta.url));
const compiler = process.env.CC || 'cc';

function mtimeMs(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
}

if (mtimeMs(output) >= mtimeMs(source) && !process.argv.includes('--force')) {
  console.log(`mpl-link: ${output} is up to date`);
  process.exit(0);
}

mkdirSync(fileURLToPath(new URL('../../build/', import.meta.url)), { recursive: true });
const args = ['-O2', '-Wall', '-Wextra', '-Werror', '-std=c11', '-o', output, source, '-lm'];
let result = spawnSync(compiler, args, { stdio: 'inherit' });
// No compiler (a fresh machine): the system one is installed as the lab installs its
// packages (install-compiler.ts, through tsx, which npm has installed by now).
if (result.error && result.error.code === 'ENOENT' && !process.env.CC) {
  const installer = fileURLToPath(new URL('./install-compiler.ts', import.meta.url));
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const installed = spawnSync(process.execPath, ['--import', 'tsx', installer], { stdio: 'inherit', cwd: root });
  if (installed.status !== 0) process.exit(1);
  result = spawnSync(compiler, args, { stdio: 'inherit' });
}
if (result.error && result.error.code === 'ENOENT') {
  console.error(
    `mpl-link: no C compiler found (tried "${compiler}"). The userspace link emulator needs one.\n` +
      'Install it with:  apt-get install -y gcc libc6-dev   (then run npm install again)',
  );
  process.exit(1);
}
if (result.status !== 0) {
  console.error(`mpl-link: ${compiler} ${args.join(' ')} failed (exit ${result.status ?? result.signal})`);
  process.exit(1);
}
console.log(`mpl-link: built ${output}`);
