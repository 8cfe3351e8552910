// What a lab container may do. The lab builds network namespaces, TUN devices, nftables
// rules and sets sysctls inside them, so it needs root's powers over its own network
// stack. Privileged where the engine allows it; where it does not (an engine that runs
// inside a VM or container whose capability bounding set lacks CAP_SYS_RESOURCE
// refuses --privileged), every capability but that one, no seccomp or AppArmor
// profile, the TUN device, and /proc/sys writable (Docker mounts it read-only).
import type Docker from 'dockerode';

export const PRIVILEGES = ['privileged', 'capabilities'] as const;
export type Privilege = (typeof PRIVILEGES)[number];

/** The lab's containers touch no network of the engine's: everything happens in namespaces of their own. */
const COMMON: Docker.HostConfig = { NetworkMode: 'none' };

export function hostConfigFor(privilege: Privilege): Docker.HostConfig {
  if (privilege === 'privileged') return { ...COMMON, Privileged: true };
  return {
    ...COMMON,
    CapAdd: ['ALL'],
    CapDrop: ['SYS_RESOURCE'],
    SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
    Devices: [{ PathOnHost: '/dev/net/tun', PathInContainer: '/dev/net/tun', CgroupPermissions: 'rwm' }],
    ReadonlyPaths: [],
    MaskedPaths: [],
  };
}
