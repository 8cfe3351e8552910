// Two namespaces joined by one emulated link, for the link tests: made for one test
// and deleted in its teardown whatever happens.
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { startLink } from '../../lab/links/backend.ts';
import type { DirectionModel, LinkBackendName, LinkModel } from '../../lab/links/model.ts';
import { createNamespace, deleteNamespace } from '../../lab/topology/namespace.ts';
import { ipIn } from '../../lab/topology/netns.ts';
import { ADDR, LINK_DEV, type LinkControl } from '../../lab/topology/types.ts';

export interface LinkPair {
  control: LinkControl;
  nsLocal: string;
  nsRemote: string;
  localAddr: string;
  remoteAddr: string;
  logFile: string;
}

export function direction(overrides: Partial<DirectionModel> = {}): DirectionModel {
  return { rateBitsPerSec: 10e6, delayMs: 20, jitterMs: 0, lossProbability: 0, queueBytes: 200_000, ...overrides };
}

export function linkModel(overrides: Partial<Pick<LinkModel, 'up' | 'down' | 'schedule'>> = {}): LinkModel {
  return { name: 'a', up: direction(), down: direction(), schedule: [], ...overrides };
}

/** Namespace names for this test only: mpl-<unique>-<role>. */
export function pairNames(): { nsLocal: string; nsRemote: string } {
  const id = `lt${process.pid}${randomBytes(2).toString('hex')}`;
  return { nsLocal: `mpl-${id}-local`, nsRemote: `mpl-${id}-remote` };
}

export interface PairOptions {
  backend?: LinkBackendName;
  seed?: number;
  /** Set in both namespaces, e.g. the congestion control. */
  sysctls?: Record<string, string>;
}

export async function useLinkPair(t: ExecutionContext, model: LinkModel, { backend = 'userspace', seed = 1, sysctls = {} }: PairOptions = {}): Promise<LinkPair> {
  const { nsLocal, nsRemote } = pairNames();
  const logFile = path.join(await mkdtemp(path.join(tmpdir(), 'mplab-link-test-')), `link-${model.name}.log`);
  let control: LinkControl | undefined;
  t.teardown(async () => {
    await control?.stop();
    await Promise.all([deleteNamespace(nsLocal), deleteNamespace(nsRemote)]);
  });
  // IPv6 off, as in the lab's topology: no neighbour or router solicitations cross the
  // link, so with a fixed seed the emulator sees exactly the test's packets.
  const namespaceSysctls = { 'net.ipv6.conf.all.disable_ipv6': '1', 'net.ipv6.conf.default.disable_ipv6': '1', ...sysctls };
  await createNamespace(nsLocal, namespaceSysctls);
  await createNamespace(nsRemote, namespaceSysctls);
  control = await startLink(backend, { model, nsLocal, nsRemote, logFile, seed });
  const dev = LINK_DEV[model.name];
  const localAddr = ADDR.gwLocalLinkA;
  const remoteAddr = ADDR.gwRemoteLinkA;
  await ipIn(nsLocal, ['addr', 'add', localAddr, 'peer', remoteAddr, 'dev', dev]);
  await ipIn(nsRemote, ['addr', 'add', remoteAddr, 'peer', localAddr, 'dev', dev]);
  await ipIn(nsLocal, ['link', 'set', dev, 'up']);
  await ipIn(nsRemote, ['link', 'set', dev, 'up']);
  return { control, nsLocal, nsRemote, localAddr, remoteAddr, logFile };
}
