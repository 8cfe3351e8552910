// The workloads by name, in the order a block runs them.
import type { WorkloadName } from '../scenario/schema.ts';
import { connectWorkload } from './connect.ts';
import { failoverWorkload } from './failover.ts';
import { holWorkload } from './hol.ts';
import { keyscanWorkload } from './keyscan.ts';
import { pageloadWorkload } from './pageload.ts';
import { throughputWorkload } from './throughput.ts';
import { transferWorkload } from './transfer.ts';
import type { Workload } from './workload.ts';

export const WORKLOADS: Record<WorkloadName, Workload> = {
  connect: connectWorkload,
  keyscan: keyscanWorkload,
  hol: holWorkload,
  pageload: pageloadWorkload,
  transfer: transferWorkload,
  throughput: throughputWorkload,
  failover: failoverWorkload,
};
