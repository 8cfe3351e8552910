// The kernel's MPTCP userspace path manager (net.mptcp.path_manager=userspace), over
// generic netlink: in a namespace that selects it, the kernel opens, announces and
// removes nothing by itself, and these commands do it per connection, named by its token
// (sockets.ts mptcpToken). The kernel looks tokens up in the namespace the netlink socket
// was opened in: open it in the namespace of the connections it commands.
//
// Each connection keeps its own list of local addresses with their ids. The initial
// subflow's address has id 0 and is not listed; createSubflow lists the address it is
// given with the id it is given, destroySubflow and removeAddress unlist it again, and a
// subflow the peer closes leaves its address listed (its id stays taken).
import { GenericNetlink, binaryAttribute, nestedAttribute, u16Attribute, u32Attribute, u8Attribute, type Attribute } from './genetlink.ts';
import { familyOf, ipv4Bytes, ipv6Bytes } from './ip.ts';

const MPTCP_PM_NAME = 'mptcp_pm';
const MPTCP_PM_CMD_SET_FLAGS = 7;
const MPTCP_PM_CMD_REMOVE = 9;
const MPTCP_PM_CMD_SUBFLOW_CREATE = 10;
const MPTCP_PM_CMD_SUBFLOW_DESTROY = 11;
const COMMAND_NAMES: Readonly<Record<number, string>> = {
  [MPTCP_PM_CMD_SET_FLAGS]: 'MPTCP_PM_CMD_SET_FLAGS',
  [MPTCP_PM_CMD_REMOVE]: 'MPTCP_PM_CMD_REMOVE',
  [MPTCP_PM_CMD_SUBFLOW_CREATE]: 'MPTCP_PM_CMD_SUBFLOW_CREATE',
  [MPTCP_PM_CMD_SUBFLOW_DESTROY]: 'MPTCP_PM_CMD_SUBFLOW_DESTROY',
};
const MPTCP_PM_ATTR_ADDR = 1;
const MPTCP_PM_ATTR_TOKEN = 4;
const MPTCP_PM_ATTR_LOC_ID = 5;
const MPTCP_PM_ATTR_ADDR_REMOTE = 6;
const MPTCP_PM_ADDR_ATTR_FAMILY = 1;
const MPTCP_PM_ADDR_ATTR_ID = 2;
const MPTCP_PM_ADDR_ATTR_ADDR4 = 3;
const MPTCP_PM_ADDR_ATTR_ADDR6 = 4;
/** A u16 in host order, unlike the ports in the family's events (the kernel applies htons). */
const MPTCP_PM_ADDR_ATTR_PORT = 5;
const MPTCP_PM_ADDR_ATTR_FLAGS = 6;
const MPTCP_PM_ADDR_FLAG_BACKUP = 1 << 2;
const AF_INET = 2;
const AF_INET6 = 10;

export interface SubflowEnd {
  address: string;
  port: number;
}

export interface LocalAddress {
  address: string;
  /** The address id the subflow's MP_JOIN carries, 1 to 255 (see createSubflow). */
  id: number;
  /** The subflow joins as a backup: the peer sends on it only when no other is left. */
  backup: boolean;
}

function addressAttributes(address: string): Attribute[] {
  return familyOf(address) === 4
    ? [u16Attribute(MPTCP_PM_ADDR_ATTR_FAMILY, AF_INET), binaryAttribute(MPTCP_PM_ADDR_ATTR_ADDR4, ipv4Bytes(address))]
    : [u16Attribute(MPTCP_PM_ADDR_ATTR_FAMILY, AF_INET6), binaryAttribute(MPTCP_PM_ADDR_ATTR_ADDR6, ipv6Bytes(address))];
}

function endAttribute(type: number, end: SubflowEnd, more: readonly Attribute[] = []): Attribute {
  return nestedAttribute(type, [...addressAttributes(end.address), u16Attribute(MPTCP_PM_ADDR_ATTR_PORT, end.port), ...more]);
}

function flagsAttribute(backup: boolean): Attribute {
  return u32Attribute(MPTCP_PM_ADDR_ATTR_FLAGS, backup ? MPTCP_PM_ADDR_FLAG_BACKUP : 0);
}

/**
 * Commands for the subflows of this namespace's MPTCP connections. A refusal throws a
 * NetlinkError: 'EINVAL' with "invalid token" for a token no connection has, and with
 * "userspace PM not selected" for a connection created while the in-kernel PM was.
 */
export class UserspacePm {
  readonly #netlink: GenericNetlink;

  private constructor(netlink: GenericNetlink) {
    this.#netlink = netlink;
  }

  static open(): UserspacePm {
    return new UserspacePm(GenericNetlink.open(MPTCP_PM_NAME, COMMAND_NAMES));
  }

  /**
   * Opens a subflow from `local.address` (an ephemeral port) to `remote`; its MP_JOIN SYN
   * leaves before this returns. The kernel does not check the id: 0 is taken as is, but
   * it names the initial subflow's address (RFC 8684), and the peer would close both on
   * a REMOVE_ADDR for 0, so another address needs 1 to 255. Within one connection an
   * address keeps its id: the same pair again is fine, a listed address with another id
   * or a listed id with another address is refused ('EINVAL', "did not match address and
   * id") until destroySubflow or removeAddress unlists it. 'ENOTCONN' until the connection
   * is fully established (the peer has acked data: one exchange is enough).
   */
  createSubflow(token: number, local: LocalAddress, remote: SubflowEnd): void {
    this.#netlink.request(MPTCP_PM_CMD_SUBFLOW_CREATE, [
      u32Attribute(MPTCP_PM_ATTR_TOKEN, token),
      nestedAttribute(MPTCP_PM_ATTR_ADDR, [...addressAttributes(local.address), u8Attribute(MPTCP_PM_ADDR_ATTR_ID, local.id), flagsAttribute(local.backup)]),
      endAttribute(MPTCP_PM_ATTR_ADDR_REMOTE, remote),
    ]);
  }

  /**
   * Closes the subflow with exactly these addresses and ports (both ports are required,
   * 'EINVAL' without; 'ESRCH' when no subflow has them) and unlists its local address, so
   * that its id is free again, for every subflow from that address. The peer sees the
   * subflow close; no REMOVE_ADDR is sent.
   */
  destroySubflow(token: number, local: SubflowEnd, remote: SubflowEnd): void {
    this.#netlink.request(MPTCP_PM_CMD_SUBFLOW_DESTROY, [u32Attribute(MPTCP_PM_ATTR_TOKEN, token), endAttribute(MPTCP_PM_ATTR_ADDR, local), endAttribute(MPTCP_PM_ATTR_ADDR_REMOTE, remote)]);
  }

  /**
   * Sends MP_PRIO on one subflow: the peer sends on a backup subflow only when no other is
   * left. The kernel needs both addresses; it matches ports when given (this sends both,
   * so exactly that subflow changes) and takes the first active subflow that matches
   * ('EINVAL', "subflow not found", when none does).
   */
  setBackup(token: number, local: SubflowEnd, remote: SubflowEnd, backup: boolean): void {
    this.#netlink.request(MPTCP_PM_CMD_SET_FLAGS, [
      u32Attribute(MPTCP_PM_ATTR_TOKEN, token),
      endAttribute(MPTCP_PM_ATTR_ADDR, local, [flagsAttribute(backup)]),
      endAttribute(MPTCP_PM_ATTR_ADDR_REMOTE, remote),
    ]);
  }

  /**
   * Sends REMOVE_ADDR for a local address id; the peer then closes its subflows to that
   * address, which closes ours. Locally the kernel closes nothing itself. Id 0, the
   * initial subflow's address, is never listed: the kernel only sends the signal, and
   * since it keeps the initial subflow until the connection closes, asking again after
   * that subflow closed signals again. Another id must be listed ('EINVAL', "address
   * with id N not found"): it is unlisted, its ADD_ADDR withdrawn if it was announced,
   * and REMOVE_ADDR sent only if it was, or if a subflow still leaves from it.
   */
  removeAddress(token: number, localId: number): void {
    this.#netlink.request(MPTCP_PM_CMD_REMOVE, [u32Attribute(MPTCP_PM_ATTR_TOKEN, token), u8Attribute(MPTCP_PM_ATTR_LOC_ID, localId)]);
  }

  close(): void {
    this.#netlink.close();
  }
}
