// The lab image's Dockerfile, on either base (base-image.ts). The Debian packages are
// installed only where the base lacks them (a debootstrap base has them already); the
// project's dependencies are installed by npm ci from the manifests alone (the relay
// workspace's included), so that layer is rebuilt only when they change. Then come the
// project's files and the package's own install script (the link emulator, built with
// the image's own compiler and libc, and the relay's bundle), which needs all of them.
export const CONTEXT_PROJECT_DIR = 'project';
/** Where the project lives in the image, and where a run's input and output go. */
export const IMAGE_PROJECT_DIR = '/opt/mplab';
export const IMAGE_INPUT_DIR = '/mplab/in';
export const IMAGE_OUTPUT_DIR = '/mplab/out';

/** The host's extra CA certificates (NODE_EXTRA_CA_CERTS), in the build context when it has some. */
export const CONTEXT_CA_FILE = 'host-ca.crt';

/**
 * `extraCa`: npm ci trusts the certificates this host's Node trusts beyond its own
 * (a TLS-intercepting proxy between this machine and the npm registry, say).
 */
export function labDockerfile(base: string, packages: readonly string[], extraCa: boolean): string {
  const list = packages.join(' ');
  const p = CONTEXT_PROJECT_DIR;
  const ca = extraCa ? `COPY ${CONTEXT_CA_FILE} /tmp/${CONTEXT_CA_FILE}\n` : '';
  const caEnv = extraCa ? `NODE_EXTRA_CA_CERTS=/tmp/${CONTEXT_CA_FILE} ` : '';
  return `FROM ${base}
RUN test "$(dpkg-query -W -f='\${db:Status-Status}\\n' ${list} 2>/dev/null | grep -c '^installed$')" = ${packages.length} || \\
  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends ${list} && rm -rf /var/lib/apt/lists/*; }
RUN mkdir -p ${IMAGE_INPUT_DIR} ${IMAGE_OUTPUT_DIR}
WORKDIR ${IMAGE_PROJECT_DIR}
COPY ${p}/package.json ${p}/package-lock.json ./
COPY ${p}/relay/package.json relay/
${ca}RUN ${caEnv}npm ci --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY ${p}/ ./
RUN npm run install
`;
}
