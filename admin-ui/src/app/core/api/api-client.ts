import { Injectable, inject } from '@angular/core';
import createClient, { type Client } from 'openapi-fetch';
import type { paths } from '../../api/schema';
import { AuthService } from '../auth/auth.service';
import { CONSOLE_CONFIG } from '../console-config';
import { ApiError, toProblem } from './problem';

/** What every openapi-fetch call resolves to. */
interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/**
 * The typed admin API client (openapi-fetch over the generated `paths`): adds the access token,
 * refreshes it once on a 401 and retries, and turns problem+json answers into ApiError.
 *
 * ```ts
 * const api = inject(ApiClient);
 * const page = await api.call(api.client.GET('/admin/v1/tenants', { params: { query: { q, limit } } }));
 * ```
 */
@Injectable({ providedIn: 'root' })
export class ApiClient {
  private readonly auth = inject(AuthService);
  private readonly config = inject(CONSOLE_CONFIG);

  readonly client: Client<paths> = createClient<paths>({
    baseUrl: `${location.origin}${this.config.apiBase}`,
    fetch: (request: Request) => this.send(request),
  });

  /** The data of a successful call; an ApiError with the problem otherwise. */
  async call<T>(pending: Promise<FetchResult<T>>): Promise<T> {
    let result: FetchResult<T>;
    try {
      result = await pending;
    } catch {
      throw new ApiError(toProblem(0, undefined));
    }
    if (result.response.ok) return result.data as T;
    throw new ApiError(toProblem(result.response.status, result.error));
  }

  private async send(request: Request): Promise<Response> {
    // A copy for the retry after a refresh: a request body can only be read once.
    const retry = request.clone();
    const res = await fetch(this.withToken(request));
    if (res.status !== 401 || !this.auth.token) return res;
    if (!(await this.auth.refresh())) return res;
    return fetch(this.withToken(retry));
  }

  private withToken(request: Request): Request {
    const token = this.auth.token;
    if (token) request.headers.set('authorization', `Bearer ${token}`);
    return request;
  }
}
