/**
 * The WebSocket wire format, shared by the browser-mode host and its client: requests carry an
 * id that the reply echoes; events are pushed without one.
 */
import type { ApiErrorShape } from './contract';

export interface WireRequest {
  id: number;
  method: string;
  params: unknown;
}

export type WireReply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: ApiErrorShape };

export interface WireEvent {
  event: string;
  payload: unknown;
}

export function isWireRequest(value: unknown): value is WireRequest {
  const v = value as WireRequest;
  return typeof v === 'object' && v !== null && Number.isSafeInteger(v.id) && typeof v.method === 'string';
}
