/**
 * What `GET /admin/v1/me` answers, as the console uses it. (Kept structural so the nav logic can be
 * unit-tested without the generated client; the ApiClient call is typed from the OpenAPI document.)
 */
export interface Me {
  principal: {
    kind: string;
    subject: string;
    tenant_id: string | null;
    role: string | null;
    superadmin: boolean;
    scopes: string[];
    user_id: string | null;
  };
  tenant: { id: string; slug: string; name: string; status: string; plan: string } | null;
  permissions: string[];
  user: {
    id: string;
    email: string;
    superadmin: boolean;
    last_login_at: string | null;
    created_at: string;
    display_name?: string | null;
    preferred_language?: string | null;
  } | null;
  memberships: {
    tenant_id: string;
    slug: string;
    name: string;
    status: string;
    role: string;
    team_id: string | null;
  }[];
}

/** A tenant the caller can switch to. */
export interface TenantChoice {
  id: string;
  name: string;
  slug: string;
  role: string | null;
}
