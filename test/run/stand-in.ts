import type { Reconcile } from '../../src/run/run-period.ts';

/** A pipeline whose variance stage blows up: the one failure the real stages cannot be made to show on demand. */
export const failingReconcile: Reconcile = async () => {
  throw new Error('variance stage exploded');
};
