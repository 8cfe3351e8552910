// Runs one side as a daemon: config, logger, metrics endpoint, relay; stops gracefully
// on SIGTERM/SIGINT (stop accepting, drain, close), as systemd and the lab expect, and
// reloads keys and policy on SIGHUP without dropping open connections.
import { ConfigError, localConfigSchema, loadConfig, remoteConfigSchema } from './config.ts';
import { LocalRelay } from './local.ts';
import { createLogger, type Logger, type LogLevel } from './log.ts';
import { RelayMetrics, type Side } from './metrics.ts';
import { RemoteRelay } from './remote.ts';

async function build(side: Side, configFile: string) {
  const metrics = new RelayMetrics(side);
  const logFor = (level: LogLevel) => createLogger({ level, base: { side, pid: process.pid } });
  if (side === 'local') {
    const config = await loadConfig(localConfigSchema, configFile);
    const log = logFor(config.log.level);
    const relay = new LocalRelay({ config, log, metrics });
    return { config, log, metrics, relay, reload: async () => relay.reload(await loadConfig(localConfigSchema, configFile)) };
  }
  const config = await loadConfig(remoteConfigSchema, configFile);
  const log = logFor(config.log.level);
  const relay = new RemoteRelay({ config, log, metrics });
  return { config, log, metrics, relay, reload: async () => relay.reload(await loadConfig(remoteConfigSchema, configFile)) };
}

/** SIGHUP: read the config file again and take its keys (and the remote's policy); a bad file keeps the old config. */
function reloadOnHangup(reload: () => Promise<string[]>, log: Logger): void {
  process.on('SIGHUP', () => {
    reload().then(
      (needRestart) => {
        if (needRestart.length > 0) log.warn('reload: these fields changed but take effect only after a restart', { fields: needRestart });
      },
      (error: unknown) => log.error('reload failed; the running config stays', { error: error instanceof ConfigError ? error.message : error }),
    );
  });
}

export async function runDaemon(side: Side, configFile: string): Promise<void> {
  const { config, log, metrics, relay, reload } = await build(side, configFile);
  reloadOnHangup(reload, log);
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
