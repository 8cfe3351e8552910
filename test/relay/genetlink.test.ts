// The generic-netlink client against the real kernel, in a namespace of its own: family
// resolution, a command answered with a reply, and the kernel's refusals, named.
import test from 'ava';
import { GenericNetlink, NetlinkError, u32Attribute, u8Attribute } from '../../relay/genetlink.ts';
import { enterNewNamespace, type TestNamespace } from './helpers/netns.ts';

const MPTCP_PM_CMD_GET_LIMITS = 6;
const MPTCP_PM_CMD_REMOVE = 9;
const MPTCP_PM_ATTR_RCV_ADD_ADDRS = 2;
const MPTCP_PM_ATTR_SUBFLOWS = 3;
const MPTCP_PM_ATTR_TOKEN = 4;
const MPTCP_PM_ATTR_LOC_ID = 5;

let ns: TestNamespace;

test.before(async () => {
  ns = await enterNewNamespace('genl');
});

test.after.always(async () => {
  await ns?.destroy();
});

test('open resolves a family: the controller is the fixed 0x10, mptcp_pm a dynamic id at version 1', (t) => {
  const controller = GenericNetlink.open('nlctrl');
  t.is(controller.familyId, 0x10);
  controller.close();
  const pm = GenericNetlink.open('mptcp_pm');
  t.true(pm.familyId > 0x10);
  t.is(pm.version, 1);
  pm.close();
});

test('an unknown family is a NetlinkError that names it: ENOENT, no kernel message', (t) => {
  const error = t.throws(() => GenericNetlink.open('mpl_nosuch'), { instanceOf: NetlinkError });
  t.deepEqual(
    { command: error?.command, code: error?.code, kernelMessage: error?.kernelMessage, message: error?.message },
    { command: 'CTRL_CMD_GETFAMILY mpl_nosuch', code: 'ENOENT', kernelMessage: undefined, message: 'CTRL_CMD_GETFAMILY mpl_nosuch failed: ENOENT' },
  );
});

test("request returns the replies' attributes: the namespace's MPTCP limits", async (t) => {
  await ns.run('ip', ['mptcp', 'limits', 'set', 'subflows', '5', 'add_addr_accepted', '3']);
  const pm = GenericNetlink.open('mptcp_pm');
  const replies = pm.request(MPTCP_PM_CMD_GET_LIMITS, []);
  pm.close();
  t.is(replies.length, 1);
  t.is(replies[0]?.get(MPTCP_PM_ATTR_SUBFLOWS)?.readUInt32LE(0), 5);
  t.is(replies[0]?.get(MPTCP_PM_ATTR_RCV_ADD_ADDRS)?.readUInt32LE(0), 3);
});

test("a refusal carries the command's name, errno by name and the kernel's message", (t) => {
  const pm = GenericNetlink.open('mptcp_pm', { [MPTCP_PM_CMD_REMOVE]: 'MPTCP_PM_CMD_REMOVE' });
  // No connection exists in this namespace: every token is unknown.
  const error = t.throws(() => pm.request(MPTCP_PM_CMD_REMOVE, [u32Attribute(MPTCP_PM_ATTR_TOKEN, 0x1234abcd), u8Attribute(MPTCP_PM_ATTR_LOC_ID, 1)]), { instanceOf: NetlinkError });
  t.is(error?.message, 'MPTCP_PM_CMD_REMOVE failed: EINVAL (invalid token)');
  t.is(error?.kernelMessage, 'invalid token');
  const unnamed = t.throws(() => pm.request(99, []), { instanceOf: NetlinkError });
  t.is(unnamed?.command, 'command 99', 'a command without a name is named by its number');
  pm.close();
  t.throws(() => pm.request(MPTCP_PM_CMD_GET_LIMITS, []), { message: 'generic netlink socket is closed' });
});
