import { redsocksDante, SOCKS_PORT } from '../../lab/systems/redsocks-dante.ts';
import { registerSocksPerConnectionTests } from './socks-per-connection.ts';

registerSocksPerConnectionTests({ adapter: redsocksDante, socksPort: SOCKS_PORT, socksDaemonLabel: 'danted' });
