import { validateArguments, type LetheMethod, type LetheRequests } from '../../shared/lethe-api.js';

/**
 * What IPC and the HTTP bridge both do with a request: validate the method and its
 * arguments against the shared contract, then call the service.
 */
export async function dispatch(service: LetheRequests, method: string, args: unknown): Promise<unknown> {
  const valid = validateArguments(method, args);
  const fn = service[method as LetheMethod] as (...a: unknown[]) => Promise<unknown>;
  return fn.apply(service, valid);
}
