// Run by build.mjs when this machine has no C compiler (a fresh one): installs it the
// way the lab installs everything it needs (engines/packages.ts: as root with apt-get,
// saying what first; otherwise it stops with the exact command), so that `npm install`
// is the whole set-up.
import { ensurePackages, MissingPackagesError, type Requirement } from '../engines/packages.ts';

const C_COMPILER: Requirement = { debianPackages: ['gcc', 'libc6-dev'], commands: ['cc'] };

try {
  await ensurePackages([C_COMPILER], (line) => console.log(line.replace(/^mplab:/, 'mpl-link:')));
} catch (error) {
  if (!(error instanceof MissingPackagesError)) throw error;
  console.error(`mpl-link: the userspace link emulator needs a C compiler; ${error.message}`);
  process.exit(1);
}
