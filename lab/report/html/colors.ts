// One colour per system, the same in every chart and every report, so a reader learns
// them once. mprelay gets the strongest.
const FIXED: Record<string, string> = {
  mprelay: '#c0392b',
  'mptcp-direct': '#2471a3',
  'redsocks-dante': '#7d3c98',
  'redsocks-sshsocks': '#af7ac5',
  'ssh-tunnel': '#d68910',
  'direct-tcp': '#566573',
  'direct-tcp-b': '#99a3a4',
};
const SPARE = ['#17a589', '#a04000', '#1b4f72', '#6e2c00'];

export function systemColors(systems: readonly string[]): Record<string, string> {
  let spare = 0;
  return Object.fromEntries(systems.map((s) => [s, FIXED[s] ?? SPARE[spare++ % SPARE.length]!]));
}
