// MPTCP for programs that do not speak it: `mptcpize run` preloads a library that turns
// their TCP sockets into MPTCP ones, then execs the program (so its pid is the program's).
export const MPTCPIZE = ['mptcpize', 'run'] as const;
