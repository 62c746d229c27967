/**
 * Chooses the studio's one client at start-up: in Electron the preload has installed
 * `window.continuo`; in a plain browser (`continuo serve`) we connect over the loopback WebSocket
 * with the token from the page URL's fragment. Either way the app sees the same `ContinuoClient`.
 */
import type { ContinuoClient } from '../../../shared/contract';
import { connectWebSocket } from './ws-client';

export type ClientMode = 'electron' | 'browser';

export interface ChosenClient {
  client: ContinuoClient;
  mode: ClientMode;
}

export async function chooseClient(onClose: () => void): Promise<ChosenClient> {
  if (window.continuo) return { client: window.continuo, mode: 'electron' };
  const client = await connectWebSocket(location, { onClose });
  return { client, mode: 'browser' };
}
