import type { ServiceIdentifier } from 'inversify';

/** A typed DI token. The phantom type lets `ctx.get(token)` return the right type. */
export type ServiceToken<T> = symbol & { readonly __type?: T };

export function createToken<T>(description: string): ServiceToken<T> {
  return Symbol.for(`aihub:${description}`) as ServiceToken<T>;
}

export function asIdentifier<T>(token: ServiceToken<T>): ServiceIdentifier<T> {
  return token as unknown as ServiceIdentifier<T>;
}
