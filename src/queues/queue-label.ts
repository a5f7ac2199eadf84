/**
 * The `queue` label's policy. Queue names come from the queue library
 * (BullMQ queue names, pg-boss queue names, graphile-worker task identifiers),
 * and some services name queues after tenants (`emails-acme`): a raw name must
 * never become a label value unchecked. So:
 *
 * - with `queues` (an allowlist), exactly those names are kept and every other
 *   queue folds into `__other__` (its jobs still count there);
 * - without it, the first `maxQueues` well-formed names seen are kept, later or
 *   malformed ones fold into `__other__`, as for every free-form label of the kit.
 */
import { OVERFLOW_VALUE } from '../model/canonical';
import { BoundedLabel } from '../record/validate';

export const DEFAULT_MAX_QUEUES = 50;
const QUEUE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:/@+-]{0,127}$/;

export interface QueueLabelOptions {
  /** The queue names kept as label values; every other queue becomes `__other__`. */
  queues?: readonly string[];
  /** Without `queues`: how many distinct names are kept (default 50). */
  maxQueues?: number;
}

export class QueueLabel {
  private readonly allowed: ReadonlySet<string> | undefined;
  private readonly bounded: BoundedLabel | undefined;

  constructor(options: QueueLabelOptions = {}) {
    if (options.queues !== undefined) {
      if (!Array.isArray(options.queues)) throw new Error('queues must be an array of queue names');
      for (const name of options.queues) {
        if (typeof name !== 'string' || !QUEUE_NAME.test(name)) {
          throw new Error(`queues: ${JSON.stringify(String(name).slice(0, 40))} is not a valid queue label value (letters, digits, _ . : / @ + -, at most 128)`);
        }
      }
      this.allowed = new Set(options.queues);
    } else {
      const max = options.maxQueues ?? DEFAULT_MAX_QUEUES;
      if (!Number.isSafeInteger(max) || max < 1) throw new Error('maxQueues must be an integer >= 1');
      this.bounded = new BoundedLabel(max, QUEUE_NAME);
    }
  }

  /** The names always reported (the allowlist), so a queue with no jobs reads 0 rather than nothing. */
  get listed(): readonly string[] {
    return this.allowed === undefined ? [] : [...this.allowed];
  }

  /** The label value for a raw queue name: itself, or `__other__`. Never throws. */
  value(raw: unknown): string {
    if (this.allowed !== undefined) return typeof raw === 'string' && this.allowed.has(raw) ? raw : OVERFLOW_VALUE;
    return this.bounded!.value(raw) ?? OVERFLOW_VALUE;
  }
}
