// `npm test` sets itself up the way the lab does (lab/engines/packages.ts): it lists the
// Debian packages its tests run and that this machine lacks, installs them with apt-get
// when it runs as root, and otherwise stops with the exact command to run.
import { ensurePackages, LAB_REQUIREMENTS, MissingPackagesError, type Requirement } from '../../lab/engines/packages.ts';
import { systemsByName } from '../../lab/systems/index.ts';

/** What the tests run beyond the lab and its systems. */
export const TEST_REQUIREMENTS: Requirement[] = [
  // The report tests render the HTML report in a real browser (test/report/html-helpers.ts).
  { debianPackages: ['chromium'], commands: ['chromium'] },
  // The unit-file tests run systemd-analyze verify and security (test/relay/systemd.test.ts).
  { debianPackages: ['systemd'], commands: ['systemd-analyze'] },
  // The relay tests count transfers with nstat and enter namespaces with ip.
  { debianPackages: ['iproute2'], commands: ['nstat', 'ip'] },
];

export const ALL_REQUIREMENTS: Requirement[] = [...LAB_REQUIREMENTS, ...Object.values(systemsByName).map((s) => s.needs), ...TEST_REQUIREMENTS];

try {
  await ensurePackages(ALL_REQUIREMENTS, (line) => console.log(line.replace(/^mplab:/, 'npm test:')));
} catch (error) {
  if (!(error instanceof MissingPackagesError)) throw error;
  console.error(`npm test: ${error.message}`);
  process.exit(1);
}
