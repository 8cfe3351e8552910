// One stub-resolver lookup (the failover workload's own, lab/workloads/probe/lookup.ts)
// from whatever namespace this runs in; prints its record as JSON.
// Usage: node --import tsx lookup-client.ts RESOLVER NAME ADDRESS
import { lookupOnce } from '../../lab/workloads/probe/lookup.ts';

const [host, name, address] = process.argv.slice(2);
if (!host || !name || !address) throw new Error('usage: lookup-client.ts RESOLVER NAME ADDRESS');
const record = await lookupOnce({ resolver: { host, port: 53 }, name, address, intervalMs: 0, retransmitMs: 1_000, timeoutMs: 3_000 });
console.log(JSON.stringify(record));
