/**
 * LetheApi over the HTTP bridge, for the window running in a plain browser. The page
 * was opened with ?token=..., which set an HttpOnly cookie that authorises these calls.
 */
import { LETHE_METHODS, type LetheApi, type WindowEvent, type LetheMethod, type LetheRequests } from '../../../shared/lethe-api';

async function call(method: LetheMethod, args: unknown[]): Promise<unknown> {
  const response = await fetch(`/api/call/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    credentials: 'same-origin',
    body: JSON.stringify(args),
  });
  const body = (await response.json()) as { result?: unknown; error?: string };
  if (!response.ok) throw new Error(body.error ?? `${method} failed with HTTP ${response.status}`);
  return body.result;
}

export function createHttpApi(): LetheApi {
  const listeners = new Set<(event: WindowEvent) => void>();
  let source: EventSource | null = null;
  const requests = Object.fromEntries(
    // An omitted optional argument stays omitted: JSON would turn a trailing undefined into null.
    LETHE_METHODS.map((method) => [method, (...args: unknown[]) => call(method, args.slice(0, args.findLastIndex((a) => a !== undefined) + 1))]),
  ) as unknown as LetheRequests;
  return Object.assign(requests, {
    onEvent(listener: (event: WindowEvent) => void) {
      listeners.add(listener);
      if (!source) {
        source = new EventSource('/api/events');
        source.onmessage = (message) => {
          const event = JSON.parse(message.data as string) as WindowEvent;
          for (const l of listeners) l(event);
        };
      }
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && source) {
          source.close();
          source = null;
        }
      };
    },
  }) as LetheApi;
}
