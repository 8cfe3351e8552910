// The lab image's Dockerfile, on either base (base-image.ts). The Debian packages are
// installed only where the base lacks them (a debootstrap base has them already); the
// project's dependencies are installed by npm ci, whose install script builds the link
// emulator with the image's own compiler and libc. The project's files come last, so a
// change to the lab's code rebuilds only that layer.
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
COPY ${p}/lab/links/build.mjs ${p}/lab/links/emulator.c lab/links/
${ca}RUN ${caEnv}npm ci --no-audit --no-fund && npm cache clean --force
COPY ${p}/ ./
`;
}
