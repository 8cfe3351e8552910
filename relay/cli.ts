#!/usr/bin/env node
// mprelay's command line: parse, call, print. Nothing else lives here.
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { ConfigError } from './config.ts';
import { runDaemon } from './daemon.ts';
import { nftRules, parseWan, wanRoutingComment } from './rules.ts';

const USAGE = `usage:
  mprelay local --config FILE       run the home-gateway side
  mprelay remote --config FILE      run the public relay side
  mprelay rules --lan-if IF --remote ADDR [--port 12345] [--table mprelay] [--tproxy]
                [--allow-quic] [--dns [--dns-port 5300]] [--wan IF,ADDRESS,GATEWAY]...
                                    print the nftables rules that redirect the LAN's TCP and
                                    refuse its QUIC (unless --allow-quic); with --dns, also
                                    redirect the LAN's DNS (UDP and TCP 53) to the forwarder
                                    (the dns.listen port); with --wan, also the policy routes
                                    each WAN link needs (as comments to run)
  mprelay doctor [--role local|remote] [--wan-if IF]... [--fast-open] [--path-manager kernel|userspace]
                 [--subflow-send-buffer BYTES] [--pid PID] [--fix]
                                    check this machine's tuning, print fixes (exit 1 if any);
                                    --wan-if: every WAN interface of the local (each needs an
                                    MPTCP subflow endpoint with the kernel's path manager);
                                    --path-manager: the local config's paths.manager;
                                    --subflow-send-buffer: the most a subflow's send buffer may
                                    grow to (net.ipv4.tcp_wmem's max), about 2 x the largest
                                    link's rate x (round trip + its queue): a dead link's data
                                    is sent again behind that queue; --fix: apply the fixes that are
                                    commands, saying why, then check again; open files are the
                                    running daemon's (--pid, else the mprelay-<role> unit's)
  mprelay keygen                    print a new random key for the config files`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'local':
    case 'remote': {
      const { values } = parseArgs({ args: rest, options: { config: { type: 'string' } } });
      if (!values.config) return usage('--config FILE is required');
      await runDaemon(command, values.config);
      return 0;
    }
    case 'rules': {
      const { values } = parseArgs({
        args: rest,
        options: { 'lan-if': { type: 'string' }, remote: { type: 'string' }, port: { type: 'string', default: '12345' }, table: { type: 'string' }, tproxy: { type: 'boolean', default: false }, 'allow-quic': { type: 'boolean', default: false }, dns: { type: 'boolean', default: false }, 'dns-port': { type: 'string', default: '5300' }, wan: { type: 'string', multiple: true, default: [] } },
      });
      if (!values['lan-if'] || !values.remote) return usage('--lan-if and --remote are required');
      const routing = wanRoutingComment(values.wan.map(parseWan));
      process.stdout.write(
        (routing.length > 0 ? `${routing.join('\n')}\n` : '') +
          nftRules({ lanInterface: values['lan-if'], remoteAddress: values.remote, port: Number(values.port), ...(values.table ? { table: values.table } : {}), interception: values.tproxy ? 'tproxy' : 'redirect', allowQuic: values['allow-quic'], ...(values.dns ? { dnsPort: Number(values['dns-port']) } : {}) }),
      );
      return 0;
    }
    case 'doctor': {
      const { values } = parseArgs({ args: rest, options: { role: { type: 'string', default: 'local' }, 'wan-if': { type: 'string', multiple: true, default: [] }, 'fast-open': { type: 'boolean', default: false }, 'path-manager': { type: 'string', default: 'kernel' }, 'subflow-send-buffer': { type: 'string' }, pid: { type: 'string' }, fix: { type: 'boolean', default: false } } });
      if (values.role !== 'local' && values.role !== 'remote') return usage('--role is local or remote');
      if (values['path-manager'] !== 'kernel' && values['path-manager'] !== 'userspace') return usage('--path-manager is kernel or userspace');
      const pathManager: 'kernel' | 'userspace' = values['path-manager'];
      const sendBuffer = values['subflow-send-buffer'];
      if (sendBuffer !== undefined && !/^[1-9]\d{4,9}$/.test(sendBuffer)) return usage('--subflow-send-buffer is a number of bytes, at least 10000');
      // Loaded here only: the daemons never need it.
      const { applyFixes, formatChecks, gather, judge } = await import('./doctor.ts');
      const pid = values.pid === undefined ? undefined : Number(values.pid);
      const role: 'local' | 'remote' = values.role;
      const options = { role, wanInterfaces: values['wan-if'], fastOpen: values['fast-open'], pathManager, ...(sendBuffer !== undefined ? { subflowSendBufferBytes: Number(sendBuffer) } : {}) };
      const check = async () => judge(await gather({ role, ...(pid !== undefined ? { pid } : {}) }), options);
      let checks = await check();
      if (values.fix) {
        await applyFixes(checks, (line) => console.log(line));
        checks = await check();
      }
      console.log(formatChecks(checks));
      return checks.every((c) => c.ok) ? 0 : 1;
    }
    case 'keygen':
      console.log(randomBytes(32).toString('base64'));
      return 0;
    default:
      return usage(command ? `unknown command ${command}` : undefined);
  }
}

function usage(problem?: string): number {
  if (problem) console.error(`mprelay: ${problem}`);
  console.error(USAGE);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exit(code);
  },
  (error: unknown) => {
    console.error(error instanceof ConfigError ? `mprelay: invalid config\n${error.message}` : `mprelay: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(error instanceof ConfigError ? 2 : 1);
  },
);
