// Runs one side as a daemon: config, logger, metrics endpoint, relay; stops gracefully
// on SIGTERM/SIGINT (stop accepting, drain, close), as systemd and the lab expect.
import { localConfigSchema, loadConfig, remoteConfigSchema } from './config.ts';
import { LocalRelay } from './local.ts';
import { createLogger, type LogLevel } from './log.ts';
import { RelayMetrics, type Side } from './metrics.ts';
import { RemoteRelay } from './remote.ts';

async function build(side: Side, configFile: string) {
  const metrics = new RelayMetrics(side);
  const logFor = (level: LogLevel) => createLogger({ level, base: { side, pid: process.pid } });
  if (side === 'local') {
    const config = await loadConfig(localConfigSchema, configFile);
    const log = logFor(config.log.level);
    return { config, log, metrics, relay: new LocalRelay({ config, log, metrics }) };
  }
  const config = await loadConfig(remoteConfigSchema, configFile);
  const log = logFor(config.log.level);
  return { config, log, metrics, relay: new RemoteRelay({ config, log, metrics }) };
}

export async function runDaemon(side: Side, configFile: string): Promise<void> {
  const { config, log, metrics, relay } = await build(side, configFile);
  const bound = await relay.start();
  const metricsServer = config.metrics ? await metrics.serve(config.metrics.address, config.metrics.port) : undefined;
  if (metricsServer) log.info('metrics listening', { address: metricsServer.address.address, port: metricsServer.address.port });
  // One line the lab and scripts wait for.
  log.info('ready', { port: bound.port, metricsPort: metricsServer?.address.port });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal, open: relay.openConnections });
    await relay.stop();
    metricsServer?.server.close();
    process.exitCode = 0;
    // Timers of a draining relay are unref'd; nothing else keeps the loop alive.
    setTimeout(() => process.exit(), 100).unref();
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}
