/**
 * Memory for request bodies being read, taken from the forwarder's queue budget before the bytes
 * arrive, so that the bodies in progress and the queue together stay within it.
 */
export interface BodyBudget {
  /** Takes `bytes` when the queue and the bodies already reserved leave room for them; false leaves nothing taken. */
  reserve(bytes: number): boolean;
  /** Gives back bytes taken by `reserve`. */
  release(bytes: number): void;
}
