// The labels the lab puts on what it makes on an engine, so that it can find it again
// (the image cache, `mplab clean`) and never touches anything it did not make.
export const LABEL = {
  /** base-image | lab-image | run */
  kind: 'mplab.kind',
  /** A lab image's content hash. */
  hash: 'mplab.hash',
  /** hostname:pid of the process that started a container, to tell an orphan from a live run. */
  owner: 'mplab.owner',
  /** A sweep cell's sweep directory and cell id. */
  sweep: 'mplab.sweep',
  cell: 'mplab.cell',
} as const;

export type ResourceKind = 'base-image' | 'lab-image' | 'run';

export function kindFilter(kind: ResourceKind): { label: string[] } {
  return { label: [`${LABEL.kind}=${kind}`] };
}
