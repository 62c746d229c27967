/**
 * Pages of `takes/list` for the virtualised history: only the pages around the visible rows are
 * fetched (limit/offset), stale pages stay on screen while fresh ones load, and an invalidation
 * (a new, changed or removed take) refetches just what is in view.
 */
import type { ContinuoClient, Take, TakeQuery } from '../../../shared/contract';
import { errorMessage } from './errors';

export const PAGE_SIZE = 50;

export type Filter = Omit<TakeQuery, 'limit' | 'offset'>;

export class TakePager {
  total = $state(0);
  /** The first answer for the current filter has arrived. */
  ready = $state(false);
  error = $state<string | null>(null);
  /** Bumped whenever any page changes; rows read through `at()`. */
  version = $state(0);

  // Plain maps on purpose: rows are read through at(), and `version` is the one reactive signal.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- see above
  private pages = new Map<number, { gen: number; takes: Take[] }>();
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- see above
  private inflight = new Map<number, number>();
  private gen = 0;
  private filter: Filter = {};
  private range: [number, number] = [0, PAGE_SIZE];
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly client: ContinuoClient,
    private readonly seen: (take: Take) => void,
  ) {}

  /** A new filter: drop everything and load from the top. */
  setFilter(filter: Filter): void {
    this.filter = filter;
    this.gen++;
    this.pages.clear();
    this.inflight.clear();
    this.ready = false;
    this.error = null;
    this.total = 0;
    this.version++;
    this.load();
  }

  /** The rows in view changed (first and last index, inclusive). */
  view(first: number, last: number): void {
    this.range = [Math.max(0, first), Math.max(0, last)];
    this.load();
  }

  /** Something changed on the server: refetch what is in view soon (bursts are coalesced). */
  invalidate(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.gen++;
      this.inflight.clear();
      // Keep pages in view as stale placeholders; forget the rest.
      const [a, b] = this.pageRange();
      for (const p of [...this.pages.keys()]) if (p < a || p > b) this.pages.delete(p);
      this.load();
    }, 120);
  }

  /** Updates one take in place (favourite, tags) without a refetch. */
  patch(take: Take): boolean {
    for (const page of this.pages.values()) {
      const i = page.takes.findIndex((t) => t.id === take.id);
      if (i >= 0) {
        page.takes[i] = take;
        this.version++;
        return true;
      }
    }
    return false;
  }

  at(index: number): Take | undefined {
    return this.pages.get(Math.floor(index / PAGE_SIZE))?.takes[index % PAGE_SIZE];
  }

  indexOf(id: string): number {
    for (const [p, page] of this.pages) {
      const i = page.takes.findIndex((t) => t.id === id);
      if (i >= 0) return p * PAGE_SIZE + i;
    }
    return -1;
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.gen++;
  }

  private pageRange(): [number, number] {
    return [Math.floor(this.range[0] / PAGE_SIZE), Math.floor(this.range[1] / PAGE_SIZE)];
  }

  private load(): void {
    const [a, b] = this.pageRange();
    const lastPage = this.ready ? Math.max(0, Math.ceil(this.total / PAGE_SIZE) - 1) : 0;
    for (let p = a; p <= Math.min(b, lastPage); p++) {
      if (this.pages.get(p)?.gen === this.gen || this.inflight.get(p) === this.gen) continue;
      void this.fetch(p);
    }
  }

  private async fetch(page: number): Promise<void> {
    const gen = this.gen;
    this.inflight.set(page, gen);
    try {
      const result = await this.client.call('takes/list', { ...this.filter, limit: PAGE_SIZE, offset: page * PAGE_SIZE });
      if (gen !== this.gen) return;
      for (const t of result.takes) this.seen(t);
      this.pages.set(page, { gen, takes: result.takes });
      const totalChanged = result.total !== this.total;
      this.total = result.total;
      // Pages past the end are gone now.
      for (const p of [...this.pages.keys()]) if (p * PAGE_SIZE >= result.total && p !== 0) this.pages.delete(p);
      this.error = null;
      const first = !this.ready;
      this.ready = true;
      this.version++;
      if (first || totalChanged) this.load();
    } catch (e) {
      if (gen === this.gen) {
        this.error = errorMessage(e);
        this.ready = true;
      }
    } finally {
      if (this.inflight.get(page) === gen) this.inflight.delete(page);
    }
  }
}
