/** Typed events of the contract, fanned out to every transport that listens. */
import type { EventName, EventOf } from '../../shared/contract';

type Listener<E extends EventName> = (payload: EventOf<E>) => void;

export class EventBus {
  private readonly listeners = new Map<EventName, Set<Listener<EventName>>>();

  on<E extends EventName>(event: E, listener: Listener<E>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as Listener<EventName>);
    return () => set.delete(listener as Listener<EventName>);
  }

  /** Listens to every event (transports forward them all). */
  onAny(listener: (event: EventName, payload: unknown) => void): () => void {
    const offs = (
      ['job.updated', 'job.audio', 'take.created', 'take.updated', 'take.removed', 'model.updated', 'settings.updated'] as const
    ).map((e) => this.on(e, (payload) => listener(e, payload)));
    return () => offs.forEach((off) => off());
  }

  /** Whether anyone listens (a preview is only decoded for someone to hear). */
  listens(event: EventName): boolean {
    return (this.listeners.get(event)?.size ?? 0) > 0;
  }

  emit<E extends EventName>(event: E, payload: EventOf<E>): void {
    for (const listener of this.listeners.get(event) ?? []) {
      try {
        listener(payload);
      } catch (error) {
        // One broken listener (say, a closed socket) must not stop the others or the job.
        console.error(`listener for ${event} failed:`, error);
      }
    }
  }
}
