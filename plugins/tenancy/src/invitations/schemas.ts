/** zod schemas of the invitation routes (validation and /admin/v1/openapi.json). */
import { z } from 'zod';
import { email, listOf, password, role, safeString } from '../schemas';

const id = safeString(128).min(1);
const time = z.string().describe('ISO-8601 UTC');
export const invitationStatus = z.enum(['pending', 'accepted', 'revoked', 'expired']);

export const invitationParams = z.object({ tenantId: id, invitationId: id });
/** The token is checked for its shape in the handler (one 404 for every bad token, never a 400 that tells them apart). */
export const tokenParams = z.object({ token: safeString(200) });

export const invitationListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).optional().describe('Page size, 1–200 (default 50)'),
  cursor: safeString(200).optional().describe('`next_cursor` of the previous page'),
  status: invitationStatus
    .optional()
    .describe('Only invitations in this state (`expired`: pending but past `expires_at`)'),
});

export const invitationCreate = z
  .object({
    email,
    role,
    team_ids: z
      .array(id)
      .max(50)
      .optional()
      .describe('Teams of this tenant; the membership gets the first (a member belongs to one team)'),
  })
  .strict();

export const invitationAccept = z
  .object({
    token: safeString(200).describe('The token of the invitation (from the accept link)'),
    password: password
      .optional()
      .describe(
        'Without a credential: the password of the new account created for the invited address (an address that has an account signs in instead)',
      ),
    name: safeString(200)
      .optional()
      .describe('Display name for a new account (accepted for the console form; accounts hold no name yet)'),
  })
  .strict();

export const invitationOut = z.object({
  id: z.string(),
  tenant_id: z.string(),
  email: z.string(),
  role,
  team_ids: z.array(z.string()),
  status: invitationStatus,
  expires_at: time,
  created_at: time,
  accepted_at: time.nullable(),
  invited_by: z.string().nullable(),
});

export const invitationCreated = invitationOut.extend({
  token: z.string().describe('Shown only in this response: send it (or accept_url) to the invited person'),
  accept_url: z.string().describe('The console page that accepts the invitation'),
});

export const invitationPublic = z.object({
  tenant: z.object({ id: z.string(), name: z.string() }),
  email: z.string(),
  role,
  expires_at: time,
});

export const invitationAccepted = z.object({ tenant_id: z.string(), role });

export const invitationListOut = listOf(invitationOut);
