import type { Clock } from '../shared/ports/index.js';

/**
 * A clock for tests (and benches) that need time to pass — a share expiring, an incident becoming
 * overdue: the real clock plus an offset the caller moves. Real services (Azurite SAS, token times)
 * keep the real clock, so nothing the test issues is already expired for them.
 */
export class ShiftedClock implements Clock {
  private offsetMs = 0;
  now() {
    return new Date(Date.now() + this.offsetMs);
  }
  advance(ms: number) {
    this.offsetMs += ms;
  }
  reset() {
    this.offsetMs = 0;
  }
}
