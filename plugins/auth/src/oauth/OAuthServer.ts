/** Placeholder until the authorization server is wired (next step). */
export interface OAuthServer {
  stop(): Promise<void>;
}
