import { redsocksSshsocks, SOCKS_PORT } from '../../lab/systems/redsocks-sshsocks.ts';
import { registerSocksPerConnectionTests } from './socks-per-connection.ts';

registerSocksPerConnectionTests({ adapter: redsocksSshsocks, socksPort: SOCKS_PORT, socksDaemonLabel: 'ssh -D' });
