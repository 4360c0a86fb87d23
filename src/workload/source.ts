/**
 * A workload as a source of items: request g's item is built when asked
 * for, from plain data (options, and the records of a dataset file) that can
 * be handed to another thread, which then builds the same items byte for
 * byte (src/engine/request-producer.ts).
 */
import type { WorkloadItem } from "../base/request-types.ts";

export interface ItemSource {
  /**
   * Request g's item (0 <= g < the workload's count). Depends on the data
   * and g only: the same in every thread and every run with the same seed.
   */
  item(g: number): WorkloadItem;
  /** Lines for the run log known only once items were built (inexact lengths, filtered conversations). */
  lateNotes(): string[];
}
